/**
 * The fundamental frequency f0 of a harmonic sound (a wingbeat) from its spectrum in dB. Plain typed-array code.
 *
 * Method (stated, so results can be compared): (1) subharmonic summation (Hermes 1988) on the levels in dB
 * above their local floor (the median of the levels within ±5 bins, so a broad low-frequency hum, strong in real
 * recordings, is not taken for harmonics): for candidate f0 on a 0.2 % grid, score = Σ_k 0.84^(k−1) · A(k·f0) over the
 * harmonics below the top of the axis (at most 10), A linearly interpolated between bins; the best candidate is the
 * coarse f0. The decaying weights make f0/2 score lower than f0, and 2·f0 only collects the even harmonics.
 * (2) Refinement: each harmonic k whose peak stands ≥ 6 dB above the median level is located to a fraction of a
 * bin by a parabola through the dB values of its highest bin and its neighbours; f0 is then the least-squares
 * slope through the origin of the located peak frequencies against k (Σ k·f_k / Σ k²).
 */

/** Options of {@link estimateFundamental}. */
export interface FundamentalOptions {
  /** Lowest f0 considered, Hz (default: two bins above DC). */
  minHz?: number;
  /** Highest f0 considered, Hz (default: half the top of the axis, so at least two harmonics fit). */
  maxHz?: number;
}

const DECAY = 0.84;
const MAX_HARMONICS = 10;
const GRID_STEP = 1.002;
const PEAK_ABOVE_MEDIAN_DB = 6;
const LOCAL = 5;

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * f0 in Hz of the spectrum `levelsDb` whose bins lie at `hz` (equally spaced, ascending or descending, e.g. the
 * reversed rows of a spectrogram image), by subharmonic summation refined on the located harmonic peaks (see the
 * module comment). Returns undefined when the spectrum is flat (no bin stands out) or has fewer than 4 bins.
 * @example const f0 = estimateFundamental(psdDb, psdHz); // 600.3 for a 600 Hz wingbeat
 */
export function estimateFundamental(
  levelsDb: ArrayLike<number>,
  hz: ArrayLike<number>,
  options: FundamentalOptions = {},
): number | undefined {
  const n = Math.min(levelsDb.length, hz.length);
  if (n < 4) return undefined;
  const descending = hz[n - 1] < hz[0];
  const at = (i: number): number => (descending ? n - 1 - i : i);
  const freq = Float64Array.from({ length: n }, (_, i) => hz[at(i)]);
  const db = Float64Array.from({ length: n }, (_, i) => {
    const v = levelsDb[at(i)];
    return Number.isFinite(v) ? v : -300;
  });
  const binHz = (freq[n - 1] - freq[0]) / (n - 1);
  if (!(binHz > 0)) return undefined;
  const floorDb = median(db);
  // Peaks over the local floor (the median of ±LOCAL bins): a broad low-frequency hum does not count as harmonics.
  const local = db.map((_, i) => median(db.subarray(Math.max(0, i - LOCAL), Math.min(n, i + LOCAL + 1))));
  const prominence = db.map((v, i) => Math.max(0, v - local[i]));
  if (!prominence.some((a) => a > 0)) return undefined;
  const top = freq[n - 1];
  const interpolated = (f: number): number => {
    const p = (f - freq[0]) / binHz;
    const i = Math.floor(p);
    if (i < 0 || i >= n - 1) return 0;
    return prominence[i] + (prominence[i + 1] - prominence[i]) * (p - i);
  };
  const low = Math.max(options.minHz ?? freq[0] + 2 * binHz, freq[0] + binHz);
  const high = Math.min(options.maxHz ?? top / 2, top);
  let best = NaN;
  let bestScore = 0;
  for (let f = low; f <= high; f *= GRID_STEP) {
    let score = 0;
    for (let k = 1, weight = 1; k <= MAX_HARMONICS && k * f <= top; k++, weight *= DECAY)
      score += weight * interpolated(k * f);
    if (score > bestScore) {
      bestScore = score;
      best = f;
    }
  }
  if (!Number.isFinite(best)) return undefined;
  let sumKF = 0;
  let sumKK = 0;
  for (let k = 1; k <= MAX_HARMONICS && k * best <= top - binHz; k++) {
    const nearest = Math.round((k * best - freq[0]) / binHz);
    let m = nearest;
    for (const j of [nearest - 1, nearest + 1]) if (j > 0 && j < n - 1 && db[j] > db[m]) m = j;
    if (m <= 0 || m >= n - 1 || db[m] - floorDb < PEAK_ABOVE_MEDIAN_DB) continue;
    const curvature = db[m - 1] - 2 * db[m] + db[m + 1];
    const offset = curvature < 0 ? (0.5 * (db[m - 1] - db[m + 1])) / curvature : 0;
    const located = freq[m] + Math.max(-0.5, Math.min(0.5, offset)) * binHz;
    if (Math.abs(located - k * best) > binHz) continue;
    sumKF += k * located;
    sumKK += k * k;
  }
  return sumKK > 0 ? sumKF / sumKK : best;
}
