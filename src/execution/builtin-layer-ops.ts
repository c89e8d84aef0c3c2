/**
 * The layer ops of the standard Keras layers (Dense, convolutions, batch norm, activations, dropout, pooling, ...),
 * registered by `registerBuiltinLayerOps`. Convolutions get their input gradient from `fast-conv.ts`.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { conv1dInputGradFriendly, conv2dInputGradFriendly, depthwiseConv2dInputGradFriendly } from './fast-conv.js';
import { RECURRENT_LAYER_OPS } from './recurrent-ops.js';
import { maxPoolFirstWinnerGradient } from './fast-max-pool.js';
import { batchNormAxis, batchNormScaleShift } from './batch-norm-folding.js';
import {
  ConvolutionWeights,
  LayerOp,
  activationName,
  addBias,
  config,
  first,
  layerWeight,
  pair,
  requireChannelsLast,
  single,
} from './layer-op.js';

const builtins: [string, LayerOp][] = [];
const add = (className: string, op: LayerOp): void => void builtins.push([className, op]);

function pooling(kind: 'max' | 'avg', rank: 1 | 2): LayerOp {
  return (layer, inputs, ctx) => {
    requireChannelsLast(layer);
    const x = single(inputs, layer);
    const c = config(layer);
    const padding = c.padding as 'valid' | 'same';
    const maxPool = ctx.fastPaths.maxPoolGradient ? maxPoolFirstWinnerGradient : tf.maxPool;
    if (rank === 2) {
      const size = pair(c.poolSize, 2);
      const strides = pair(c.strides ?? c.poolSize, size[0]);
      return kind === 'max'
        ? maxPool(x as tf.Tensor4D, size, strides, padding)
        : tf.avgPool(x as tf.Tensor4D, size, strides, padding);
    }
    const size = first(c.poolSize, 2);
    const stride = first(c.strides ?? c.poolSize, size);
    const x4 = tf.expandDims(x, 2) as tf.Tensor4D;
    const y =
      kind === 'max' ? maxPool(x4, [size, 1], [stride, 1], padding) : tf.avgPool(x4, [size, 1], [stride, 1], padding);
    return tf.squeeze(y, [2]);
  };
}

const passThrough: LayerOp = (layer, inputs) => single(inputs, layer);

add('InputLayer', passThrough);

add('Dense', (layer, inputs, ctx) => {
  const x = single(inputs, layer);
  const kernel = layerWeight(layer, 'kernel');
  if (kernel === undefined) throw new WingbeatsError('UNSUPPORTED_MODEL', `Dense layer '${layer.name}' has no kernel.`);
  // Keras applies a Dense to the last axis of an input of any rank (a sequence of frames): as a matrix product over
  // the rows of all leading axes.
  const y =
    x.rank === 2
      ? tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D)
      : tf.reshape(tf.matMul(tf.reshape(x, [-1, x.shape[x.rank - 1] as number]), kernel as tf.Tensor2D), [
          ...x.shape.slice(0, -1),
          kernel.shape[1] as number,
        ]);
  return ctx.activation(activationName(layer), addBias(layer, y));
});

/**
 * The op of a convolution layer class: channels-last input, its named weights, `compute(x, weights, config)` for the
 * linear part, then bias and activation under the rules in force.
 */
function convolutionOp(
  weightNames: readonly string[],
  compute: (x: tf.Tensor, weights: tf.Tensor[], c: Record<string, any>, layer: tf.layers.Layer) => tf.Tensor,
): LayerOp {
  return (layer, inputs, ctx) => {
    requireChannelsLast(layer);
    const weights = weightNames.map((name) => {
      const w = layerWeight(layer, name);
      if (w === undefined)
        throw new WingbeatsError('UNSUPPORTED_MODEL', `${layer.getClassName()} layer '${layer.name}' has no ${name}.`);
      return w;
    });
    const c = config(layer);
    return ctx.activation(activationName(layer), addBias(layer, compute(single(inputs, layer), weights, c, layer)));
  };
}

/**
 * The op of Conv1D/Conv2D: the weights of the pass (`ctx.convolutionWeights`: a batch norm folded in, the cached
 * flipped kernel), `compute(x, weights, config)` for the linear part, then bias and activation.
 */
function foldableConvolutionOp(
  compute: (x: tf.Tensor, weights: ConvolutionWeights, c: Record<string, any>) => tf.Tensor,
): LayerOp {
  return (layer, inputs, ctx) => {
    requireChannelsLast(layer);
    const weights = ctx.convolutionWeights(layer);
    const y = compute(single(inputs, layer), weights, config(layer));
    return ctx.activation(activationName(layer), weights.bias === undefined ? y : tf.add(y, weights.bias));
  };
}

