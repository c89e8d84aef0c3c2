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
import { repeatOverChannels, resizeMap } from './grad-cam-map.js';
import { maxPoolFirstWinner } from '../rules/max-pool-first-winner.js';
import { spatialShape } from './occlusion.js';
import { nativeFormOf } from '../onnx/native-form.js';
import { editDistance } from '../util/nearest-name.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options of {@link gradCam} and {@link guidedGradCam}. */
export interface GradCamOptions extends AttributionOptions {
  /** Name of the layer whose output is explained (default: the last convolution layer, its own output). */
  layer?: string;
}

export { GRAD_CAM_OPTIONS } from './method-specs.js';

/** Keras layer classes that are convolutions (their own output is Grad-CAM's default layer). */
const CONVOLUTION_CLASSES = [
  'Conv1D',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv1D',
  'SeparableConv2D',
  'Conv1DTranspose',
  'Conv2DTranspose',
];
/** ONNX ops that are convolutions (depthwise and separable ones are grouped `Conv`s). */
const CONVOLUTION_OPS = ['Conv', 'ConvTranspose'];

/**
 * A layer Grad-CAM may read: the name results give it, the name its tasks carry (an ONNX file's value; a Keras layer's
 * own name), whether it is a convolution, and the sizes of its output's non-channel axes (null: unknown).
 */
interface LayerChoice {
  name: string;
  read: string;
  convolution: boolean;
  spatial: readonly (number | null)[] | null;
}

/**
 * Grad-CAM's default rule, one for every model format: the last convolution (in the order the model computes its
 * layers) whose output still has a spatial or time axis (longer than 1, or of unknown size).
 */
function defaultLayer(choices: readonly LayerChoice[]): LayerChoice | undefined {
  const keepsAxis = (c: LayerChoice) => c.spatial === null || c.spatial.some((d) => d === null || d > 1);
  return choices.filter((c) => c.convolution && keepsAxis(c)).at(-1);
}

/** The non-channel sizes of a Keras layer's output (null when the layer has no single output shape). */
function kerasSpatial(layer: tf.layers.Layer): (number | null)[] | null {
  try {
    const shape = layer.outputShape;
    if (!Array.isArray(shape) || shape.some((d) => Array.isArray(d))) return null;
    const dims = shape as (number | null)[];
    const channelsFirst = (layer.getConfig() as { dataFormat?: string }).dataFormat === 'channelsFirst';
    return channelsFirst ? dims.slice(2) : dims.slice(1, -1);
  } catch {
    return null;
  }
}

/** The layers Grad-CAM can read of `model`, in the order it computes them (Keras leaf layers; an ONNX file's nodes). */
function layerChoices(model: ExplainableModel, functionName: string): LayerChoice[] {
  if (model.layersModel !== null)
    return leafLayers(model.layersModel).map((l) => ({
      name: l.name,
      read: l.name,
      convolution: CONVOLUTION_CLASSES.includes(l.getClassName()),
      spatial: kerasSpatial(l),
    }));
  const native = nativeFormOf(model);
  if (native === undefined && model.info.format === 'onnx')
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' reads a node's output on the native engine, which needs every input size of '${String(model.info.fileName)}' fixed; export it with fixed sizes (only the batch axis free).`,
    );
  if (native === undefined)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' reads a layer's output, which needs a tf.LayersModel or an ONNX file; a plain function model has no layers.`,
    );
  return native.layers().map((l) => ({
    name: l.node,
    read: l.value,
    convolution: CONVOLUTION_OPS.includes(l.opType),
    spatial: l.channelsFirst ? l.shape.slice(1) : l.shape.slice(0, -1),
  }));
}

/**
 * The name of the last convolution layer of `model` whose output still has a spatial or time axis: a Keras model's
 * last `Conv1D`/`Conv2D`/depthwise, separable or transposed convolution layer (its own output, before batch norm or
 * activation layers), an ONNX file's last `Conv` or `ConvTranspose` node (its output, before the activation node).
 */
export function lastConvolutionLayer(model: ExplainableModel, functionName: string): string {
  return defaultChoice(model, functionName, layerChoices(model, functionName)).name;
}

function defaultChoice(model: ExplainableModel, functionName: string, choices: readonly LayerChoice[]): LayerChoice {
  const last = defaultLayer(choices);
  if (last === undefined) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' found no convolution ${model.layersModel === null ? 'node' : 'layer'} in ${model.describe()} whose output keeps a spatial or time axis; pass the option 'layer' (a ${model.layersModel === null ? 'node or value' : 'layer'} name).`,
    );
  }
  return last;
}

