/**
 * Pixel flipping (region perturbation): replace the most relevant positions of an input step by step with draws
 * from a normal distribution and record how the model's scores fall — the original `flip_pixels`, every step
 * evaluated in batches.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelInput, ScoreKind } from '../execution/explainable-model.js';
import { argumentError, described } from '../util/errors.js';
import type { InputLike, NestedArray } from '../execution/inputs.js';
import { ModelRequest, RequestOptions, withModelRequest } from '../session/model-request.js';
import { createRng } from '../util/rng.js';
import { FlipPlan, FlipSetup, flipRows } from './flip-rows.js';
import { FlipOrder, PositionLayout, flipOrders, positionLayout, randomOrder, relevanceOrder } from './flip-order.js';
import { StatisticsOption, StatisticsSource, replacementStatistics } from './replacement-statistics.js';

/** Heatmaps to flip by: a tensor `[batch, ...positions]` (e.g. `AttributionResult.heatmaps`), or one array per example. */
export type HeatmapsLike = tf.Tensor | NestedArray | readonly ArrayLike<number>[];

/** Options of {@link pixelFlipping} (plus those of the request frame: `target`, `output`, `scores`, `batchSize`, `seed`, `execution`). */
export interface PixelFlippingOptions extends RequestOptions {
  /** Relevance per position, one map per example; omitted = random positions (drawn without replacement). */
  heatmaps?: HeatmapsLike;
  /** `'most-relevant-first'` (MoRF, default) or `'least-relevant-first'`; ignored for random flipping. */
  order?: FlipOrder;
  /** Fraction of all positions flipped in total (default 0.25); `floor(fraction·positions)` positions. */
  fraction?: number;
  /** Fraction of all positions flipped per step (default 0.005), at least one position. */
  step?: number;
  /** Where replacement values are drawn from (default `'auto'`, see {@link StatisticsOption}). */
  statistics?: StatisticsOption;
  /** Called with (rows evaluated, total rows). */
  onProgress?: (done: number, total: number) => void;
}

/** The perturbation curve of one example. */
export interface PixelFlippingCurve {
  /** Class followed. */
  target: number;
  /** Its name, where the head has labels. */
  targetName?: string;
  /** Flipped positions in the order flipped (flat indices over the non-channel axes). */
  positions: number[];
  /** The full score vector after every step; step 0 is the unflipped input. `steps + 1` rows. */
  scores: number[][];
  /** The target's score after every step (`steps + 1` numbers). */
  targetScores: number[];
  /** Fraction of all positions flipped after every step (`steps + 1` numbers, from 0). */
  fractions: number[];
  /** The input after the last step, row-major in the input's shape (without batch axis). */
  finalInput: Float32Array;
}

/** Result of {@link pixelFlipping}: plain numbers, no tensors. */
export interface PixelFlippingResult {
  /** The flip order used, `'random'` without heatmaps. */
  order: FlipOrder | 'random';
  /** Which replacement statistics were used. */
  statistics: StatisticsSource;
  /** The seed used (pass it back to reproduce the run). */
  seed: number;
  /** Input shape without batch axis. */
  inputShape: number[];
  /** Shape of the positions (the heatmap's shape). */
  positionShape: number[];
  /** Number of positions. */
  positionCount: number;
  /** Positions flipped per step. */
  positionsPerStep: number;
  /** Number of flipping steps (curves have `steps + 1` points). */
  steps: number;
  /** Name of the head followed. */
  output: string;
  /** Kind of scores recorded. */
  scores: ScoreKind;
  /** One curve per example. */
  curves: PixelFlippingCurve[];
}

const FUNCTION = 'pixelFlipping';

/** Number of positions per step and of steps, as the original (`int(N·fraction)`, `int(N·step)`), at least 1 per step. */
export function flipSchedule(
  functionName: string,
  positions: number,
  fraction: number,
  step: number,
): { total: number; perStep: number; steps: number } {
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1))
    throw argumentError(functionName, 'fraction', 'a number in (0, 1]', fraction);
  if (typeof step !== 'number' || !(step > 0 && step <= 1))
    throw argumentError(functionName, 'step', 'a number in (0, 1]', step);
  const total = Math.floor(positions * fraction);
  if (total < 1) {
    throw argumentError(
      functionName,
      'fraction',
      `at least 1/${positions} so that one of the ${positions} positions is flipped`,
      fraction,
    );
  }
  const perStep = Math.min(total, Math.max(1, Math.floor(positions * step)));
  // As the original: only whole steps are flipped (a remainder smaller than one step is left alone).
  return { total, perStep, steps: Math.floor(total / perStep) };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Relevance rows (one array per example) from the `heatmaps` option, checked against the layout. */
