/**
 * One Vega-Lite layer drawing a {@link Grid} as an embedded raster image (palette PNG data URL) over data
 * coordinates, plus an invisible layer that makes Vega draw the colour legend of the same scale.
 * Shared by the spectrogram, quantile-map and heatmap-row charts.
 */
import { vegaColorScale } from './colormaps.js';
import { legendValues, type ResolvedColorScale } from './color-domain.js';
import type { Grid } from './grid.js';
import { heatmapRasterDataUrl } from './heatmap-raster.js';

/** Data coordinates of the raster's outer edges. */
export interface RasterExtent {
  x: [number, number];
  y: [number, number];
}

/** Outer edges of cells whose centres are evenly spaced from `first` to `last` over `n` cells. */
export function cellEdges(first: number, last: number, n: number): [number, number] {
  const step = n > 1 ? (last - first) / (n - 1) : 1;
  return [first - step / 2, last + step / 2];
}

/**
 * The layers (image + invisible legend carrier) of a raster panel. `rowOrder` as in {@link heatmapRaster}:
 * the picture's top row is the grid's highest-frequency row.
 */
export function rasterLayers(
  grid: Grid,
  scale: ResolvedColorScale,
  extent: RasterExtent,
  options: {
    opacity?: number;
    fadeLow?: boolean;
    legendTitle?: string | null;
    rowOrder?: 'high-first' | 'low-first';
    legendField?: string;
  },
): object[] {
  const url = heatmapRasterDataUrl(grid, {
    colormap: scale.colormap,
    domain: scale.domain,
    rowOrder: options.rowOrder,
    opacity: options.opacity,
    fadeLow: options.fadeLow,
  });
  const layers: object[] = [
    {
      data: { values: [{ x0: extent.x[0], x1: extent.x[1], y0: extent.y[0], y1: extent.y[1], url }] },
      mark: { type: 'image', aspect: false, smooth: false, aria: false },
      encoding: {
        x: { field: 'x0', type: 'quantitative' },
        x2: { field: 'x1' },
        y: { field: 'y0', type: 'quantitative' },
        y2: { field: 'y1' },
        url: { field: 'url', type: 'nominal' },
      },
    },
  ];
  if (options.legendTitle !== null) {
    const field = options.legendField ?? 'value';
    layers.push({
      data: { values: scale.domain.map((v) => ({ x: extent.x[0], y: extent.y[0], [field]: v })) },
      mark: { type: 'point', opacity: 0, size: 0, aria: false },
      encoding: {
        x: { field: 'x', type: 'quantitative' },
        y: { field: 'y', type: 'quantitative' },
        color: {
          field,
          type: 'quantitative',
          scale: vegaColorScale(scale.colormap, scale.domain),
          legend: {
            type: 'gradient',
            title: options.legendTitle ?? 'Value',
            values: legendValues(scale.domain),
            format: '.2~g',
          },
        },
      },
    });
  }
  return layers;
}
