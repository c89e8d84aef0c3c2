import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { runMethod } from './run-method.js';
import { pooledTargetGradients } from './pooled-target-gradients.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/**
 * Input gradients: d(target score)/d(input) for every example of the batch (the original `compute_gradients`
 * explained only the first). Simonyan et al. 2014, "Deep Inside Convolutional Networks".
 *
 * Options: `target` (default top class), `output` (default head 0), `scores` (`'logits'` default), `batchSize` (64).
 * Returns attributions shaped like `inputs` plus `heatmaps` (max |gradient| over channels, min-max per example);
 * all tensors are owned by the caller. Throws a WingbeatsError naming the argument for bad inputs, targets or heads.
 * @example const { attributions } = await gradients(model, x, { target: 'Ae_aegypti' });
 */
export async function gradients(
  model: ModelInput,
  inputs: InputLike,
  options: AttributionOptions = {},
): Promise<AttributionResult> {
  return runMethod(
    { method: 'gradients', functionName: 'gradients', reduction: 'max-abs' },
    model,
    inputs,
    options,
    async (ctx) => ({ attributions: await pooledTargetGradients(ctx) }),
  );
}
