/**
 * Perceptually uniform colormaps: `t ∈ [0, 1] → [r, g, b]` (0–255) by linear interpolation between the anchors of
 * a published table (src/render/colormap-tables.ts). Plain code, usable in Node and in the browser.
 */
import { argumentError, described } from '../util/errors.js';
import { COLORMAP_TABLES } from './colormap-tables.js';

/** An sRGB colour with 0–255 channels. */
export type Rgb = [number, number, number];

/** A colormap: maps `t` in [0, 1] (clamped; NaN gives the low end) to an sRGB colour. */
export type Colormap = (t: number) => Rgb;

/**
 * The colormaps, by name. `sequential` maps are for heatmaps in [0, 1] (lightness rises monotonically);
 * `diverging` maps are for signed attributions (symmetric around their light centre at t = 0.5, to be used on
 * a domain symmetric around 0 such as `[-max|v|, max|v|]`); `gray` is the plain sRGB grey ramp used under overlays.
 */
export const COLORMAPS = {
  viridis: { kind: 'sequential', description: 'viridis (matplotlib; dark blue → yellow)' },
  inferno: { kind: 'sequential', description: 'inferno (matplotlib; black → yellow)' },
  gray: { kind: 'sequential', description: 'grey ramp (black → white)' },
  rdbu: { kind: 'diverging', description: 'RdBu (ColorBrewer; blue → white → red)' },
  coolwarm: { kind: 'diverging', description: 'cool-warm (Moreland 2009; blue → light grey → red)' },
} as const;

/** Name of a registered colormap. */
export type ColormapName = keyof typeof COLORMAPS;

/** Names of all registered colormaps, in registry order (for CLI choices and menus). */
export const COLORMAP_NAMES = Object.keys(COLORMAPS) as ColormapName[];

/** Default colormap for heatmaps in [0, 1]. */
export const DEFAULT_SEQUENTIAL_COLORMAP: ColormapName = 'inferno';
/** Default colormap for signed attributions. */
export const DEFAULT_DIVERGING_COLORMAP: ColormapName = 'rdbu';

const GRAY_ANCHORS = 17;
const anchorCache = new Map<ColormapName, Float64Array>();

function parseHexTable(hex: string): Float64Array {
  const out = new Float64Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Checks that `name` is a registered colormap; throws a WingbeatsError naming `functionName` otherwise. */
export function assertColormapName(
  name: unknown,
  functionName: string,
  argument = 'colormap',
): asserts name is ColormapName {
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(COLORMAPS, name)) {
    throw argumentError(functionName, argument, `one of ${COLORMAP_NAMES.map((n) => `'${n}'`).join(', ')}`, name);
  }
}

/** The anchors of a colormap as a flat array `[r0, g0, b0, r1, ...]` (0–255), evenly spaced over [0, 1]. */
export function colormapAnchors(name: ColormapName): Float64Array {
  assertColormapName(name, 'colormapAnchors', 'name');
  let anchors = anchorCache.get(name);
  if (anchors === undefined) {
    if (name === 'gray') {
      anchors = new Float64Array(3 * GRAY_ANCHORS);
      for (let i = 0; i < GRAY_ANCHORS; i++) anchors.fill((255 * i) / (GRAY_ANCHORS - 1), 3 * i, 3 * i + 3);
    } else {
      anchors = parseHexTable(COLORMAP_TABLES[name]);
    }
    anchorCache.set(name, anchors);
  }
  return anchors;
}

/**
 * Returns the colormap `name` as a function `t → [r, g, b]` (0–255, not rounded), interpolating linearly in sRGB
 * between the table's anchors. `t` is clamped to [0, 1]; NaN maps to 0.
 *
 * @throws WingbeatsError (INVALID_ARGUMENT) for an unknown name.
 * @example colormap('viridis')(0.5) // ≈ [33, 145, 140]
 */
export function colormap(name: ColormapName): Colormap {
  assertColormapName(name, 'colormap', 'name');
  const anchors = colormapAnchors(name);
  const last = anchors.length / 3 - 1;
  return (t: number): Rgb => {
    const clamped = Number.isNaN(t) ? 0 : t <= 0 ? 0 : t >= 1 ? 1 : t;
    const position = clamped * last;
    const i = Math.min(Math.floor(position), last - 1);
    const f = position - i;
    const a = 3 * i;
    return [
      anchors[a] + f * (anchors[a + 3] - anchors[a]),
      anchors[a + 1] + f * (anchors[a + 4] - anchors[a + 1]),
      anchors[a + 2] + f * (anchors[a + 5] - anchors[a + 2]),
    ];
  };
}

/** `#rrggbb` for an sRGB colour (channels rounded and clamped to 0–255). */
export function rgbToHex(rgb: readonly number[]): string {
  let out = '#';
  for (let c = 0; c < 3; c++)
    out += Math.max(0, Math.min(255, Math.round(rgb[c])))
      .toString(16)
      .padStart(2, '0');
  return out;
}

/**
 * A lookup table of `size` colours sampled evenly over [0, 1]: `Uint8Array` of length `3 * size` (r, g, b).
 * Used to colour rasters quickly.
 */
export function colormapLut(name: ColormapName, size = 256): Uint8Array {
  if (!Number.isInteger(size) || size < 2) throw argumentError('colormapLut', 'size', 'an integer >= 2', size);
  const map = colormap(name);
  const lut = new Uint8Array(3 * size);
  for (let i = 0; i < size; i++) {
    const rgb = map(i / (size - 1));
    for (let c = 0; c < 3; c++) lut[3 * i + c] = Math.round(rgb[c]);
  }
  return lut;
}

/**
 * The colour scale of a colormap for a Vega-Lite quantitative `color` channel: a piecewise-linear scale whose
 * `stops` domain points (evenly spread over `domain`) carry the colormap's colours, interpolated in RGB, so that
 * Vega draws the same colours (and legend) as {@link colormap}.
 */
export function vegaColorScale(
  name: ColormapName,
  domain: readonly [number, number],
  stops = 33,
): { domain: number[]; range: string[]; interpolate: 'rgb'; clamp: true } {
  assertColormapName(name, 'vegaColorScale', 'name');
  const [lo, hi] = domain;
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) {
    throw argumentError(
      'vegaColorScale',
      'domain',
      'two finite numbers [low, high] with low < high',
      described(`[${lo}, ${hi}]`),
    );
  }
  const map = colormap(name);
  const domainPoints: number[] = [];
  const range: string[] = [];
  for (let i = 0; i < stops; i++) {
    const t = i / (stops - 1);
    domainPoints.push(lo + t * (hi - lo));
    range.push(rgbToHex(map(t)));
  }
  return { domain: domainPoints, range, interpolate: 'rgb', clamp: true };
}

/** CIE L* (D65) of an sRGB colour with 0–255 channels: 0 = black, 100 = white. */
export function lightness(rgb: readonly number[]): number {
  const linear = (v: number): number => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const y = 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2]);
  return y > 216 / 24389 ? 116 * Math.cbrt(y) - 16 : (24389 / 27) * y;
}
