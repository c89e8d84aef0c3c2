/**
 * Chooses the colormap and value domain of a heatmap: signed values get a diverging map on a domain symmetric
 * around 0 (`[-max|v|, max|v|]`), non-negative values a sequential map on [0, 1] (or [min, max] when outside).
 */
import { argumentError, described } from '../util/errors.js';
import {
  COLORMAPS,
  DEFAULT_DIVERGING_COLORMAP,
  DEFAULT_SEQUENTIAL_COLORMAP,
  assertColormapName,
  type ColormapName,
} from './colormaps.js';
import { finiteRange } from './grid.js';

/** Options shared by every chart that colours values. */
export interface ColorOptions {
  /** Colormap name. Default: `'rdbu'` when a value is negative, else `'inferno'`. */
  colormap?: ColormapName;
  /** Value range mapped to the colormap's ends. Default: see {@link resolveColorScale}. */
  domain?: readonly [number, number];
}

/** A resolved colour scale. */
export interface ResolvedColorScale {
  colormap: ColormapName;
  domain: [number, number];
  diverging: boolean;
}

/**
 * Resolves colormap and domain for the given value arrays (all sharing one scale).
 * Diverging maps use `[-m, m]` with `m = max |v|`; sequential maps use `[0, 1]` when all values are in [0, 1],
 * else `[min, max]`. Degenerate ranges are widened so that `low < high`.
 *
 * @throws WingbeatsError (INVALID_ARGUMENT) for an unknown colormap or a domain that is not `[low < high]`.
 */
export function resolveColorScale(
  valueArrays: readonly ArrayLike<number>[],
  options: ColorOptions = {},
  functionName = 'resolveColorScale',
): ResolvedColorScale {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of valueArrays) {
    const [a, b] = finiteRange(values);
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  if (!(lo <= hi)) {
    lo = 0;
    hi = 1;
  }
  if (options.colormap !== undefined) assertColormapName(options.colormap, functionName, 'options.colormap');
  const name: ColormapName = options.colormap ?? (lo < 0 ? DEFAULT_DIVERGING_COLORMAP : DEFAULT_SEQUENTIAL_COLORMAP);
  const diverging = COLORMAPS[name].kind === 'diverging';
  if (options.domain !== undefined) {
    const [a, b] = options.domain;
    if (!Number.isFinite(a) || !Number.isFinite(b) || !(b > a)) {
      throw argumentError(
        functionName,
        'options.domain',
        'two finite numbers [low, high] with low < high',
        described(`[${a}, ${b}]`),
      );
    }
    return { colormap: name, domain: [a, b], diverging };
  }
  if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    return { colormap: name, domain: [-m, m], diverging };
  }
  if (lo >= 0 && hi <= 1) return { colormap: name, domain: [0, 1], diverging };
  if (hi === lo) return { colormap: name, domain: [lo - 0.5, hi + 0.5], diverging };
  return { colormap: name, domain: [lo, hi], diverging };
}

/** Five evenly spaced legend labels over a domain (so a diverging legend also shows its 0). */
export function legendValues(domain: readonly [number, number]): number[] {
  const [lo, hi] = domain;
  return [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const v = lo + t * (hi - lo);
    return Math.abs(v) < 1e-12 * Math.max(Math.abs(lo), Math.abs(hi)) ? 0 : v;
  });
}
