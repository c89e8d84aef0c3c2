/**
 * How each Keras layer class is executed by the explainable-model adapter, with plain TensorFlow.js ops.
 *
 * Executing layers ourselves (instead of `model.predict`) lets the adapter drop a final softmax, switch only
 * Dropout layers on for Monte-Carlo dropout, attach gradient rules (guided ReLU) for the duration of one call,
 * and avoid kernels that the wasm backend lacks under `tf.grad` (the fused Conv2D filter gradient).
 * Layers without an op here fall back to `layer.apply(inputs, {training: false})`.
 * Custom layers (the wingbeats `CNN1D`, `ConvBlock1d`, ...) register their own op with {@link registerLayerOp}.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { conv1dInputGradFriendly, conv2dInputGradFriendly, depthwiseConv2dInputGradFriendly } from './fast-conv.js';

/** What an op may ask of the running execution. */
export interface ExecutionContext {
  /** Executes any layer (dispatching on its class name), e.g. the sublayers of a composite layer. */
  apply(layer: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[];
  /** ReLU under the gradient rule in force (plain, or guided backprop). */
  relu(x: tf.Tensor): tf.Tensor;
  /** Applies a named Keras activation (`'relu'`, `'softmax'`, `'linear'`, ...) under the rules in force. */
  activation(name: string, x: tf.Tensor): tf.Tensor;
  /** Dropout: the identity unless Monte-Carlo dropout is switched on, then a seeded inverted-dropout mask. */
  dropout(x: tf.Tensor, rate: number): tf.Tensor;
}

/** Executes one layer with plain ops. */
export type LayerOp = (layer: tf.layers.Layer, inputs: tf.Tensor[], ctx: ExecutionContext) => tf.Tensor | tf.Tensor[];

const ops = new Map<string, LayerOp>();

/** Registers (or replaces) how layers of class `className` are executed by every explainable model. */
export function registerLayerOp(className: string, op: LayerOp): void {
  ops.set(className, op);
}

/** The op registered for `className`, if any. */
export function layerOp(className: string): LayerOp | undefined {
  return ops.get(className);
}

/** The current value of a layer weight whose name ends with `suffix` (`'kernel'`, `'bias'`, `'gamma'`, ...). */
export function layerWeight(layer: tf.layers.Layer, suffix: string): tf.Tensor | undefined {
  const variable = layer.weights.find((w) => {
    const name = w.originalName ?? w.name;
    const base = name.replace(/:\d+$/, '');
    return base === suffix || base.endsWith(`/${suffix}`);
  });
  return variable?.read();
}

function config(layer: tf.layers.Layer): Record<string, any> {
  return layer.getConfig() as Record<string, any>;
}

function activationName(layer: tf.layers.Layer): string {
  const act = config(layer).activation;
  return typeof act === 'string' ? act : 'linear';
}

function single(inputs: tf.Tensor[], layer: tf.layers.Layer): tf.Tensor {
  if (inputs.length !== 1) {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${layer.name}' (${layer.getClassName()}) expects one input but got ${inputs.length}.`);
  }
  return inputs[0];
}

function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [value[0] ?? fallback, value[1] ?? value[0] ?? fallback];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

function first(value: unknown, fallback: number): number {
  if (Array.isArray(value)) return value[0] ?? fallback;
  if (typeof value === 'number') return value;
  return fallback;
}

function requireChannelsLast(layer: tf.layers.Layer): void {
  const format = config(layer).dataFormat ?? config(layer).data_format;
  if (format !== undefined && format !== 'channelsLast' && format !== 'channels_last') {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${layer.name}' uses data format '${format}'; only channels-last is supported.`);
  }
}

function addBias(layer: tf.layers.Layer, y: tf.Tensor): tf.Tensor {
  const bias = config(layer).useBias === false ? undefined : layerWeight(layer, 'bias');
  return bias === undefined ? y : tf.add(y, bias);
}

function pooling(kind: 'max' | 'avg', rank: 1 | 2): LayerOp {
  return (layer, inputs) => {
    requireChannelsLast(layer);
    const x = single(inputs, layer);
    const c = config(layer);
    const padding = c.padding as 'valid' | 'same';
    if (rank === 2) {
      const size = pair(c.poolSize, 2);
      const strides = pair(c.strides ?? c.poolSize, size[0]);
      return kind === 'max' ? tf.maxPool(x as tf.Tensor4D, size, strides, padding) : tf.avgPool(x as tf.Tensor4D, size, strides, padding);
    }
    const size = first(c.poolSize, 2);
    const stride = first(c.strides ?? c.poolSize, size);
    const x4 = tf.expandDims(x, 2) as tf.Tensor4D;
    const y = kind === 'max' ? tf.maxPool(x4, [size, 1], [stride, 1], padding) : tf.avgPool(x4, [size, 1], [stride, 1], padding);
    return tf.squeeze(y, [2]);
  };
}

const passThrough: LayerOp = (layer, inputs) => single(inputs, layer);

registerLayerOp('InputLayer', passThrough);

registerLayerOp('Dense', (layer, inputs, ctx) => {
  const x = single(inputs, layer);
  const kernel = layerWeight(layer, 'kernel');
  if (kernel === undefined) throw new WingbeatsError('UNSUPPORTED_MODEL', `Dense layer '${layer.name}' has no kernel.`);
  const y = x.rank === 2 ? tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D) : tf.dot(x, kernel);
  return ctx.activation(activationName(layer), addBias(layer, y));
});

