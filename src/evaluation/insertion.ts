/** The insertion metric: a relevance order against random orders, as one normalised area per example. */
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { RequestOptions, withModelRequest } from '../session/model-request.js';
import { HeatmapsLike, heatmapRows } from './pixel-flipping.js';
import { positionLayout } from './flip-order.js';
import { CurveOptions, CurveSummary, perturbationCurves } from './perturbation-curves.js';

/** Options of {@link insertion}. */
export interface InsertionOptions extends RequestOptions, CurveOptions {
  /** Relevance per position, one map per example (e.g. `AttributionResult.heatmaps`). */
  heatmaps: HeatmapsLike;
  /** Called with (rows evaluated, total rows). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Insertion (Petsiuk et al. 2018 (RISE: insertion)): starts from the input with every position removed and puts the original values back, most relevant first, recording how fast the target score recovers; higher AUC is better.
 * Every position's removal value is drawn once per example (`mean + std·z` of the replacement `statistics`, one z per
 * position for all its channels), so the explanation's order and the random orders remove the same values. Scores are
 * normalised so that 1 is the original input's target score and 0 the score with every position removed; `auc` is the
 * mean normalised score over the curve ("score unchanged" reads 1), `random` the same for each random order.
 *
 * Options: `heatmaps` (required), `fraction` (1), `step` (0.01), `statistics` ('auto'), `randomSeeds` (5),
 * `target` (top class), `output`, `scores` ('logits'), `batchSize`, `seed` (random, reported by none: pass one to
 * reproduce). Returns one {@link CurveSummary} per example (plain numbers). Throws WingbeatsError naming a bad argument.
 * @example const [curve] = await insertion(model, x, { heatmaps: result.heatmaps, seed: 0 });
 */
export async function insertion(
  modelInput: ModelInput,
  inputs: InputLike,
  options: InsertionOptions,
): Promise<CurveSummary[]> {
  return withModelRequest('insertion', modelInput, inputs, options, async (request) => {
    const layout = positionLayout(request.x.shape.slice(1));
    const relevance = heatmapRows('insertion', options?.heatmaps, request.x.shape[0], layout);
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const [curves] = await perturbationCurves(
      'insertion',
      request,
      'insertion',
      [relevance],
      { ...options, seed },
      options.onProgress,
    );
    return curves;
  });
}
