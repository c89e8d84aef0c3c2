/**
 * Quantile maps: per-position quantiles (and mean and standard deviation) of a set of heatmaps, e.g. of Monte-Carlo
 * dropout samples — the original `quantile_maps`. Plain typed arrays in and out; no TensorFlow.js.
 */
import { WingbeatsError, argumentError, described } from '../util/errors.js';
import type { OptionSpec } from '../util/option-spec.js';

/** `'exact'`: NumPy's default linear quantile of the samples. `'histogram'`: the original's 50-bin histogram rule. */
export type QuantileMethod = 'exact' | 'histogram';

/** The quantile rules, for validation and command-line choices. */
export const quantileMethods = ['exact', 'histogram'] as const satisfies readonly QuantileMethod[];

/** The quantile-map options, as specs (flags, defaults, help). */
export const QUANTILE_OPTIONS = [
  {
    name: 'quantiles',
    flag: '--quantiles',
    type: 'list',
    default: '0.25,0.5,0.75',
    help: 'comma-separated quantiles in [0, 1]',
  },
  {
    name: 'quantileMethod',
    flag: '--quantile-method',
    type: 'choice',
    default: 'exact',
    choices: quantileMethods,
    help: "'exact' (NumPy's linear rule) or 'histogram' (the original 50-bin rule)",
  },
] as const satisfies readonly OptionSpec[];

/** Options of {@link quantileMaps}. */
export interface QuantileMapsOptions {
  /** Quantile rule (default `'exact'`). */
  method?: QuantileMethod;
  /** Number of histogram bins of the `'histogram'` rule (default 50, as the original). */
  bins?: number;
}

/** Result of {@link quantileMaps}. */
export interface QuantileMapsResult {
  /** The quantiles, in the order asked. */
  quantiles: number[];
  /** One map per quantile, each with one value per position. */
  maps: Float64Array[];
  /** Mean over samples, per position. */
  mean: Float64Array;
  /** Population standard deviation over samples (divisor n, NumPy's default), per position. */
  std: Float64Array;
  /** Number of samples. */
  samples: number;
  /** The rule used. */
  method: QuantileMethod;
}

/**
 * The `q`-quantile of ascending `sorted` values by NumPy's default ('linear') rule: virtual index h = (n − 1)·q,
 * interpolated between the values at floor(h) and floor(h) + 1 with NumPy's `_lerp` (so results match to the last bit).
 * @example quantileOfSorted([1, 2, 3, 4], 0.5) // 2.5
 */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const below = Math.min(Math.max(Math.floor(h), 0), n - 1);
  const above = Math.min(below + 1, n - 1);
  const t = h - below;
  const a = sorted[below];
  const b = sorted[above];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/**
 * Replaces every value by the midpoint of its bin in NumPy's `np.histogram(values, bins)`: `bins` equal bins from
 * min to max (min − 0.5 to max + 0.5 when all values are equal), edges `np.linspace(min, max, bins + 1)`, each bin
 * half-open except the last, midpoint = left edge + (edge₁ − edge₀)/2. Writes into `out` (may be `values`).
 */
export function histogramMidpoints(values: ArrayLike<number>, bins: number, out: Float64Array): Float64Array {
  let first = Infinity;
  let last = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < first) first = values[i];
    if (values[i] > last) last = values[i];
  }
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  const step = (last - first) / bins;
  const edge = (k: number): number => (k === bins ? last : k * step + first);
  const halfWidth = (edge(1) - edge(0)) / 2;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    let k = Math.min(Math.floor(((v - first) / (last - first)) * bins), bins - 1);
    if (v < edge(k)) k -= 1;
    else if (k !== bins - 1 && v >= edge(k + 1)) k += 1;
    out[i] = edge(k) + halfWidth;
  }
  return out;
}

