/**
 * Charts of class-wise summaries of a data set: one class's mean model input above its mean attribution with the
 * inter-quartile band and median, over frequency in Hz; and every class's mean attribution as one row of a heatmap of
 * classes × frequency for comparison.
 */
import type { TopLevelSpec } from 'vega-lite';
import { argumentError, described } from '../util/errors.js';
import { VEGA_LITE_SCHEMA, chartConfig } from './chart-theme.js';
import { vegaColorScale } from './colormaps.js';

/** One class's summary along one axis (frequency bins, or positions). */
export interface ClassProfile {
  /** x value of each position (Hz, or the position number). */
  x: ArrayLike<number>;
  mean: ArrayLike<number>;
  q25: ArrayLike<number>;
  median: ArrayLike<number>;
  q75: ArrayLike<number>;
  /** The class's mean model input at each position (e.g. its mean PSD in dB); omitted: no input panel. */
  meanInput?: ArrayLike<number>;
}

/** Axis titles and the chart title. */
export interface ProfileChartText {
  title: string;
  subtitle?: string;
  /** Default `'Frequency (Hz)'`. */
  xTitle?: string;
  /** Default `'Power (dB)'`. */
  inputTitle?: string;
  /** Default `'Heatmap'`. */
  valueTitle?: string;
}

function checkLength(fn: string, name: string, values: ArrayLike<number> | undefined, n: number): void {
  if (values !== undefined && values.length !== n)
    throw argumentError(fn, name, `of length ${n} (as x)`, described(`length ${values.length}`), 'SHAPE_MISMATCH');
}

/**
 * The Vega-Lite spec of one class: mean input (top, when given) and mean heatmap with its q25–q75 band and median
 * (dashed) along the same x axis.
 *
 * @throws WingbeatsError `SHAPE_MISMATCH` when the arrays differ in length.
 */
export function classProfileSpec(
  profile: ClassProfile,
  text: ProfileChartText,
  options: { width?: number } = {},
): TopLevelSpec {
  const fn = 'classProfileSpec';
  const n = profile.x.length;
  for (const key of ['mean', 'q25', 'median', 'q75', 'meanInput'] as const)
    checkLength(fn, `profile.${key}`, profile[key], n);
  const values = Array.from({ length: n }, (_, i) => ({
    x: profile.x[i],
    mean: profile.mean[i],
    q25: profile.q25[i],
    median: profile.median[i],
    q75: profile.q75[i],
    input: profile.meanInput?.[i] ?? null,
  }));
  const width = options.width ?? 560;
  const xTitle = text.xTitle ?? 'Frequency (Hz)';
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    scale: { nice: false, zero: false },
    axis: { title: xTitle, tickCount: 9 },
  };
  const spread = {
    width,
    height: 170,
    layer: [
      {
        mark: { type: 'area' as const, color: '#0072b2', opacity: 0.22 },
        encoding: {
          x,
          y: {
            field: 'q25',
            type: 'quantitative' as const,
            title: text.valueTitle ?? 'Heatmap',
            scale: { domain: [0, 1] },
          },
          y2: { field: 'q75' },
        },
      },
      {
        mark: { type: 'line' as const, color: '#0072b2', strokeWidth: 1.2, strokeDash: [4, 3] },
        encoding: { x, y: { field: 'median', type: 'quantitative' as const } },
      },
      {
        mark: { type: 'line' as const, color: '#d55e00', strokeWidth: 2 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative' as const },
          tooltip: [
            { field: 'x', type: 'quantitative' as const, title: xTitle, format: '.0f' },
            { field: 'mean', type: 'quantitative' as const, format: '.3f' },
            { field: 'q25', type: 'quantitative' as const, format: '.3f' },
            { field: 'q75', type: 'quantitative' as const, format: '.3f' },
          ],
        },
      },
    ],
  };
  const inputPanel = {
    width,
    height: 130,
    mark: { type: 'line' as const, color: '#4a4a4a', strokeWidth: 1.4 },
    encoding: {
      x: { ...x, axis: { title: null, labels: false, ticks: false } },
      y: {
        field: 'input',
        type: 'quantitative' as const,
        title: text.inputTitle ?? 'Power (dB)',
        scale: { zero: false },
      },
    },
  };
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    title: text.subtitle === undefined ? { text: text.title } : { text: text.title, subtitle: text.subtitle },
    data: { values },
    spacing: 4,
    vconcat: profile.meanInput === undefined || profile.meanInput.length === 0 ? [spread] : [inputPanel, spread],
  } as TopLevelSpec;
}

