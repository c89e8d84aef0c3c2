/** The random-logit test (Sixt et al. 2020): is the explanation of the predicted class different from another class's? */
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { RequestOptions, withModelRequest, type ModelRequest } from '../session/model-request.js';
import { argumentError } from '../util/errors.js';
import { createRng } from '../util/rng.js';
import { positionLayout } from './flip-order.js';
import { MethodChoice, methodFunction, methodRows } from './method-attributions.js';
import { spearman } from './rank-correlation.js';
import { ssim } from './ssim.js';

/** Options of {@link randomLogit}. */
export interface RandomLogitOptions extends RequestOptions {
  /** The explanation: a registry name or a method function (default `'saliency'`). */
  method?: MethodChoice;
  /** Options of the method. */
  methodOptions?: Record<string, unknown>;
}

const FUNCTION = 'randomLogit';

/** The random other class of each example (uniform over the classes other than its target, from `seed`). */
export function randomOtherClasses(targets: readonly number[], classes: number, seed: number): number[] {
  if (classes < 2) throw argumentError(FUNCTION, 'model', 'a head with at least 2 classes', classes);
  return targets.map((t, e) => {
    const k = createRng(`${seed}:random-logit:${e}`).int(classes - 1);
    return k >= t ? k + 1 : k;
  });
}

/** Similarity of two heatmaps: SSIM for 2-D position grids, Spearman's rank correlation otherwise. */
export function heatmapSimilarity(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  positionShape: readonly number[],
): number {
  return positionShape.length === 2 ? ssim(a, b, positionShape[0], positionShape[1]) : spearman(a, b);
}

/** Random-logit similarity within a request, from the heatmaps of the clean targets (`heatmaps`, one row per example). */
export async function randomLogitOf(
  request: ModelRequest,
  heatmaps: readonly Float32Array[],
  options: { method: MethodChoice; methodOptions?: Record<string, unknown>; seed: number },
): Promise<{ similarity: number[]; otherClasses: number[] }> {
  const method = methodFunction(FUNCTION, options.method);
  const others = randomOtherClasses(request.targets, request.rows[0]?.length ?? 0, options.seed);
  const other = await methodRows(
    method,
    request,
    request.model,
    request.x,
    others,
    options.seed,
    options.methodOptions,
  );
  const { positionShape } = positionLayout(request.x.shape.slice(1));
  return {
    similarity: heatmaps.map((h, e) => heatmapSimilarity(h, other.heatmaps[e], positionShape)),
    otherClasses: others,
  };
}

/**
 * The random-logit test (Sixt et al. 2020, "When explanations lie"): the similarity between the method's heatmap for the
 * explained class and its heatmap for a random other class (seeded, uniform over the other classes) — SSIM for 2-D maps
 * (spectrograms), Spearman's rank correlation for 1-D maps (spectra). Near 1 = the explanation hardly depends on the
 * class (it shows the input, not the decision); lower is better.
 *
 * Options: `method` ('saliency'), `methodOptions`, `target`, `output`, `scores` ('logits'), `batchSize`, `seed`.
 * Returns one number per example and the random classes.
 * @example const { similarity } = await randomLogit(model, x, { method: 'gradients', seed: 0 });
 */
export async function randomLogit(
  modelInput: ModelInput,
  inputs: InputLike,
  options: RandomLogitOptions = {},
): Promise<{ similarity: number[]; otherClasses: number[] }> {
  const method = methodFunction(FUNCTION, options.method ?? 'saliency');
  return withModelRequest(FUNCTION, modelInput, inputs, options, async (request) => {
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const { heatmaps } = await methodRows(
      method,
      request,
      request.model,
      request.x,
      request.targets,
      seed,
      options.methodOptions,
    );
    return randomLogitOf(request, heatmaps, { ...options, method, seed });
  });
}