/**
 * Per-position quantile maps, mean map and standard-deviation map of `heatmaps` (one flat array per sample, all of
 * the same length), as the original `quantile_maps` computed them from Monte-Carlo-dropout heatmaps (Gal & Ghahramani
 * 2016 for the dropout samples).
 *
 * `method: 'exact'` (default) takes NumPy's default linear quantile of each position's samples. `method: 'histogram'`
 * reproduces the original algorithm exactly: per position, `np.histogram` of the samples with `bins` (50) bins; every
 * sample is replaced by the midpoint of its bin (the original "unfolds" the histogram into bin midpoints repeated by
 * their counts) and NumPy's linear quantile of those midpoints is taken. It is coarser by up to half a bin and shifts
 * a position whose samples are all equal by 1/(2·bins) (the histogram then spans value ± 0.5); use it to compare
 * with published figures.
 *
 * Options: `method` ('exact'), `bins` (50). Memory: one scratch array of `samples` numbers; the result holds
 * `quantiles + 2` maps of float64. Throws INVALID_ARGUMENT (no samples, unequal lengths, a quantile outside [0, 1],
 * unknown method) and NON_FINITE_INPUT (NaN/Infinity in a heatmap).
 * @example const { maps: [q25, q50, q75], std } = quantileMaps(samples, [0.25, 0.5, 0.75]);
 */
export function quantileMaps(
  heatmaps: readonly ArrayLike<number>[],
  quantiles: readonly number[],
  options: QuantileMapsOptions = {},
): QuantileMapsResult {
  const fn = 'quantileMaps';
  const method = options.method ?? 'exact';
  const bins = options.bins ?? 50;
  if (!quantileMethods.includes(method))
    throw argumentError(fn, 'method', quantileMethods.map((m) => `'${m}'`).join(' or '), method);
  if (!Number.isInteger(bins) || bins < 1) throw argumentError(fn, 'bins', 'a positive integer', bins);
  if (!Array.isArray(heatmaps) || heatmaps.length === 0)
    throw argumentError(fn, 'heatmaps', 'a non-empty list of heatmaps (one array per sample)', heatmaps);
  if (!Array.isArray(quantiles) || quantiles.length === 0)
    throw argumentError(fn, 'quantiles', 'a non-empty list of numbers in [0, 1]', quantiles);
  quantiles.forEach((q, i) => {
    if (typeof q !== 'number' || !(q >= 0 && q <= 1))
      throw argumentError(fn, `quantiles[${i}]`, 'a number in [0, 1]', q);
  });
  const positions = heatmaps[0]?.length;
  heatmaps.forEach((h, s) => {
    if (h === null || typeof h !== 'object' || typeof h.length !== 'number')
      throw argumentError(fn, `heatmaps[${s}]`, 'an array of numbers', h);
    if (h.length !== positions) {
      throw argumentError(
        fn,
        `heatmaps[${s}]`,
        `of length ${positions} (as heatmaps[0])`,
        described(`length ${h.length}`),
        'SHAPE_MISMATCH',
      );
    }
  });
  const n = heatmaps.length;
  const maps = quantiles.map(() => new Float64Array(positions));
  const mean = new Float64Array(positions);
  const std = new Float64Array(positions);
  const column = new Float64Array(n);
  for (let p = 0; p < positions; p++) {
    let sum = 0;
    for (let s = 0; s < n; s++) {
      const v = heatmaps[s][p];
      if (!Number.isFinite(v)) {
        throw new WingbeatsError(
          'NON_FINITE_INPUT',
          `Argument 'heatmaps[${s}]' passed to '${fn}' must be finite but got ${v} at position ${p}.`,
        );
      }
      column[s] = v;
      sum += v;
    }
    const m = sum / n;
    let squares = 0;
    for (let s = 0; s < n; s++) squares += (column[s] - m) * (column[s] - m);
    mean[p] = m;
    std[p] = Math.sqrt(squares / n);
    if (method === 'histogram') histogramMidpoints(column, bins, column);
    column.sort();
    for (let i = 0; i < quantiles.length; i++) maps[i][p] = quantileOfSorted(column, quantiles[i]);
  }
  return { quantiles: [...quantiles], maps, mean, std, samples: n, method };
}