export function heatmapRows(
  functionName: string,
  heatmaps: HeatmapsLike,
  batch: number,
  layout: PositionLayout,
): ArrayLike<number>[] {
  let rows: ArrayLike<number>[];
  let shapeText: string;
  if (heatmaps instanceof tf.Tensor) {
    if (heatmaps.isDisposed)
      throw argumentError(functionName, 'heatmaps', 'a live tensor', described('a disposed tensor'));
    const values = heatmaps.dataSync();
    // One example without batch axis when the tensor has exactly the position shape; else batch axis first.
    const count = sameShape(heatmaps.shape, layout.positionShape) ? 1 : Math.max(1, heatmaps.shape[0]);
    const perExample = values.length / count;
    rows = Array.from({ length: count }, (_, e) => values.subarray(e * perExample, (e + 1) * perExample));
    shapeText = `shape [${heatmaps.shape.join(',')}]`;
  } else if (Array.isArray(heatmaps) && heatmaps.length > 0 && ArrayBuffer.isView(heatmaps[0])) {
    rows = heatmaps as ArrayLike<number>[];
    shapeText = `${rows.length} arrays of lengths ${rows.map((r) => r.length).join(',')}`;
  } else if (Array.isArray(heatmaps)) {
    const nested = heatmaps as unknown as unknown[];
    // One example given without batch axis: nested arrays of exactly the position shape.
    const shape: number[] = [];
    for (let level: unknown = nested; Array.isArray(level); level = level[0]) shape.push(level.length);
    const list = sameShape(shape, layout.positionShape) ? [nested] : nested;
    rows = list.map((row) => (Array.isArray(row) ? (row.flat(Infinity) as number[]) : [row as number]));
    shapeText = `${rows.length} maps of ${rows.map((r) => r.length).join(',')} values`;
  } else {
    throw argumentError(functionName, 'heatmaps', 'a tensor, nested arrays or one typed array per example', heatmaps);
  }
  if (rows.length !== batch || rows.some((r) => r.length !== layout.positions)) {
    throw argumentError(
      functionName,
      'heatmaps',
      `one map of ${layout.positions} positions (shape [${layout.positionShape.join(',')}]) per example (${batch})`,
      described(shapeText),
      'SHAPE_MISMATCH',
    );
  }
  return rows;
}

function checkOrder(functionName: string, options: PixelFlippingOptions): void {
  if (options.order !== undefined && !flipOrders.includes(options.order)) {
    throw argumentError(functionName, 'order', flipOrders.map((o) => `'${o}'`).join(' or '), options.order);
  }
}

/**
 * Pixel flipping (Samek et al. 2017, "Evaluating the visualization of what a deep neural network has learned"):
 * flips `fraction` of all positions, `step` of them at a time, most relevant first, and records the scores after every
 * step. A flipped position gets, in every channel c, `mean[p,c] + std[p,c]·z` with one standard-normal draw z per
 * position (the original inserts the same value in all channels; with identical channels this is that value).
 * Without `heatmaps` the positions are random, drawn without replacement (the original drew with replacement).
 * Every example of the batch has its own heatmap, target and curve. The flipped inputs of all steps are built on the
 * host and sent through `model.run` in chunks of `batchSize` rows (the original made one model call per step).
 *
 * Options (see {@link PixelFlippingOptions}): `heatmaps`, `order` ('most-relevant-first'), `fraction` (0.25),
 * `step` (0.005; at least one position, so a 129-bin spectrum flips one bin per step where the original's step was 0),
 * `statistics` ('auto'), `target` (top class), `output` (0), `scores` ('logits'), `batchSize` (64), `seed` (random,
 * reported). The same seed gives the same result.
 *
 * Returns plain numbers and typed arrays (no tensors): per example the flipped `positions`, `scores` (step 0 =
 * unflipped), `targetScores`, `fractions` and `finalInput`. Throws WingbeatsError naming the argument (shape of
 * `heatmaps` or `statistics`, `fraction`, `step`, `order`, `target`, ...).
 * @example
 * const { heatmaps } = await saliency(model, x);
 * const { curves } = await pixelFlipping(model, x, { heatmaps, seed: 1 });
 * heatmaps.dispose();
 */
