/**
 * Lowers a loaded model (a chain of Keras layers, the wingbeats composite layers included) to a flat list of plain
 * steps with their float32 weights — the form the ONNX gradient-graph compiler reads. Models it cannot lower are
 * refused with one line naming the layer, so callers can fall back to TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/** A convolution in TensorFlow.js layout (kernel `[k..., inChannels, outChannels]`). */
export interface ConvStep {
  kind: 'conv';
  layer: string;
  rank: 1 | 2;
  kernel: Float32Array;
  kernelShape: number[];
  bias: Float32Array | null;
  strides: number[];
  dilations: number[];
  padding: 'same' | 'valid';
}

/** Inference-mode batch normalisation over the last (channel) axis. */
export interface BatchNormStep {
  kind: 'batchNorm';
  layer: string;
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  epsilon: number;
}

/** Max pooling (`'valid'` or `'same'` padding). */
export interface MaxPoolStep {
  kind: 'maxPool';
  layer: string;
  rank: 1 | 2;
  pool: number[];
  strides: number[];
  padding: 'same' | 'valid';
}

/** A dense layer (kernel `[in, units]`). */
export interface DenseStep {
  kind: 'dense';
  layer: string;
  kernel: Float32Array;
  inUnits: number;
  units: number;
  bias: Float32Array | null;
}

/**
 * A Dropout layer: the identity at inference; under Monte-Carlo dropout, `x · keep / (1 − rate)` with a 0/1 keep-mask
 * of the activation's shape `shape` (channels last, no batch axis), fed to the graph.
 */
export interface DropoutStep {
  kind: 'dropout';
  layer: string;
  rate: number;
  shape: number[];
}

/** One step of a lowered model. */
export type LoweredStep =
  | ConvStep
  | DropoutStep
  | BatchNormStep
  | MaxPoolStep
  | DenseStep
  | { kind: 'relu' | 'softmax' | 'flatten' | 'globalAveragePool'; layer: string };

/** Layer classes the lowering knows (composites are expanded into these). */
export const LOWERED_LAYER_CLASSES = [
  'Conv1D',
  'Conv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Softmax',
  'MaxPooling1D',
  'MaxPooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'Flatten',
  'KerasFlatten',
  'Dropout',
  'InputLayer',
  'CNN1D',
  'CNN2D',
  'ConvBlock1d',
  'ConvBlock2d',
  'DenseBlock',
] as const;

type Config = Record<string, unknown>;

function unsupported(layer: tf.layers.Layer, why: string): WingbeatsError {
  return new WingbeatsError(
    'UNSUPPORTED_MODEL',
    `Layer '${layer.name}' (${layer.getClassName()}) cannot be compiled to ONNX: ${why}.`,
  );
}

function values(layer: tf.layers.Layer, suffix: string): Float32Array | null {
  const weight = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
  return weight === undefined ? null : (weight.read().dataSync() as Float32Array).slice();
}

function numbers(value: unknown, rank: number): number[] {
  return Array.isArray(value) ? (value as number[]) : Array<number>(rank).fill(value as number);
}

/** The layer's output shape without the batch axis (refused when a size is unknown). */
function outputShape(layer: tf.layers.Layer): number[] {
  const shape = (layer.outputShape as (number | null)[]).slice(1);
  if (shape.some((d) => d === null)) throw unsupported(layer, 'an activation of unknown size');
  return shape as number[];
}

function activationSteps(layer: tf.layers.Layer, activation: unknown): LoweredStep[] {
  if (activation === undefined || activation === null || activation === 'linear') return [];
  if (activation === 'relu') return [{ kind: 'relu', layer: layer.name }];
  if (activation === 'softmax') return [{ kind: 'softmax', layer: layer.name }];
  throw unsupported(layer, `activation '${String(activation)}' is not one of linear, relu, softmax`);
}

function convStep(layer: tf.layers.Layer, config: Config, rank: 1 | 2): LoweredStep[] {
  const kernel = values(layer, 'kernel');
  if (kernel === null) throw unsupported(layer, 'it has no kernel');
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw unsupported(layer, 'only channels-last data');
  if ((config.groups ?? 1) !== 1) throw unsupported(layer, 'grouped convolutions are not lowered');
  const padding = config.padding;
  if (padding !== 'same' && padding !== 'valid') throw unsupported(layer, `padding '${String(padding)}'`);
  const step: ConvStep = {
    kind: 'conv',
    layer: layer.name,
    rank,
    kernel,
    kernelShape: layer.weights.find((w) => w.shape.length === rank + 2)!.shape as number[],
    bias: config.useBias === false ? null : values(layer, 'bias'),
    strides: numbers(config.strides, rank),
    dilations: numbers(config.dilationRate, rank),
    padding,
  };
  return [step, ...activationSteps(layer, config.activation)];
}

function batchNormStep(layer: tf.layers.Layer, config: Config, inputRank: number): LoweredStep[] {
  const axis = Array.isArray(config.axis) ? config.axis : [config.axis];
  if (axis.length !== 1 || !(axis[0] === -1 || axis[0] === inputRank - 1))
    throw unsupported(layer, `only normalisation over the last axis (got axis ${JSON.stringify(config.axis)})`);
  const mean = values(layer, 'moving_mean')!;
  const channels = mean.length;
  return [
    {
      kind: 'batchNorm',
      layer: layer.name,
      gamma: values(layer, 'gamma') ?? new Float32Array(channels).fill(1),
      beta: values(layer, 'beta') ?? new Float32Array(channels),
      mean,
      variance: values(layer, 'moving_variance')!,
      epsilon: config.epsilon as number,
    },
  ];
}

