/** Chart of the randomisation sanity check: similarity to the trained model's explanation per step, one line per method. */
import type { TopLevelSpec } from 'vega-lite';
import { argumentError, described } from '../util/errors.js';
import { VEGA_LITE_SCHEMA, chartConfig, LINE_COLORS } from './chart-theme.js';

/** Data of a sanity-check chart. */
export interface SanityChartData {
  /** Randomised layers in order (top first); the x axis is "original", then each layer. */
  layers: readonly string[];
  /** One curve per method: similarity per step (length `layers.length + 1`). */
  curves: { method: string; values: ArrayLike<number> }[];
  /** Y axis title (default `'Spearman rank correlation'`). */
  measure?: string;
  title?: string;
  subtitle?: string;
}

/**
 * The Vega-Lite spec of a cascading-randomisation plot (as in Adebayo et al. 2018, Fig. 2): x = the layer randomised last
 * (cumulative, top layer first), y = similarity with the trained model's explanation, one line per method.
 * @throws WingbeatsError (SHAPE_MISMATCH) when a curve does not have one value per step.
 */
export function sanityCheckSpec(
  data: SanityChartData,
  options: { width?: number; height?: number } = {},
): TopLevelSpec {
  const steps = ['original', ...data.layers];
  data.curves.forEach((c, i) => {
    if (c.values?.length !== steps.length)
      throw argumentError(
        'sanityCheckSpec',
        `data.curves[${i}].values`,
        `of length ${steps.length} (one value per step)`,
        described(`length ${c.values?.length}`),
        'SHAPE_MISMATCH',
      );
  });
  const rows = data.curves.flatMap((c) =>
    steps.map((step, k) => ({ step, order: k, value: c.values[k], method: c.method })),
  );
  const methods = data.curves.map((c) => c.method);
  const measure = data.measure ?? 'Spearman rank correlation';
  const title = data.title ?? 'Cascading randomisation';
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    title: data.subtitle !== undefined ? { text: title, subtitle: data.subtitle } : { text: title },
    width: options.width ?? Math.max(360, steps.length * 34),
    height: options.height ?? 260,
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', color: '#999', strokeDash: [3, 3] }, encoding: { y: { datum: 0 } } },
      {
        mark: { type: 'line', strokeWidth: 2, point: { size: 26, filled: true } },
        encoding: {
          x: {
            field: 'step',
            type: 'ordinal',
            sort: steps,
            axis: { title: 'Randomised down to layer (cumulative, top first)', labelAngle: -40 },
          },
          y: { field: 'value', type: 'quantitative', scale: { domain: [-1, 1] }, axis: { title: measure } },
          color: {
            field: 'method',
            type: 'nominal',
            scale: { domain: methods, range: methods.map((_, i) => LINE_COLORS[i % LINE_COLORS.length]) },
            legend: { title: 'Method', orient: 'right', labelLimit: 260 },
          },
          tooltip: [
            { field: 'method', type: 'nominal', title: 'Method' },
            { field: 'step', type: 'ordinal', title: 'Randomised to' },
            { field: 'value', type: 'quantitative', title: measure, format: '.3f' },
          ],
        },
      },
    ],
  } as TopLevelSpec;
}