export async function pixelFlipping(
  modelInput: ModelInput,
  inputs: InputLike,
  options: PixelFlippingOptions = {},
): Promise<PixelFlippingResult> {
  checkOrder(FUNCTION, options);
  return withModelRequest(FUNCTION, modelInput, inputs, options, (request) => flip(request, options));
}

/** The setup every curve of a request shares: layout, schedule, replacement statistics, the clean inputs. */
export function flipSetup(functionName: string, request: ModelRequest, options: PixelFlippingOptions): FlipSetup {
  const data = request.x.dataSync() as Float32Array;
  const batch = request.x.shape[0];
  const layout = positionLayout(request.x.shape.slice(1));
  const { perStep, steps } = flipSchedule(
    functionName,
    layout.positions,
    options.fraction ?? 0.25,
    options.step ?? 0.005,
  );
  const stats = replacementStatistics(functionName, options.statistics, request.model, data, batch, layout);
  return { layout, stats, perStep, steps, data };
}

/**
 * The plan of one curve per example: positions by relevance (or random without replacement, from `seed`) and one
 * standard-normal draw per flipped position (from `seed`).
 */
export function flipPlan(
  functionName: string,
  setup: FlipSetup,
  batch: number,
  seed: number,
  relevance: ArrayLike<number>[] | null,
  order: FlipOrder,
): FlipPlan {
  const flipped = setup.perStep * setup.steps;
  const positions = Array.from({ length: batch }, (_, e) =>
    relevance === null
      ? randomOrder(setup.layout.positions, flipped, createRng(`${seed}:positions:${e}`))
      : relevanceOrder(relevance[e], order, flipped, functionName, 'heatmaps'),
  );
  const draws = Array.from({ length: batch }, (_, e) => {
    const rng = createRng(`${seed}:values:${e}`);
    return Float64Array.from({ length: flipped }, () => rng.normal());
  });
  return { positions, draws };
}

/** The result of one plan, with step 0 (the clean inputs' scores) from the request. */
export function flipResult(
  request: ModelRequest,
  setup: FlipSetup,
  plan: FlipPlan,
  flipped: { scores: number[][][]; finalInputs: Float32Array[] },
  seed: number,
  order: FlipOrder | 'random',
): PixelFlippingResult {
  const { layout, perStep, steps } = setup;
  const fractions = Array.from({ length: steps + 1 }, (_, k) => (k * perStep) / layout.positions);
  const curves = request.targets.map((target, e): PixelFlippingCurve => {
    const rows = [request.rows[e], ...flipped.scores[e]];
    return {
      target,
      ...(request.labels?.[target] === undefined ? {} : { targetName: request.labels[target] }),
      positions: plan.positions[e],
      scores: rows,
      targetScores: rows.map((row) => row[target]),
      fractions,
      finalInput: flipped.finalInputs[e],
    };
  });
  return {
    order,
    statistics: setup.stats.source,
    seed,
    inputShape: layout.inputShape,
    positionShape: layout.positionShape,
    positionCount: layout.positions,
    positionsPerStep: perStep,
    steps,
    output: request.output,
    scores: request.scores,
    curves,
  };
}

async function flip(request: ModelRequest, options: PixelFlippingOptions): Promise<PixelFlippingResult> {
  const batch = request.x.shape[0];
  const setup = flipSetup(FUNCTION, request, options);
  const relevance =
    options.heatmaps === undefined ? null : heatmapRows(FUNCTION, options.heatmaps, batch, setup.layout);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const order = options.order ?? 'most-relevant-first';
  const plan = flipPlan(FUNCTION, setup, batch, seed, relevance, order);
  const totalRows = (setup.steps + 1) * batch;
  const flipped = await flipRows(request, setup, [plan], (done) => options.onProgress?.(batch + done, totalRows));
  const one = { scores: flipped.scores[0], finalInputs: flipped.finalInputs[0] };
  return flipResult(request, setup, plan, one, seed, relevance === null ? 'random' : order);
}
