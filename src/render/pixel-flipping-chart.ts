/**
 * Chart of pixel-flipping curves: the target score against the fraction of features flipped, one line per
 * attribution method (most relevant first), and the random-order baseline as its mean line with a min–max or
 * ±1 standard deviation band over the random seeds.
 */
import type { TopLevelSpec } from 'vega-lite';
import { argumentError, described } from '../util/errors.js';
import { VEGA_LITE_SCHEMA, chartConfig, LINE_COLORS } from './chart-theme.js';

/** One method's curve. */
export interface FlippingCurve {
  /** Method name shown in the legend. */
  method: string;
  /** Target score per step (step 0 = nothing flipped), aligned with `fractions`. */
  scores: ArrayLike<number>;
}

/** Data of a pixel-flipping chart. */
export interface PixelFlippingData {
  /** Fraction of features flipped at each step (0 … 1), ascending. */
  fractions: ArrayLike<number>;
  /** Curves of the attribution methods. */
  curves: FlippingCurve[];
  /** Random-order curves, one per seed (same length as `fractions`); drawn as mean + band. */
  random?: ArrayLike<number>[];
  title?: string;
  subtitle?: string;
}

/** Options of {@link pixelFlippingSpec}. */
export interface PixelFlippingOptions {
  width?: number;
  height?: number;
  /** Band around the random mean: `'min-max'` (default) or `'std'` (±1 standard deviation). */
  band?: 'min-max' | 'std';
  /** Y axis title (default `'Target score'`). */
  scoreLabel?: string;
}

const RANDOM_COLOR = '#8a8a8a';

/**
 * The Vega-Lite spec of pixel-flipping curves.
 *
 * @throws WingbeatsError (SHAPE_MISMATCH) when a curve's length differs from `fractions`, (INVALID_ARGUMENT) for bad options.
 */
export function pixelFlippingSpec(data: PixelFlippingData, options: PixelFlippingOptions = {}): TopLevelSpec {
  const fn = 'pixelFlippingSpec';
  const n = data.fractions?.length;
  if (typeof n !== 'number' || n < 1) throw argumentError(fn, 'data.fractions', 'a non-empty array', data.fractions);
  if (!Array.isArray(data.curves)) throw argumentError(fn, 'data.curves', 'an array of {method, scores}', data.curves);
  const band = options.band ?? 'min-max';
  if (band !== 'min-max' && band !== 'std') throw argumentError(fn, 'options.band', "'min-max' or 'std'", band);
  const check = (values: ArrayLike<number>, name: string) => {
    if (values?.length !== n)
      throw argumentError(
        fn,
        name,
        `of length ${n} (one score per fraction)`,
        described(`length ${values?.length}`),
        'SHAPE_MISMATCH',
      );
  };
  data.curves.forEach((c, i) => check(c.scores, `data.curves[${i}].scores`));
  const random = data.random ?? [];
  random.forEach((r, i) => check(r, `data.random[${i}]`));

  const randomName =
    random.length > 0 ? `random (mean, ${band === 'std' ? '±1 sd' : 'min–max'}, n = ${random.length})` : undefined;
  const lines: { fraction: number; score: number; method: string }[] = [];
  for (const curve of data.curves)
    for (let i = 0; i < n; i++)
      lines.push({ fraction: data.fractions[i], score: curve.scores[i], method: curve.method });
  const bandRows: { fraction: number; low: number; high: number }[] = [];
  if (randomName !== undefined) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const r of random) {
        sum += r[i];
        lo = Math.min(lo, r[i]);
        hi = Math.max(hi, r[i]);
      }
      const mean = sum / random.length;
      let sq = 0;
      for (const r of random) sq += (r[i] - mean) ** 2;
      const sd = random.length > 1 ? Math.sqrt(sq / (random.length - 1)) : 0;
      lines.push({ fraction: data.fractions[i], score: mean, method: randomName });
      bandRows.push(
        band === 'std'
          ? { fraction: data.fractions[i], low: mean - sd, high: mean + sd }
          : { fraction: data.fractions[i], low: lo, high: hi },
      );
    }
  }
  const methods = data.curves.map((c) => c.method);
  const domain = randomName !== undefined ? [...methods, randomName] : methods;
  const range = domain.map((_, i) => (i < methods.length ? LINE_COLORS[i % LINE_COLORS.length] : RANDOM_COLOR));
  const x = {
    field: 'fraction',
    type: 'quantitative',
    scale: { domain: [0, Math.max(1e-9, data.fractions[n - 1])], nice: false },
    axis: { title: 'Fraction of features flipped', format: '.0%' },
  };
  const layers: object[] = [];
  if (randomName !== undefined) {
    layers.push({
      data: { values: bandRows },
      mark: { type: 'area', color: RANDOM_COLOR, opacity: 0.22 },
      encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } },
    });
  }
  layers.push({
    data: { values: lines },
    mark: { type: 'line', strokeWidth: 2, point: n <= 25 ? { size: 22, filled: true } : false },
    encoding: {
      x,
      y: {
        field: 'score',
        type: 'quantitative',
        axis: { title: options.scoreLabel ?? 'Target score' },
        scale: { zero: false },
      },
      color: {
        field: 'method',
        type: 'nominal',
        scale: { domain, range },
        legend: { title: 'Order', orient: 'right', labelLimit: 260 },
      },
      strokeDash: {
        field: 'method',
        type: 'nominal',
        scale: { domain, range: domain.map((_, i) => (i < methods.length ? [1, 0] : [5, 3])) },
        legend: null,
      },
      tooltip: [
        { field: 'method', type: 'nominal', title: 'Order' },
        { field: 'fraction', type: 'quantitative', title: 'Flipped', format: '.1%' },
        { field: 'score', type: 'quantitative', title: options.scoreLabel ?? 'Score', format: '.3f' },
      ],
    },
  });
  const title = data.title ?? 'Pixel flipping';
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    title: data.subtitle !== undefined ? { text: title, subtitle: data.subtitle } : { text: title },
    width: options.width ?? 460,
    height: options.height ?? 280,
    layer: layers,
  } as TopLevelSpec;
}
