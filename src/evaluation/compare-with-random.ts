/**
 * "Does the explanation beat random?": pixel-flipping curves of attribution methods against random flipping over
 * several seeds, with AOPC and AUC per curve and the random baseline's mean and spread — the `evaluate` command's data.
 */
import type { ModelInput } from '../execution/explainable-model.js';
import { argumentError } from '../util/errors.js';
import type { InputLike } from '../execution/inputs.js';
import { withModelRequest } from '../session/model-request.js';
import {
  AttributionMethodName,
  attributionMethodNames,
  attributionMethods,
  isAttributionMethodName,
} from '../attribution/registry.js';
import { disposeAttribution } from '../attribution/types.js';
import { PixelFlippingOptions, PixelFlippingResult, flipPlan, flipResult, flipSetup } from './pixel-flipping.js';
import { FlipPlan, flipRows } from './flip-rows.js';
import { Spread, aopc, perturbationAuc, spread } from './curve-summaries.js';
import type { StatisticsSource } from './replacement-statistics.js';

export { EVALUATION_OPTIONS } from './evaluation-option-specs.js';

/** Options of {@link compareWithRandom}: those of pixel flipping (except `heatmaps`/`order`) plus the methods to compare. */
export interface CompareWithRandomOptions extends Omit<PixelFlippingOptions, 'heatmaps' | 'order'> {
  /** Registry names of the attribution methods whose heatmaps are flipped (default `['saliency']`). */
  methods?: readonly AttributionMethodName[];
  /** Random baseline: a number N of seeds (`seed`, `seed+1`, ..., default 5) or the list of seeds. */
  randomSeeds?: number | readonly number[];
  /** Extra options for every method (e.g. `{ steps: 64 }` for integrated gradients). */
  methodOptions?: Record<string, unknown>;
}

/** One perturbation curve in the `evaluate` JSON. */
export interface ComparisonCurve {
  /** Attribution method name, or `'random'`. */
  method: string;
  /** Seed of a random curve. */
  seed?: number;
  /** Flipped positions in order (flat indices over the non-channel axes). */
  positions: number[];
  /** Score vector after every step (step 0 unflipped). */
  scores: number[][];
  /** Target score after every step. */
  targetScores: number[];
  /** Area over the perturbation curve (larger = faster fall). */
  aopc: number;
  /** Area under the normalised curve over the fraction flipped (smaller = faster fall; NaN for score₀ ≤ 0). */
  auc: number;
}

/** One method against the random baseline, for one input. */
export interface MethodVersusRandom {
  method: string;
  aopc: number;
  auc: number;
  /** `aopc − mean random AOPC`: how much faster than random the score fell (compare with `random.aopc.std`). */
  aopcOverRandom: number;
}

/** The comparison for one input. */
export interface InputComparison {
  target: number;
  targetName?: string;
  /** Method curves in `methods` order, then one random curve per seed. */
  curves: ComparisonCurve[];
  /** AOPC and AUC of the random curves: mean and spread across seeds. */
  random: { aopc: Spread; auc: Spread };
  /** Each method's numbers against random. */
  methods: MethodVersusRandom[];
}

/** Result of {@link compareWithRandom}: plain JSON-ready numbers. */
export interface CompareWithRandomResult {
  /** Seed of the replacement draws of the method curves. */
  seed: number;
  /** Seeds of the random curves. */
  randomSeeds: number[];
  positionsPerStep: number;
  steps: number;
  positionCount: number;
  statistics: StatisticsSource;
  output: string;
  scores: string;
  /** One entry per input. */
  results: InputComparison[];
}

const FUNCTION = 'compareWithRandom';

function curveOf(method: string, result: PixelFlippingResult, example: number, seed?: number): ComparisonCurve {
  const c = result.curves[example];
  return {
    method,
    ...(seed === undefined ? {} : { seed }),
    positions: c.positions,
    scores: c.scores,
    targetScores: c.targetScores,
    aopc: aopc(c.targetScores),
    auc: perturbationAuc(c.targetScores, c.fractions),
  };
}

/**
 * Pixel flipping by each attribution method's heatmap (most relevant first) and by random positions for several
 * seeds (Samek et al. 2017), summarised by AOPC and AUC, so that "saliency beats random" is one number
 * (`aopcOverRandom`) next to the random baseline's spread (`random.aopc.std`).
 *
 * Targets are chosen once on the clean inputs (`target`, default top class) and shared by every method and curve.
 * Options: `methods` (['saliency']), `randomSeeds` (5), `methodOptions` ({}), and those of `pixelFlipping`:
 * `fraction` (0.25), `step` (0.005), `statistics` ('auto'), `output`, `scores` ('logits'), `batchSize` (64),
 * `seed` (random, reported; method curves use it for the replacement draws), `onProgress` (curves done, total curves:
 * one per method and input batch, one per random seed).
 * Returns plain numbers (no tensors). Throws WingbeatsError naming a bad argument (unknown method, ...).
 * @example const { results } = await compareWithRandom(model, x, { methods: ['saliency', 'integrated-gradients'], seed: 0 });
 */