/**
 * Up to `count` of `names`, nearest to `word` first: names with a part (between `/`, `.` or `:`) equal to it, then
 * names containing it, then the rest, each by edit distance; case ignored.
 */
function nearestNames(word: string, names: readonly string[], count: number): string[] {
  const lower = word.toLowerCase();
  const rank = (name: string): number => (name.split(/[/.:]/).includes(lower) ? 0 : name.includes(lower) ? 1 : 2);
  return [...new Set(names)]
    .map((name) => ({ name, rank: rank(name.toLowerCase()), distance: editDistance(lower, name.toLowerCase()) }))
    .sort((a, b) => a.rank - b.rank || a.distance - b.distance)
    .slice(0, count)
    .map((n) => n.name);
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
      const up = resizeMap(layerMap, spatialShape(x.shape));
      const attributions = x.rank <= 2 ? up : repeatOverChannels(up, x.shape[x.rank - 1]);
      return { layerMap: tf.clone(layerMap), attributions };
    });
  } finally {
    layerMap.dispose();
  }
}

/**
 * Checks the `layer` option and returns the layer to explain: `name` for results (a Keras layer; an ONNX file's node,
 * or the value the user named) and `read`, the name Grad-CAM's tasks carry (an ONNX file's value).
 * @throws WingbeatsError `INVALID_ARGUMENT` naming the nearest valid names for a name the model does not have,
 *   `UNSUPPORTED_MODEL` for a function model or a model without a default layer.
 */
export function gradCamLayer(
  model: ExplainableModel,
  functionName: string,
  layer: unknown,
): { name: string; read: string } {
  if (layer !== undefined && (typeof layer !== 'string' || layer === ''))
    throw argumentError(functionName, 'layer', 'a layer name', layer);
  const choices = layerChoices(model, functionName);
  if (layer === undefined) {
    const chosen = defaultChoice(model, functionName, choices);
    return { name: chosen.name, read: chosen.read };
  }
  const convolutions = choices.filter((c) => c.convolution).map((c) => `'${c.name}'`);
  if (model.layersModel !== null) {
    const names = [...model.layersModel.layers.map((l) => l.name), ...leafLayers(model.layersModel).map((l) => l.name)];
    if (names.includes(layer)) return { name: layer, read: layer };
    throw argumentError(
      functionName,
      'layer',
      `the name of a layer of ${model.describe()}${convolutions.length > 0 ? ` (convolutions: ${convolutions.join(', ')})` : ''}`,
      layer,
      'INVALID_ARGUMENT',
      names,
    );
  }
  // an ONNX file: a node's name, or the value it computes
  const chosen = choices.find((c) => c.name === layer) ?? choices.find((c) => c.read === layer);
  if (chosen !== undefined) return { name: layer, read: chosen.read };
  const nodes = choices.map((c) => c.name);
  const nearest = nearestNames(layer, nodes, 3).map((n) => `'${n}'`);
  throw argumentError(
    functionName,
    'layer',
    `the name of a node, or of its output value, on the way to the scores of ${model.describe()} (nearest: ${nearest.join(', ')}${convolutions.length > 0 ? `; convolutions: ${convolutions.join(', ')}` : ''})`,
    layer,
  );
}

/**
 * Grad-CAM (Selvaraju et al. 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization"),
 * as Captum's `LayerGradCam` + `LayerAttribution.interpolate`: channel weights w_c = the target's gradient w.r.t. the
 * layer output A, averaged over the layer's non-channel axes; map = ReLU(Σ_c w_c A_c), not normalised. The result
 * carries `layerMap` (`[batch, ...layer axes]`, the layer's resolution) and `attributions`: the map resized to the
 * input's non-channel axes by linear (1-D) or bilinear (2-D) interpolation with half-pixel centres, the same for
 * every channel.
 *
 * Options: `layer` (default: the last convolution layer's own output, before its batch norm and activation; for an
 * ONNX file a node's name or its output value, default the last `Conv`/`ConvTranspose` node's output, channels-first
 * activations read per channel), and {@link AttributionOptions}. Max pooling passes the gradient to the first maximum of
 * each window (as TensorFlow and PyTorch do; the wasm kernel's tie rule depends on the batch). Needs a tf.LayersModel
 * or an ONNX file (on the native engine). Tensors (including `layerMap`) are owned by the caller.
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
      return { ...(await gradCamMaps(ctx, layer.read)), layer: layer.name };
    },
  );
}