add(
  'Conv1D',
  foldableConvolutionOp((x, { kernel, flipped }, c) => {
    const dilation = first(c.dilationRate, 1);
    const stride = first(c.strides, 1);
    if (c.padding !== 'causal')
      return conv1dInputGradFriendly(x as tf.Tensor3D, kernel as tf.Tensor3D, stride, c.padding, dilation, flipped);
    // Causal: pad the dilated kernel extent minus one on the left only, then a 'valid' convolution.
    const left = dilation * (kernel.shape[0] - 1);
    const padded = tf.pad(x, [
      [0, 0],
      [left, 0],
      [0, 0],
    ]) as tf.Tensor3D;
    return conv1dInputGradFriendly(padded, kernel as tf.Tensor3D, stride, 'valid', dilation, flipped);
  }),
);

add(
  'Conv2D',
  foldableConvolutionOp((x, { kernel, flipped }, c) =>
    conv2dInputGradFriendly(
      x as tf.Tensor4D,
      kernel as tf.Tensor4D,
      pair(c.strides, 1),
      c.padding,
      pair(c.dilationRate, 1),
      flipped,
    ),
  ),
);

add(
  'DepthwiseConv2D',
  convolutionOp(['depthwise_kernel'], (x, [kernel], c) =>
    depthwiseConv2dInputGradFriendly(
      x as tf.Tensor4D,
      kernel as tf.Tensor4D,
      pair(c.strides, 1),
      c.padding,
      pair(c.dilationRate, 1),
    ),
  ),
);

add(
  'SeparableConv2D',
  convolutionOp(['depthwise_kernel', 'pointwise_kernel'], (x, [depthwise, pointwise], c) => {
    const spatial = depthwiseConv2dInputGradFriendly(
      x as tf.Tensor4D,
      depthwise as tf.Tensor4D,
      pair(c.strides, 1),
      c.padding,
      pair(c.dilationRate, 1),
    );
    return conv2dInputGradFriendly(spatial, pointwise as tf.Tensor4D, [1, 1], 'valid', [1, 1]);
  }),
);

/**
 * The linear part of a Conv2DTranspose (no bias, no activation) on `x` with `kernel` (`[kh, kw, filters, in]`), to
 * TensorFlow.js's output size (`same`: size · stride; `valid`: size · stride + max(kernel − stride, 0)). LRP's rules
 * evaluate it with modified kernels.
 */
export function conv2dTransposeLinear(x: tf.Tensor, kernel: tf.Tensor, c: Record<string, any>): tf.Tensor {
  const strides = pair(c.strides, 1);
  const [batch, height, width] = x.shape;
  const [kh, kw, filters] = kernel.shape;
  const length = (size: number, stride: number, k: number): number =>
    size * stride + (c.padding === 'valid' ? Math.max(k - stride, 0) : 0);
  return tf.conv2dTranspose(
    x as tf.Tensor4D,
    kernel as tf.Tensor4D,
    [batch, length(height, strides[0], kh), length(width, strides[1], kw), filters],
    strides,
    c.padding,
  );
}

add(
  'Conv2DTranspose',
  convolutionOp(['kernel'], (x, [kernel], c) => conv2dTransposeLinear(x, kernel, c)),
);

add('BatchNormalization', (layer, inputs) => {
  const x = single(inputs, layer);
  const axis = batchNormAxis(layer, x.rank);
  let { scale, shift } = batchNormScaleShift(layer);
  if (axis !== x.rank - 1) {
    const shape = x.shape.map((d, i) => (i === axis ? d : 1));
    scale = tf.reshape(scale, shape);
    shift = tf.reshape(shift, shape);
  }
  return tf.add(tf.mul(x, scale), shift);
});

add('Activation', (layer, inputs, ctx) => ctx.activation(activationName(layer), single(inputs, layer)));
add('ReLU', (layer, inputs, ctx) => {
  const c = config(layer);
  if ((c.maxValue ?? null) !== null) return tf.clipByValue(ctx.relu(single(inputs, layer)), 0, c.maxValue);
  return ctx.relu(single(inputs, layer));
});
add('Softmax', (layer, inputs) => tf.softmax(single(inputs, layer), first(config(layer).axis, -1)));
add('Dropout', (layer, inputs, ctx) => ctx.dropout(single(inputs, layer), config(layer).rate ?? 0));
add('SpatialDropout1D', (layer, inputs, ctx) => ctx.dropout(single(inputs, layer), config(layer).rate ?? 0));
add('Flatten', (layer, inputs) => {
  const x = single(inputs, layer);
  return tf.reshape(x, [x.shape[0], -1]);
});
add('MaxPooling1D', pooling('max', 1));
add('MaxPooling2D', pooling('max', 2));
add('AveragePooling1D', pooling('avg', 1));
add('AveragePooling2D', pooling('avg', 2));
add('GlobalAveragePooling1D', (layer, inputs) => tf.mean(single(inputs, layer), 1));
add('GlobalAveragePooling2D', (layer, inputs) => tf.mean(single(inputs, layer), [1, 2]));
add('GlobalMaxPooling1D', (layer, inputs) => tf.max(single(inputs, layer), 1));
add('GlobalMaxPooling2D', (layer, inputs) => tf.max(single(inputs, layer), [1, 2]));

for (const [className, op] of RECURRENT_LAYER_OPS) add(className, op);

/** The built-in ops by Keras class name. */
export const BUILTIN_LAYER_OPS: readonly (readonly [string, LayerOp])[] = builtins;
