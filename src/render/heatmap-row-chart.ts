/**
 * A row of heatmaps sharing one colour scale and one legend: Monte-Carlo-dropout quantile maps (q25, q50, q75),
 * their mean and standard deviation, or several methods' heatmaps. 2-D grids become time × frequency panels side
 * by side; 1-D heatmaps (`rows = 1`, one value per frequency bin) become stacked strips over a frequency axis.
 */
import type { TopLevelSpec } from 'vega-lite';
import { argumentError, described } from '../util/errors.js';
import { resolveColorScale, type ColorOptions } from './color-domain.js';
import { assertGrid, type Grid } from './grid.js';
import { VEGA_LITE_SCHEMA, chartConfig } from './chart-theme.js';
import { cellEdges, rasterLayers } from './raster-layer.js';
import { timeFrequencyAxes, withAxes, type RasterChartOptions } from './spectrogram-chart.js';

/** One panel of a heatmap row. */
export interface HeatmapPanel {
  /** Panel title, e.g. `'q25'`, `'median'`, `'std'`. */
  title: string;
  /** The heatmap; all panels must share one shape. A 1-D heatmap is `{ rows: 1, cols: bins }`. */
  grid: Grid;
}

/** Data of a heatmap row. */
export interface HeatmapRowData {
  panels: HeatmapPanel[];
  /** Title of the whole figure. */
  title?: string;
  subtitle?: string;
  /** Centre frequencies (Hz) of the lowest and highest row (2-D) or of the first and last bin (1-D). Default `[0, 4000]`. */
  frequencyRange?: readonly [number, number];
  /** 2-D: centre frequency (Hz) of every row, lowest row first (see `timeFrequencyAxes`); wins over `frequencyRange`. */
  frequencyHz?: ArrayLike<number>;
  /** Centre times (s) of the first and last frame (2-D only). Default frame numbers. */
  timeRange?: readonly [number, number];
}

/** Options of {@link heatmapRowSpec}. */
export interface HeatmapRowOptions extends ColorOptions, RasterChartOptions {
  /** Legend title (default `'Heatmap'`). */
  legendTitle?: string;
}

/**
 * The Vega-Lite spec of a row of heatmaps with one shared colour scale (domain over all panels unless given).
 *
 * @throws WingbeatsError (SHAPE_MISMATCH) when the panels differ in shape, (INVALID_ARGUMENT) for no panels.
 * @example heatmapRowSpec({ panels: [{ title: 'q25', grid: q25 }, { title: 'q50', grid: q50 }, { title: 'q75', grid: q75 }] })
 */
export function heatmapRowSpec(data: HeatmapRowData, options: HeatmapRowOptions = {}): TopLevelSpec {
  const fn = 'heatmapRowSpec';
  if (!Array.isArray(data.panels) || data.panels.length === 0)
    throw argumentError(fn, 'data.panels', 'a non-empty array of {title, grid}', data.panels);
  data.panels.forEach((p, i) => assertGrid(p.grid, fn, `data.panels[${i}].grid`));
  const { rows, cols } = data.panels[0].grid;
  data.panels.forEach((p, i) => {
    if (p.grid.rows !== rows || p.grid.cols !== cols) {
      throw argumentError(
        fn,
        `data.panels[${i}].grid`,
        `of the first panel's shape ${rows} × ${cols}`,
        described(`${p.grid.rows} × ${p.grid.cols}`),
        'SHAPE_MISMATCH',
      );
    }
  });
  const scale = resolveColorScale(
    data.panels.map((p) => p.grid.values),
    options,
    fn,
  );
  const legendTitle = options.legendTitle ?? 'Heatmap';
  const head = {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    ...(data.title !== undefined
      ? { title: data.subtitle !== undefined ? { text: data.title, subtitle: data.subtitle } : { text: data.title } }
      : {}),
  };
  const panelTitle = (text: string) => ({ text, fontSize: 12, fontWeight: 500 });
  const last = data.panels.length - 1;
  if (rows === 1) {
    const [f0, f1] = data.frequencyRange ?? [0, 4000];
    const x = cellEdges(f0, f1, cols);
    const width = options.width ?? 620;
    const config = chartConfig();
    return {
      ...head,
      // The legend is no taller than the strips (a tall gradient beside one 26 px strip leaves the picture empty).
      config: { ...config, legend: { ...config.legend, gradientLength: Math.max(40, data.panels.length * 32 - 6) } },
      spacing: 6,
      vconcat: data.panels.map((panel, i) => ({
        width,
        height: 26,
        layer: withAxes(
          rasterLayers(panel.grid, scale, { x, y: [0, 1] }, { legendTitle: i === 0 ? legendTitle : null }),
          {
            x: {
              scale: { domain: x, nice: false, zero: false },
              axis:
                i === last ? { title: 'Frequency (Hz)', tickCount: 9 } : { title: null, labels: false, ticks: false },
            },
            y: {
              scale: { domain: [0, 1] },
              axis: {
                title: panel.title,
                titleAngle: 0,
                titleAlign: 'right',
                titleBaseline: 'middle',
                labels: false,
                ticks: false,
                grid: false,
                domain: false,
              },
            },
          },
        ),
      })),
      resolve: { scale: { color: 'shared' } },
    } as TopLevelSpec;
  }
  const axes = timeFrequencyAxes(data.panels[0].grid, data.frequencyRange, data.timeRange, data.frequencyHz);
  return {
    ...head,
    hconcat: data.panels.map((panel, i) => ({
      width: options.width ?? 200,
      height: options.height ?? 200,
      title: panelTitle(panel.title),
      layer: withAxes(
        rasterLayers(panel.grid, scale, axes.extent, {
          legendTitle: i === last ? legendTitle : null,
          rowOrder: options.rowOrder,
        }),
        {
          x: axes.x,
          y: i === 0 ? axes.y : { ...axes.y, axis: { title: null } },
        },
      ),
    })),
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}
