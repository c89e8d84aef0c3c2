/** Small dense linear algebra in float64 for the surrogate fits of KernelSHAP and LIME (no TensorFlow.js). */

/**
 * Solves A·z = b (A n×n, row-major arrays) by Gaussian elimination with partial pivoting; A and b are not changed.
 * A singular system gives the least-norm-like answer of a tiny ridge (1e-12 · trace/n added to the diagonal).
 */
export function solveLinear(a: readonly Float64Array[], b: ArrayLike<number>): Float64Array {
  const n = b.length;
  let trace = 0;
  for (let i = 0; i < n; i++) trace += Math.abs(a[i][i]);
  const jitter = 1e-12 * (trace / n || 1);
  const m = a.map((row, i) => {
    const r = new Float64Array(n + 1);
    r.set(row.subarray(0, n));
    r[n] = b[i];
    return r;
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    if (Math.abs(m[col][col]) < jitter) m[col][col] += m[col][col] < 0 ? -jitter : jitter;
    for (let r = col + 1; r < n; r++) {
      const f = m[r][col] / m[col][col];
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  const z = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let c = r + 1; c < n; c++) s -= m[r][c] * z[c];
    z[r] = s / m[r][r];
  }
  return z;
}

/** Weighted samples of a linear fit: rows `z` (0/1 per group), targets `y`, weights `w`. */
export interface WeightedSamples {
  z: readonly ArrayLike<number>[];
  y: ArrayLike<number>;
  w: ArrayLike<number>;
}

/**
 * Weighted least squares φ = argmin Σ w (y − zᵀφ)² subject to Σφ = total, through the KKT system
 * [ZᵀWZ 1; 1ᵀ 0][φ; λ] = [ZᵀWy; total] (the constraint holds to rounding).
 */
export function constrainedLeastSquares(samples: WeightedSamples, groups: number, total: number): Float64Array {
  const n = groups + 1;
  const a = Array.from({ length: n }, () => new Float64Array(n));
  const b = new Float64Array(n);
  samples.z.forEach((z, k) => {
    const w = samples.w[k];
    const y = samples.y[k];
    for (let i = 0; i < groups; i++) {
      if (z[i] === 0) continue;
      b[i] += w * y;
      for (let j = 0; j < groups; j++) if (z[j] !== 0) a[i][j] += w;
    }
  });
  for (let i = 0; i < groups; i++) a[i][groups] = a[groups][i] = 1;
  b[groups] = total;
  return solveLinear(a, b).subarray(0, groups);
}

/**
 * Weighted ridge regression with an unpenalised intercept: min Σ w (y − a − zᵀβ)² + ridge·|β|². Returns the
 * coefficients, the intercept and the weighted R² = 1 − Σw(y − ŷ)² / Σw(y − ȳ_w)² (1 when y is constant and fitted).
 */
export function weightedRidge(
  samples: WeightedSamples,
  groups: number,
  ridge: number,
): { coefficients: Float64Array; intercept: number; r2: number } {
  const n = groups + 1; // the intercept is the last unknown
  const a = Array.from({ length: n }, () => new Float64Array(n));
  const b = new Float64Array(n);
  const row = new Float64Array(n);
  samples.z.forEach((z, k) => {
    const w = samples.w[k];
    for (let i = 0; i < groups; i++) row[i] = z[i];
    row[groups] = 1;
    for (let i = 0; i < n; i++) {
      if (row[i] === 0) continue;
      b[i] += w * row[i] * samples.y[k];
      for (let j = 0; j < n; j++) a[i][j] += w * row[i] * row[j];
    }
  });
  for (let i = 0; i < groups; i++) a[i][i] += ridge;
  const solution = solveLinear(a, b);
  const coefficients = solution.slice(0, groups);
  const intercept = solution[groups];
  let sw = 0;
  let swy = 0;
  samples.z.forEach((_, k) => {
    sw += samples.w[k];
    swy += samples.w[k] * samples.y[k];
  });
  const mean = swy / sw;
  let residual = 0;
  let spread = 0;
  samples.z.forEach((z, k) => {
    let fit = intercept;
    for (let i = 0; i < groups; i++) fit += coefficients[i] * z[i];
    residual += samples.w[k] * (samples.y[k] - fit) ** 2;
    spread += samples.w[k] * (samples.y[k] - mean) ** 2;
  });
  return { coefficients, intercept, r2: spread > 0 ? 1 - residual / spread : residual === 0 ? 1 : 0 };
}