function poolStep(layer: tf.layers.Layer, config: Config, rank: 1 | 2): LoweredStep[] {
  if ((config.dataFormat ?? 'channelsLast') !== 'channelsLast') throw unsupported(layer, 'only channels-last data');
  const pool = numbers(config.poolSize, rank);
  const padding = config.padding;
  if (padding !== 'same' && padding !== 'valid') throw unsupported(layer, `padding '${String(padding)}'`);
  return [{ kind: 'maxPool', layer: layer.name, rank, pool, strides: numbers(config.strides ?? pool, rank), padding }];
}

/** The steps of one layer; `inputRank` is the rank of its input including the batch axis. */
function layerSteps(layer: tf.layers.Layer, inputRank: number): LoweredStep[] {
  const config = layer.getConfig() as Config;
  const name = layer.name;
  const composite = layer as unknown as Record<string, tf.layers.Layer & tf.layers.Layer[]>;
  switch (layer.getClassName()) {
    case 'InputLayer':
      return [];
    case 'Dropout':
      if (config.noiseShape != null) throw unsupported(layer, 'a noise shape');
      return [{ kind: 'dropout', layer: name, rate: Number(config.rate ?? 0), shape: outputShape(layer) }];
    case 'Conv1D':
      return convStep(layer, config, 1);
    case 'Conv2D':
      return convStep(layer, config, 2);
    case 'BatchNormalization':
      return batchNormStep(layer, config, inputRank);
    case 'MaxPooling1D':
      return poolStep(layer, config, 1);
    case 'MaxPooling2D':
      return poolStep(layer, config, 2);
    case 'GlobalAveragePooling1D':
    case 'GlobalAveragePooling2D':
      return [{ kind: 'globalAveragePool', layer: name }];
    case 'Flatten':
    case 'KerasFlatten':
      return [{ kind: 'flatten', layer: name }];
    case 'Activation':
      return activationSteps(layer, config.activation);
    case 'Softmax':
      return [{ kind: 'softmax', layer: name }];
    case 'ReLU':
      if (config.maxValue != null || (config.threshold ?? 0) !== 0 || (config.negativeSlope ?? 0) !== 0)
        throw unsupported(layer, 'only the plain ReLU (no max value, threshold or slope)');
      return [{ kind: 'relu', layer: name }];
    case 'Dense': {
      const kernel = values(layer, 'kernel')!;
      const [inUnits, units] = layer.weights.find((w) => w.shape.length === 2)!.shape as number[];
      const bias = config.useBias === false ? null : values(layer, 'bias');
      return [
        { kind: 'dense', layer: name, kernel, inUnits, units, bias },
        ...activationSteps(layer, config.activation),
      ];
    }
    case 'ConvBlock1d':
    case 'ConvBlock2d':
      return [
        ...layerSteps(composite.conv, inputRank),
        ...layerSteps(composite.bnorm, inputRank),
        { kind: 'relu', layer: name },
        ...layerSteps(composite.maxpool, inputRank),
      ];
    case 'CNN1D':
    case 'CNN2D':
      return [
        ...layerSteps(composite.bnorm0, inputRank),
        ...(composite.blocks as unknown as tf.layers.Layer[]).flatMap((block) => layerSteps(block, inputRank)),
        ...layerSteps(composite.pooling, inputRank),
        // the composite's Dropout (its rate is the layer's dropRate; its activation is the composite's output)
        { kind: 'dropout', layer: `${name}/dropout`, rate: Number(config.dropRate), shape: outputShape(layer) },
      ];
    case 'DenseBlock':
      return [...layerSteps(composite.bnorm, 2), { kind: 'relu', layer: name }, ...layerSteps(composite.dense, 2)];
    default:
      if (layer instanceof tf.LayersModel) return chainSteps(layer, inputRank);
      throw unsupported(layer, `no ONNX lowering for this layer class (lowered: ${LOWERED_LAYER_CLASSES.join(', ')})`);
  }
}

/** The layers of `model` in order, refused unless each takes the previous one's output (a chain, one in, one out). */
function chainLayers(model: tf.LayersModel): tf.layers.Layer[] {
  if (model.inputs.length !== 1 || model.outputs.length !== 1)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Model '${model.name}' has ${model.inputs.length} inputs and ${model.outputs.length} outputs; ONNX compilation takes a chain with one input and one output.`,
    );
  const layers = model.layers as tf.layers.Layer[];
  layers.forEach((layer, i) => {
    if (i === 0 || model instanceof tf.Sequential) return;
    const inbound = layer.inboundNodes.flatMap((node) => node.inboundLayers);
    if (inbound.length !== 1 || inbound[0] !== layers[i - 1])
      throw unsupported(layer, 'the model is not a chain (this layer does not take the previous layer alone)');
  });
  return layers;
}

function rankAfter(steps: LoweredStep[], rank: number): number {
  return steps.some((s) => s.kind === 'flatten' || s.kind === 'globalAveragePool' || s.kind === 'dense') ? 2 : rank;
}

/** The steps of a whole chain model whose input has `rank` axes (batch included). */
function chainSteps(model: tf.LayersModel, rank = model.inputs[0].shape.length): LoweredStep[] {
  const steps: LoweredStep[] = [];
  for (const layer of chainLayers(model)) {
    const own = layerSteps(layer, rank);
    rank = rankAfter(own, rank);
    steps.push(...own);
  }
  return steps;
}

/**
 * The model as plain steps (softmax kept; the compiler strips a final one for logits).
 *
 * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the first layer that has no lowering.
 */
export function lowerLayersModel(model: tf.LayersModel): LoweredStep[] {
  return chainSteps(model);
}