/** Edges of cells centred on ascending `x` (half-way between neighbours; the outer cells as wide as their neighbour). */
function cellBounds(x: ArrayLike<number>): { lo: number[]; hi: number[] } {
  const n = x.length;
  const lo: number[] = [];
  const hi: number[] = [];
  for (let i = 0; i < n; i++) {
    const left = i > 0 ? (x[i - 1] + x[i]) / 2 : n > 1 ? x[0] - (x[1] - x[0]) / 2 : x[0] - 0.5;
    const right = i < n - 1 ? (x[i] + x[i + 1]) / 2 : n > 1 ? x[i] + (x[i] - x[i - 1]) / 2 : x[0] + 0.5;
    lo.push(left);
    hi.push(right);
  }
  return { lo, hi };
}

/**
 * The Vega-Lite spec comparing classes: a heatmap of classes (rows, in the given order) × x (frequency bins or
 * positions), coloured by each class's mean heatmap on one shared scale from 0 (or the smallest value, if negative) to
 * the largest. Unlike one line per class on one chart, five or fifty classes stay readable.
 *
 * @param x - The x value of each position (Hz, or the position number), in any order (drawn ascending).
 * @param classes - One row per class: its label and one value per position.
 * @param text - Title, subtitle, x-axis title (default `'Frequency (Hz)'`), legend title (default `'Mean heatmap'`).
 * @param options - `width` of the plot in px (default 620); `rowHeight` per class in px (default 22).
 * @returns A Vega-Lite spec.
 * @throws WingbeatsError `SHAPE_MISMATCH` when a class's values do not match `x`.
 * @example classComparisonSpec([0, 31.25, 62.5], [{ label: 'Aedes', values: [0.1, 0.5, 0.2] }], { title: 'All classes' })
 */
export function classComparisonSpec(
  x: ArrayLike<number>,
  classes: readonly { label: string; values: ArrayLike<number> }[],
  text: ProfileChartText,
  options: { width?: number; rowHeight?: number } = {},
): TopLevelSpec {
  // Positions in ascending x (a spectrogram's rows run from the highest frequency down).
  const order = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const { lo, hi } = cellBounds(order.map((i) => x[i]));
  let min = 0;
  let max = 0;
  const values = classes.flatMap(({ label, values: v }) => {
    checkLength('classComparisonSpec', `classes['${label}'].values`, v, x.length);
    return order.map((i, k) => {
      if (Number.isFinite(v[i])) {
        min = Math.min(min, v[i]);
        max = Math.max(max, v[i]);
      }
      return { x: x[i], x0: lo[k], x1: hi[k], value: v[i], label };
    });
  });
  const xTitle = text.xTitle ?? 'Frequency (Hz)';
  const legendTitle = text.valueTitle ?? 'Mean heatmap';
  const domain: [number, number] = max > min ? [min, max] : [min, min + 1];
  const config = chartConfig();
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: {
      ...config,
      legend: { ...config.legend, gradientLength: Math.max(60, Math.min(160, classes.length * 22)) },
    },
    title: text.subtitle === undefined ? { text: text.title } : { text: text.title, subtitle: text.subtitle },
    data: { values },
    width: options.width ?? 620,
    height: Math.max(1, classes.length) * (options.rowHeight ?? 22),
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: 'x0',
        type: 'quantitative',
        scale: { domain: [lo[0] ?? 0, hi[hi.length - 1] ?? 1], nice: false, zero: false },
        axis: { title: xTitle, tickCount: 9 },
      },
      x2: { field: 'x1' },
      y: {
        field: 'label',
        type: 'nominal',
        sort: classes.map((c) => c.label),
        axis: { title: null, labelLimit: 260 },
      },
      color: {
        field: 'value',
        type: 'quantitative',
        title: legendTitle,
        scale:
          min < 0
            ? vegaColorScale('rdbu', [-Math.max(-min, max), Math.max(-min, max)])
            : vegaColorScale('inferno', domain),
      },
      tooltip: [
        { field: 'label', type: 'nominal', title: 'Class' },
        { field: 'x', type: 'quantitative', title: xTitle, format: '.0f' },
        { field: 'value', type: 'quantitative', title: legendTitle, format: '.3f' },
      ],
    },
  } as TopLevelSpec;
}
