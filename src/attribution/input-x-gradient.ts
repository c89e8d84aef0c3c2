import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { runMethod } from './run-method.js';
import { pooledTargetGradients } from './pooled-target-gradients.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/**
 * Input × gradient (Shrikumar et al. 2016): input ⊙ d(target score)/d(input).
 * `heatmaps`: sum of |attribution| over channels, min-max per example. Tensors are owned by the caller.
 * @example const { attributions } = await inputXGradient(model, x);
 */
export async function inputXGradient(
  model: ModelInput,
  inputs: InputLike,
  options: AttributionOptions = {},
): Promise<AttributionResult> {
  return runMethod(
    { method: 'input-x-gradient', functionName: 'inputXGradient', reduction: 'sum-abs' },
    model,
    inputs,
    options,
    async (ctx) => {
      const grads = await pooledTargetGradients(ctx);
      const attributions = tf.mul(ctx.x, grads);
      grads.dispose();
      return { attributions };
    },
  );
}
