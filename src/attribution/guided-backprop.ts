import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { guidedRelu } from '../rules/guided-relu.js';
import { runMethod } from './run-method.js';
import { pooledTargetGradients } from './pooled-target-gradients.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/**
 * Guided backpropagation (Springenberg et al. 2015, "Striving for Simplicity"): through every ReLU — ReLU layers and
 * fused `relu` activations — only positive gradients pass, and only where the forward input was positive.
 * Built in (the original needed the iNNvestigate package): the {@link guidedRelu} rule is placed first in the
 * execution settings of this call's gradient passes; the model and any global gradient registry are left untouched.
 *
 * Needs a tf.LayersModel (or a model loaded by `loadModel`); a plain function cannot carry the rule.
 * `heatmaps` as for saliency. Tensors in the result are owned by the caller.
 * @example const { heatmaps } = await guidedBackprop(model, x, { target: 2 });
 */
export async function guidedBackprop(
  model: ModelInput,
  inputs: InputLike,
  options: AttributionOptions = {},
): Promise<AttributionResult> {
  const frame = {
    method: 'guided-backprop',
    functionName: 'guidedBackprop',
    reduction: 'max-abs',
    execution: { rules: [guidedRelu] },
  } as const;
  return runMethod(frame, model, inputs, options, async (ctx) => ({ attributions: await pooledTargetGradients(ctx) }));
}
