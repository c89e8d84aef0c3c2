/** Structural similarity of two 2-D maps (plain arrays, no TensorFlow.js). */
import { argumentError, described } from '../util/errors.js';

/** Options of {@link ssim}. */
export interface SsimOptions {
  /** Value range of the maps (default 1, for heatmaps in [0, 1]). */
  dataRange?: number;
  /** Standard deviation of the Gaussian window (default 1.5). */
  sigma?: number;
  /** Window side (odd; default 11, cut to the smaller map side, made odd). */
  windowSize?: number;
}

function gaussianWindow(size: number, sigma: number): Float64Array {
  const half = (size - 1) / 2;
  const w = Float64Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

/** Separable Gaussian filter of a `rows × cols` map, 'valid' part only (no padding): `(rows−k+1) × (cols−k+1)`. */
function filterValid(map: Float64Array, rows: number, cols: number, w: Float64Array): Float64Array {
  const k = w.length;
  const outCols = cols - k + 1;
  const outRows = rows - k + 1;
  const horizontal = new Float64Array(rows * outCols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < outCols; c++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += w[j] * map[r * cols + c + j];
      horizontal[r * outCols + c] = s;
    }
  }
  const out = new Float64Array(outRows * outCols);
  for (let r = 0; r < outRows; r++) {
    for (let c = 0; c < outCols; c++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += w[i] * horizontal[(r + i) * outCols + c];
      out[r * outCols + c] = s;
    }
  }
  return out;
}

/**
 * Mean structural similarity (Wang et al. 2004) of two `rows × cols` maps (flat, row-major): local means, variances and
 * covariance under a Gaussian window (σ 1.5, 11 × 11, normalised weights), C1 = (0.01·L)², C2 = (0.03·L)², averaged over
 * the window positions that fit inside the map — as `skimage.metrics.structural_similarity(gaussian_weights=True,
 * use_sample_covariance=False, data_range=L)`. 1 for identical maps.
 * @throws WingbeatsError when the sizes do not match `rows × cols`.
 */
export function ssim(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  rows: number,
  cols: number,
  options: SsimOptions = {},
): number {
  if (a.length !== rows * cols || b.length !== rows * cols) {
    throw argumentError(
      'ssim',
      'b',
      `two maps of ${rows} × ${cols} values`,
      described(`lengths ${a.length} and ${b.length}`),
      'SHAPE_MISMATCH',
    );
  }
  const range = options.dataRange ?? 1;
  let size = Math.min(options.windowSize ?? 11, rows, cols);
  if (size % 2 === 0) size -= 1;
  const w = gaussianWindow(size, options.sigma ?? 1.5);
  const x = Float64Array.from(a);
  const y = Float64Array.from(b);
  const mx = filterValid(x, rows, cols, w);
  const my = filterValid(y, rows, cols, w);
  const xx = filterValid(
    x.map((v) => v * v),
    rows,
    cols,
    w,
  );
  const yy = filterValid(
    y.map((v) => v * v),
    rows,
    cols,
    w,
  );
  const xy = filterValid(
    x.map((v, i) => v * y[i]),
    rows,
    cols,
    w,
  );
  const c1 = (0.01 * range) ** 2;
  const c2 = (0.03 * range) ** 2;
  let total = 0;
  for (let i = 0; i < mx.length; i++) {
    const vx = xx[i] - mx[i] * mx[i];
    const vy = yy[i] - my[i] * my[i];
    const cov = xy[i] - mx[i] * my[i];
    total += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] ** 2 + my[i] ** 2 + c1) * (vx + vy + c2));
  }
  return total / mx.length;
}