/**
 * The op of a convolution layer class: channels-last input, its named weights, `compute(x, weights, config)` for the
 * linear part, then bias and activation under the rules in force.
 */
function convolutionOp(weightNames: readonly string[], compute: (x: tf.Tensor, weights: tf.Tensor[], c: Record<string, any>, layer: tf.layers.Layer) => tf.Tensor): LayerOp {
  return (layer, inputs, ctx) => {
    requireChannelsLast(layer);
    const weights = weightNames.map((name) => {
      const w = layerWeight(layer, name);
      if (w === undefined) throw new WingbeatsError('UNSUPPORTED_MODEL', `${layer.getClassName()} layer '${layer.name}' has no ${name}.`);
      return w;
    });
    const c = config(layer);
    return ctx.activation(activationName(layer), addBias(layer, compute(single(inputs, layer), weights, c, layer)));
  };
}

registerLayerOp('Conv1D', convolutionOp(['kernel'], (x, [kernel], c, layer) => {
  if (c.padding === 'causal') throw new WingbeatsError('UNSUPPORTED_MODEL', `Conv1D layer '${layer.name}' uses causal padding, which is not supported.`);
  return conv1dInputGradFriendly(x as tf.Tensor3D, kernel as tf.Tensor3D, first(c.strides, 1), c.padding, first(c.dilationRate, 1));
}));

registerLayerOp('Conv2D', convolutionOp(['kernel'], (x, [kernel], c) =>
  conv2dInputGradFriendly(x as tf.Tensor4D, kernel as tf.Tensor4D, pair(c.strides, 1), c.padding, pair(c.dilationRate, 1)),
));

registerLayerOp('DepthwiseConv2D', convolutionOp(['depthwise_kernel'], (x, [kernel], c) =>
  depthwiseConv2dInputGradFriendly(x as tf.Tensor4D, kernel as tf.Tensor4D, pair(c.strides, 1), c.padding, pair(c.dilationRate, 1)),
));

registerLayerOp('SeparableConv2D', convolutionOp(['depthwise_kernel', 'pointwise_kernel'], (x, [depthwise, pointwise], c) => {
  const spatial = depthwiseConv2dInputGradFriendly(x as tf.Tensor4D, depthwise as tf.Tensor4D, pair(c.strides, 1), c.padding, pair(c.dilationRate, 1));
  return conv2dInputGradFriendly(spatial, pointwise as tf.Tensor4D, [1, 1], 'valid', [1, 1]);
}));

registerLayerOp('BatchNormalization', (layer, inputs) => {
  const x = single(inputs, layer);
  const c = config(layer);
  const axisValue = Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1);
  const axis = axisValue < 0 ? x.rank + axisValue : axisValue;
  const mean = layerWeight(layer, 'moving_mean');
  const variance = layerWeight(layer, 'moving_variance');
  if (mean === undefined || variance === undefined) {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `BatchNormalization layer '${layer.name}' has no moving statistics.`);
  }
  const gamma = c.scale === false ? undefined : layerWeight(layer, 'gamma');
  const beta = c.center === false ? undefined : layerWeight(layer, 'beta');
  let scale = tf.rsqrt(tf.add(variance, c.epsilon ?? 1e-3));
  if (gamma !== undefined) scale = tf.mul(scale, gamma);
  let shift = tf.neg(tf.mul(mean, scale));
  if (beta !== undefined) shift = tf.add(shift, beta);
  if (axis !== x.rank - 1) {
    const shape = x.shape.map((d, i) => (i === axis ? d : 1));
    scale = tf.reshape(scale, shape);
    shift = tf.reshape(shift, shape);
  }
  return tf.add(tf.mul(x, scale), shift);
});

registerLayerOp('Activation', (layer, inputs, ctx) => ctx.activation(activationName(layer), single(inputs, layer)));
registerLayerOp('ReLU', (layer, inputs, ctx) => {
  const c = config(layer);
  if ((c.maxValue ?? null) !== null) return tf.clipByValue(ctx.relu(single(inputs, layer)), 0, c.maxValue);
  return ctx.relu(single(inputs, layer));
});
registerLayerOp('Softmax', (layer, inputs) => tf.softmax(single(inputs, layer), first(config(layer).axis, -1)));
registerLayerOp('Dropout', (layer, inputs, ctx) => ctx.dropout(single(inputs, layer), config(layer).rate ?? 0));
registerLayerOp('SpatialDropout1D', (layer, inputs, ctx) => ctx.dropout(single(inputs, layer), config(layer).rate ?? 0));
registerLayerOp('Flatten', (layer, inputs) => {
  const x = single(inputs, layer);
  return tf.reshape(x, [x.shape[0], -1]);
});
registerLayerOp('MaxPooling1D', pooling('max', 1));
registerLayerOp('MaxPooling2D', pooling('max', 2));
registerLayerOp('AveragePooling1D', pooling('avg', 1));
registerLayerOp('AveragePooling2D', pooling('avg', 2));
registerLayerOp('GlobalAveragePooling1D', (layer, inputs) => tf.mean(single(inputs, layer), 1));
registerLayerOp('GlobalAveragePooling2D', (layer, inputs) => tf.mean(single(inputs, layer), [1, 2]));
registerLayerOp('GlobalMaxPooling1D', (layer, inputs) => tf.max(single(inputs, layer), 1));
registerLayerOp('GlobalMaxPooling2D', (layer, inputs) => tf.max(single(inputs, layer), [1, 2]));
