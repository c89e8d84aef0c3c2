import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ModelInput } from '../execution/explainable-model.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import type { InputLike } from '../execution/inputs.js';
import { leafLayers } from '../execution/layer-walk.js';
import { jobSettings } from '../parallel/run-row-tasks.js';
import { runRowChunks } from '../parallel/run-row-chunks.js';
import { layerNumbers } from '../engine/engine-primitives.js';
import './grad-cam-rows.js';
import { MethodContext, runMethod } from './run-method.js';
import { resizeMap } from './grad-cam-map.js';
import { maxPoolFirstWinner } from '../rules/max-pool-first-winner.js';
import { spatialShape } from './occlusion.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options of {@link gradCam} and {@link guidedGradCam}. */
export interface GradCamOptions extends AttributionOptions {
  /** Name of the layer whose output is explained (default: the last convolution layer, its own output). */
  layer?: string;
}

export { GRAD_CAM_OPTIONS } from './method-specs.js';

const CONVOLUTION_CLASSES = ['Conv1D', 'Conv2D', 'DepthwiseConv2D', 'SeparableConv2D'];

/** The name of the last convolution layer of `model` (its own output, before batch norm or activation layers). */
export function lastConvolutionLayer(model: ExplainableModel, functionName: string): string {
  const layers = model.layersModel === null ? [] : leafLayers(model.layersModel);
  const last = layers.filter((l) => CONVOLUTION_CLASSES.includes(l.getClassName())).at(-1);
  if (last === undefined) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' found no convolution layer in ${model.describe()}; pass the option 'layer' (a layer name).`,
    );
  }
  return last.name;
}

/**
 * Grad-CAM maps of a batch: `{ layerMap [batch, ...layer axes], attributions [batch, ...input axes] }` (attributions
 * repeated over the input's channels), chunked by `batchSize` into `'grad-cam'` tasks (src/attribution/grad-cam-rows.ts):
 * one layer-gradient pass per chunk on the call's engine (ONNX Runtime when the model lowers with the layer, else
 * TensorFlow.js, in workers for big jobs), the maps formed on the host.
 */
export async function gradCamMaps(
  ctx: MethodContext,
  layer: string,
): Promise<{ layerMap: tf.Tensor; attributions: tf.Tensor }> {
  const { x, targets } = ctx;
  const name = layerNumbers(layer);
  const layerMap = await runRowChunks(
    jobSettings(ctx),
    x,
    ctx.batchSize,
    'grad-cam',
    (start, end) => ({ targets: targets.slice(start, end), layer: name }),
    { workers: ctx.workers },
    ctx.options.onProgress,
  );
  try {
    return tf.tidy(() => {
      const spatial = spatialShape(x.shape);
      const up = resizeMap(layerMap, spatial);
      const attributions =
        x.rank <= 2 ? up : tf.tile(tf.expandDims(up, -1), [1, ...spatial.map(() => 1), x.shape[x.rank - 1]]);
      return { layerMap: tf.clone(layerMap), attributions };
    });
  } finally {
    layerMap.dispose();
  }
}

/** Checks the `layer` option and returns the layer to explain. */
export function gradCamLayer(model: ExplainableModel, functionName: string, layer: unknown): string {
  if (model.info.format === 'onnx')
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' reads a layer's activations, which neither engine gives for an ONNX file yet ('${String(model.info.fileName)}'); use a gradient method (saliency, integrated-gradients, lrp, deeplift) or export the model as Keras.`,
    );
  if (layer === undefined) return lastConvolutionLayer(model, functionName);
  if (typeof layer !== 'string' || layer === '') throw argumentError(functionName, 'layer', 'a layer name', layer);
  if (model.layersModel === null)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' reads a layer's output, which needs a tf.LayersModel; a plain function model has no layers.`,
    );
  const names = new Set([
    ...model.layersModel.layers.map((l) => l.name),
    ...leafLayers(model.layersModel).map((l) => l.name),
  ]);
  if (!names.has(layer)) {
    const convolutions = leafLayers(model.layersModel)
      .filter((l) => CONVOLUTION_CLASSES.includes(l.getClassName()))
      .map((l) => `'${l.name}'`);
    throw argumentError(
      functionName,
      'layer',
      `the name of a layer of ${model.describe()}${convolutions.length > 0 ? ` (convolutions: ${convolutions.join(', ')})` : ''}`,
      layer,
    );
  }
  return layer;
}

/**
 * Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization"),
 * as Captum's `LayerGradCam` + `LayerAttribution.interpolate`: channel weights w_c = the target's gradient w.r.t. the
 * layer output A, averaged over the layer's non-channel axes; map = ReLU(Σ_c w_c A_c), not normalised. The result
 * carries `layerMap` (`[batch, ...layer axes]`, the layer's resolution) and `attributions`: the map resized to the
 * input's non-channel axes by linear (1-D) or bilinear (2-D) interpolation with half-pixel centres, the same for
 * every channel.
 *
 * Options: `layer` (default: the last convolution layer's own output, before its batch norm and activation), and
 * {@link AttributionOptions}. Max pooling passes the gradient to the first maximum of each window (as TensorFlow and
 * PyTorch do; the wasm kernel's tie rule depends on the batch). Needs a tf.LayersModel. Tensors (including `layerMap`) are owned by the caller.
 * @example const { layerMap, attributions } = await gradCam(model, x, { layer: 'conv1d_256' });
 */
export async function gradCam(
  model: ModelInput,
  inputs: InputLike,
  options: GradCamOptions = {},
): Promise<AttributionResult> {
  const functionName = 'gradCam';
  return runMethod(
    { method: 'grad-cam', functionName, reduction: 'max-abs', execution: { rules: [maxPoolFirstWinner] } },
    model,
    inputs,
    options,
    async (ctx) => {
      const layer = gradCamLayer(ctx.model, functionName, options.layer);
      return { ...(await gradCamMaps(ctx, layer)), layer };
    },
  );
}
