import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { runMethod } from './run-method.js';
import { pooledTargetGradients } from './pooled-target-gradients.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/**
 * Saliency map: |d(target score)/d(input)| (Simonyan et al. 2014), the original `saliency_map`, for every example.
 *
 * `heatmaps`: max over the channel axis, min-max normalised per example to [0,1] with the original's 1e-16 guard.
 * Options as {@link AttributionOptions}. Tensors in the result are owned by the caller.
 * @example const { heatmaps } = await saliency(model, x);
 */
export async function saliency(
  model: ModelInput,
  inputs: InputLike,
  options: AttributionOptions = {},
): Promise<AttributionResult> {
  return runMethod(
    { method: 'saliency', functionName: 'saliency', reduction: 'max-abs' },
    model,
    inputs,
    options,
    async (ctx) => {
      const grads = await pooledTargetGradients(ctx);
      const attributions = tf.abs(grads);
      grads.dispose();
      return { attributions };
    },
  );
}
