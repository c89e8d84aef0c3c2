/**
 * A chart of several named curves over one quantitative axis (one line per series, a colour legend), with extra layers
 * underneath or on top: what the data-set report's contrast maps and harmonic profiles draw.
 */
import type { TopLevelSpec } from 'vega-lite';
import { VEGA_LITE_SCHEMA, chartConfig } from './chart-theme.js';

/** One layer of a layered Vega-Lite chart. */
export type ChartLayer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

/** What {@link seriesChart} draws. */
export interface SeriesChartOptions {
  title: string;
  subtitle: string;
  /** One object per point: `[x.field]`, `value` and `[series.field]`. */
  rows: Record<string, unknown>[];
  /** The x field, its scale and axis, and the tooltip's number format for it. */
  x: { field: string; title: string; scale: Record<string, unknown>; tickCount?: number; format: string };
  /** Title of the value axis. */
  yTitle: string;
  /** The field naming each curve, and the legend's title. */
  series: { field: string; title: string };
  /** Layers drawn under the curves (e.g. reference rules). */
  under?: ChartLayer[];
  /** Layers drawn over the curves. */
  over?: ChartLayer[];
}

/** The Vega-Lite spec of {@link SeriesChartOptions}: 620 × 260, category10 colours, a tooltip per point. */
export function seriesChart(options: SeriesChartOptions): TopLevelSpec {
  const { x, series } = options;
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    title: { text: options.title, subtitle: options.subtitle },
    width: 620,
    height: 260,
    layer: [
      ...(options.under ?? []),
      {
        data: { values: options.rows },
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x: {
            field: x.field,
            type: 'quantitative',
            scale: x.scale,
            axis: { title: x.title, ...(x.tickCount === undefined ? {} : { tickCount: x.tickCount }) },
          },
          y: { field: 'value', type: 'quantitative', title: options.yTitle },
          color: {
            field: series.field,
            type: 'nominal',
            title: series.title,
            scale: { scheme: 'category10' },
            legend: { labelLimit: 320, titleLimit: 320 },
          },
          tooltip: [
            { field: series.field, type: 'nominal' },
            { field: x.field, type: 'quantitative', format: x.format },
            { field: 'value', type: 'quantitative', format: '.3f' },
          ],
        },
      },
      ...(options.over ?? []),
    ],
  } as TopLevelSpec;
}
