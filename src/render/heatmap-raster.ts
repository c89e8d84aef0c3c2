/**
 * Colours a {@link Grid} with a colormap into a palette PNG (one pixel per cell), for heatmaps drawn as an
 * embedded raster image inside charts: far faster to render than one rect mark per cell.
 */
import { COLORMAPS, colormapLut, type ColormapName } from './colormaps.js';
import { bytesToDataUrl } from './base64.js';
import { assertGrid, type Grid } from './grid.js';
import { encodeIndexedPng } from './png-encoder.js';

/** Number of colour levels; palette entry 255 is the transparent colour of non-finite values. */
const LEVELS = 255;

/** Options of {@link heatmapRaster}. */
export interface HeatmapRasterOptions {
  colormap: ColormapName;
  /** Values mapped to the colormap's ends (clamped outside). */
  domain: readonly [number, number];
  /**
   * Which grid row is the top of the picture: `'high-first'` (default; row 0 is the highest frequency, as in
   * the wingbeats spectrogram inputs) keeps row 0 on top; `'low-first'` flips the rows.
   */
  rowOrder?: 'high-first' | 'low-first';
  /** Opacity of the colours, 0–1 (default 1). */
  opacity?: number;
  /**
   * When true, low values fade out (alpha rises with the value; for diverging maps with the distance from the
   * centre), so that an overlay keeps what lies underneath visible where the heatmap is weak. Default false.
   */
  fadeLow?: boolean;
}

/**
 * PNG bytes of the grid coloured by the colormap, `cols` pixels wide and `rows` pixels high, with row 0 on top
 * for `rowOrder: 'high-first'`. Non-finite values are transparent.
 *
 * @throws WingbeatsError for a malformed grid or an unknown colormap.
 */
export function heatmapRaster(grid: Grid, options: HeatmapRasterOptions): Uint8Array {
  assertGrid(grid, 'heatmapRaster', 'grid');
  const { rows, cols, values } = grid;
  const [lo, hi] = options.domain;
  const span = hi - lo || 1;
  const flip = options.rowOrder === 'low-first';
  const palette = new Uint8Array(3 * (LEVELS + 1));
  palette.set(colormapLut(options.colormap, LEVELS));
  const alpha = new Uint8Array(LEVELS + 1);
  const opacity = Math.max(0, Math.min(1, options.opacity ?? 1));
  const diverging = COLORMAPS[options.colormap].kind === 'diverging';
  for (let k = 0; k < LEVELS; k++) {
    const t = k / (LEVELS - 1);
    const strength = diverging ? Math.abs(2 * t - 1) : t;
    alpha[k] = Math.round(255 * opacity * (options.fadeLow ? Math.min(1, 1.5 * strength) : 1));
  }
  alpha[LEVELS] = 0;
  const indices = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = (flip ? rows - 1 - r : r) * cols;
    for (let c = 0; c < cols; c++) {
      const v = values[src + c];
      let index: number;
      if (!Number.isFinite(v)) index = LEVELS;
      else {
        const t = (v - lo) / span;
        index = t <= 0 ? 0 : t >= 1 ? LEVELS - 1 : Math.round(t * (LEVELS - 1));
      }
      indices[r * cols + c] = index;
    }
  }
  return encodeIndexedPng({ width: cols, height: rows, indices, palette, alpha });
}

/** {@link heatmapRaster} as a `data:image/png;base64,...` URL. */
export function heatmapRasterDataUrl(grid: Grid, options: HeatmapRasterOptions): string {
  return bytesToDataUrl(heatmapRaster(grid, options), 'image/png');
}