export async function compareWithRandom(
  modelInput: ModelInput,
  inputs: InputLike,
  options: CompareWithRandomOptions = {},
): Promise<CompareWithRandomResult> {
  const requested: unknown = options.methods ?? ['saliency'];
  if (!Array.isArray(requested) || requested.length === 0)
    throw argumentError(FUNCTION, 'methods', `a non-empty list of ${attributionMethodNames.join(', ')}`, requested);
  const methods = requested as AttributionMethodName[];
  for (const name of methods as unknown[]) {
    if (typeof name !== 'string' || !isAttributionMethodName(name))
      throw argumentError(
        FUNCTION,
        'methods',
        `a list of ${attributionMethodNames.map((n) => `'${n}'`).join(', ')}`,
        name,
      );
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed))
    throw argumentError(FUNCTION, 'seed', 'a finite number', options.seed);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const seedsOption = options.randomSeeds ?? 5;
  let randomSeeds: number[];
  if (typeof seedsOption === 'number') {
    if (!Number.isInteger(seedsOption) || seedsOption < 1)
      throw argumentError(FUNCTION, 'randomSeeds', 'a positive integer or a list of seeds', seedsOption);
    randomSeeds = Array.from({ length: seedsOption }, (_, i) => seed + i);
  } else if (Array.isArray(seedsOption) && seedsOption.length > 0 && seedsOption.every((s) => Number.isFinite(s))) {
    randomSeeds = [...seedsOption];
  } else {
    throw argumentError(FUNCTION, 'randomSeeds', 'a positive integer or a non-empty list of seeds', seedsOption);
  }
  return withModelRequest(FUNCTION, modelInput, inputs, options, async (request) => {
    const { x, targets, batchSize } = request;
    const { methods: _m, randomSeeds: _r, methodOptions, onProgress, ...flipOptions } = options;
    const batch = x.shape[0];
    const setup = flipSetup(FUNCTION, request, flipOptions);

    // Every curve's plan first (method heatmaps ordered most relevant first, random orders from their seeds) ...
    const plans: FlipPlan[] = [];
    for (const name of methods) {
      const attribution = await attributionMethods[name].run(request.session, x, {
        ...(methodOptions ?? {}),
        target: targets,
        output: options.output,
        scores: options.scores,
        batchSize,
        seed,
        execution: request.execution,
      });
      let heatmaps: Float32Array[];
      try {
        const values = attribution.heatmaps.dataSync() as Float32Array;
        const per = values.length / batch;
        heatmaps = Array.from({ length: batch }, (_, e) => values.slice(e * per, (e + 1) * per));
      } finally {
        disposeAttribution(attribution);
      }
      plans.push(flipPlan(FUNCTION, setup, batch, seed, heatmaps, 'most-relevant-first'));
    }
    for (const s of randomSeeds) plans.push(flipPlan(FUNCTION, setup, batch, s, null, 'most-relevant-first'));

    // ... then the flipped rows of all curves as one chunked stream; step 0 is the request's own prediction.
    const perCurve = setup.steps * batch;
    let curvesDone = 0;
    const flipped = await flipRows(request, setup, plans, (rows) => {
      while (curvesDone < Math.floor(rows / perCurve)) {
        curvesDone++;
        onProgress?.(curvesDone, plans.length);
      }
    });
    const resultOf = (i: number, curveSeed: number, order: 'most-relevant-first' | 'random'): PixelFlippingResult =>
      flipResult(
        request,
        setup,
        plans[i],
        { scores: flipped.scores[i], finalInputs: flipped.finalInputs[i] },
        curveSeed,
        order,
      );
    const methodResults = methods.map((_, i) => resultOf(i, seed, 'most-relevant-first'));
    const randomResults = randomSeeds.map((s, i) => resultOf(methods.length + i, s, 'random'));

    const first = methodResults[0] ?? randomResults[0];
    const results = targets.map((target, e): InputComparison => {
      const methodCurves = methodResults.map((r, i) => curveOf(methods[i], r, e));
      const randomCurves = randomResults.map((r, i) => curveOf('random', r, e, randomSeeds[i]));
      const random = { aopc: spread(randomCurves.map((c) => c.aopc)), auc: spread(randomCurves.map((c) => c.auc)) };
      const targetName = first.curves[e].targetName;
      return {
        target,
        ...(targetName === undefined ? {} : { targetName }),
        curves: [...methodCurves, ...randomCurves],
        random,
        methods: methodCurves.map((c) => ({
          method: c.method,
          aopc: c.aopc,
          auc: c.auc,
          aopcOverRandom: c.aopc - random.aopc.mean,
        })),
      };
    });
    return {
      seed,
      randomSeeds,
      positionsPerStep: first.positionsPerStep,
      steps: first.steps,
      positionCount: first.positionCount,
      statistics: first.statistics,
      output: first.output,
      scores: first.scores,
      results,
    };
  });
}
