import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { guidedRelu } from '../rules/guided-relu.js';
import { maxPoolFirstWinner } from '../rules/max-pool-first-winner.js';
import { runMethod } from './run-method.js';
import { pooledTargetGradients } from './pooled-target-gradients.js';
import { GradCamOptions, gradCamLayer, gradCamMaps } from './grad-cam.js';
import type { AttributionResult } from './types.js';

/**
 * Guided Grad-CAM (Selvaraju et al. 2017): guided backpropagation (as `guidedBackprop` computes it, on the
 * call's engine) multiplied elementwise by the Grad-CAM map resized to the input (the same map for every channel).
 * Carries Grad-CAM's `layerMap`. Options as {@link gradCam}; works on Keras models and ONNX files.
 * Tensors are owned by the caller.
 * @example const { attributions } = await guidedGradCam(model, x);
 */
export async function guidedGradCam(
  model: ModelInput,
  inputs: InputLike,
  options: GradCamOptions = {},
): Promise<AttributionResult> {
  const functionName = 'guidedGradCam';
  return runMethod(
    { method: 'guided-grad-cam', functionName, reduction: 'max-abs', execution: { rules: [maxPoolFirstWinner] } },
    model,
    inputs,
    options,
    async (ctx) => {
      const layer = gradCamLayer(ctx.model, functionName, options.layer);
      const { layerMap, attributions: cam } = await gradCamMaps(ctx, layer.read);
      try {
        // guided backprop's own pass (the guided-ReLU rule alone): on the engine's gradients primitive, natively too
        const guided = await pooledTargetGradients({ ...ctx, execution: { ...ctx.execution, rules: [guidedRelu] } });
        const attributions = tf.mul(guided, cam);
        guided.dispose();
        return { attributions, layerMap, layer: layer.name };
      } catch (error) {
        layerMap.dispose();
        throw error;
      } finally {
        cam.dispose();
      }
    },
  );
}
