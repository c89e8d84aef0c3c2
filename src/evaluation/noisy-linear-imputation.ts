/**
 * ROAD's noisy linear imputation (Rong et al. 2022, "A Consistent and Efficient Evaluation Strategy for Attribution
 * Methods"): every removed value becomes the weighted mean of its neighbours — removed neighbours included, so the
 * removed values solve one sparse linear system — plus a little Gaussian noise, so that the removal itself does not
 * leak which positions were removed. Plain typed-array code.
 */
import type { Rng } from '../util/rng.js';
import type { PositionLayout } from './flip-order.js';

/**
 * Neighbours of a position with their weights: on 2-D position grids the eight neighbours, direct ones 1/6 and diagonal
 * ones 1/12 (the paper's weights); on 1-D and ≥ 3-D grids the direct neighbours along each axis, weight 1.
 */
export function imputationNeighbours(shape: readonly number[], position: number): { index: number; weight: number }[] {
  const coords: number[] = [];
  let rest = position;
  for (let a = shape.length - 1; a >= 0; a--) {
    coords[a] = rest % shape[a];
    rest = Math.floor(rest / shape[a]);
  }
  const flatIndex = (c: number[]): number => c.reduce((i, v, a) => i * shape[a] + v, 0);
  const inside = (c: number[]): boolean => c.every((v, a) => v >= 0 && v < shape[a]);
  const out: { index: number; weight: number }[] = [];
  if (shape.length === 2) {
    for (const dr of [-1, 0, 1]) {
      for (const dc of [-1, 0, 1]) {
        if (dr === 0 && dc === 0) continue;
        const c = [coords[0] + dr, coords[1] + dc];
        if (inside(c)) out.push({ index: flatIndex(c), weight: dr === 0 || dc === 0 ? 1 / 6 : 1 / 12 });
      }
    }
    return out;
  }
  for (let a = 0; a < shape.length; a++) {
    for (const d of [-1, 1]) {
      const c = [...coords];
      c[a] += d;
      if (inside(c)) out.push({ index: flatIndex(c), weight: 1 });
    }
  }
  return out;
}

/**
 * The input `values` (row-major `positions × channels`) with the positions flagged in `removed` imputed: per channel,
 * the removed values u solve Σ_j w_ij (u_i − v_j) = 0 over the neighbours j of each removed i (v_j the known value or
 * the unknown u_j), by conjugate gradients to a relative residual of 1e-10; then `noise · z` (z standard normal from
 * `rng`, one per removed value, position-major) is added. A removed region without any known neighbour anywhere (every
 * position removed) is filled with zeros before the noise. Returns a new array; the arguments are not changed.
 */
export function noisyLinearImputation(
  values: Float32Array,
  layout: PositionLayout,
  removed: Uint8Array,
  noise: number,
  rng: Rng,
): Float32Array {
  const { positionShape, positions, channels } = layout;
  const unknown: number[] = [];
  const slot = new Int32Array(positions).fill(-1);
  for (let p = 0; p < positions; p++) {
    if (removed[p] !== 0) {
      slot[p] = unknown.length;
      unknown.push(p);
    }
  }
  const out = Float32Array.from(values);
  const n = unknown.length;
  if (n === 0) return out;
  const neighbours = unknown.map((p) => imputationNeighbours(positionShape, p));
  const diagonal = neighbours.map((list) => list.reduce((s, { weight }) => s + weight, 0));
  const multiply = (u: Float64Array, into: Float64Array): void => {
    for (let i = 0; i < n; i++) {
      let s = diagonal[i] * u[i];
      for (const { index, weight } of neighbours[i]) if (slot[index] >= 0) s -= weight * u[slot[index]];
      into[i] = s;
    }
  };
  const anyKnown = n < positions;
  for (let c = 0; c < channels; c++) {
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++)
      for (const { index, weight } of neighbours[i]) if (slot[index] < 0) b[i] += weight * values[index * channels + c];
    const u = new Float64Array(n);
    if (anyKnown) conjugateGradient(multiply, b, u);
    for (let i = 0; i < n; i++) out[unknown[i] * channels + c] = u[i];
  }
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[unknown[i] * channels + c] += noise * rng.normal();
  return out;
}

/** Solves A u = b for a symmetric positive definite A given as `multiply` (u holds the start and the result). */
function conjugateGradient(
  multiply: (u: Float64Array, into: Float64Array) => void,
  b: Float64Array,
  u: Float64Array,
): void {
  const n = b.length;
  const r = new Float64Array(n);
  const p = new Float64Array(n);
  const q = new Float64Array(n);
  multiply(u, q);
  let rr = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    r[i] = b[i] - q[i];
    p[i] = r[i];
    rr += r[i] * r[i];
    bb += b[i] * b[i];
  }
  const tolerance = 1e-20 * Math.max(bb, 1e-300);
  for (let iteration = 0; iteration < 10 * n + 100 && rr > tolerance; iteration++) {
    multiply(p, q);
    let pq = 0;
    for (let i = 0; i < n; i++) pq += p[i] * q[i];
    const alpha = rr / pq;
    let next = 0;
    for (let i = 0; i < n; i++) {
      u[i] += alpha * p[i];
      r[i] -= alpha * q[i];
      next += r[i] * r[i];
    }
    const beta = next / rr;
    rr = next;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
  }
}
