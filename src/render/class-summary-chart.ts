/**
 * Charts of class-wise summaries of a data set: one class's mean model input above its mean attribution with the
 * inter-quartile band and median, over frequency in Hz; and every class's mean attribution on one chart for comparison.
 */
import type { TopLevelSpec } from 'vega-lite';
import { argumentError, described } from '../util/errors.js';
import { VEGA_LITE_SCHEMA, chartConfig } from './chart-theme.js';

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

/**
 * The Vega-Lite spec comparing classes: each class's mean heatmap as one coloured line over the same x axis.
 *
 * @throws WingbeatsError `SHAPE_MISMATCH` when a class's values do not match `x`.
 */
export function classComparisonSpec(
  x: ArrayLike<number>,
  classes: readonly { label: string; values: ArrayLike<number> }[],
  text: ProfileChartText,
  options: { width?: number } = {},
): TopLevelSpec {
  const values = classes.flatMap(({ label, values: v }) => {
    checkLength('classComparisonSpec', `classes['${label}'].values`, v, x.length);
    return Array.from({ length: x.length }, (_, i) => ({ x: x[i], value: v[i], label }));
  });
  const xTitle = text.xTitle ?? 'Frequency (Hz)';
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    title: text.subtitle === undefined ? { text: text.title } : { text: text.title, subtitle: text.subtitle },
    data: { values },
    width: options.width ?? 620,
    height: 260,
    mark: { type: 'line', strokeWidth: 1.8 },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        scale: { nice: false, zero: false },
        axis: { title: xTitle, tickCount: 9 },
      },
      y: { field: 'value', type: 'quantitative', title: text.valueTitle ?? 'Mean heatmap' },
      color: {
        field: 'label',
        type: 'nominal',
        title: 'Class',
        scale: { scheme: 'category10' },
        legend: { labelLimit: 260 },
      },
      tooltip: [
        { field: 'label', type: 'nominal' },
        { field: 'x', type: 'quantitative', format: '.0f' },
        { field: 'value', type: 'quantitative', format: '.3f' },
      ],
    },
  } as TopLevelSpec;
}
