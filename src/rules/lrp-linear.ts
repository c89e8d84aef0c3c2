/**
 * The linear layers LRP propagates through, evaluated with replaced weights: Dense and convolutions with any kernel,
 * batch norm as its own affine layer `x·s + t`, and averaging pools. Shared by the LRP rules.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { conv1dInputGradFriendly, conv2dInputGradFriendly } from '../execution/fast-conv.js';
import { config, first, layerBias, layerWeight, pair } from '../execution/layer-op.js';
import { batchNormAxis, batchNormScaleShift } from '../execution/batch-norm-folding.js';
import { conv2dTransposeLinear } from '../execution/builtin-layer-ops.js';
import type { Conv1DTranspose } from '../models/keras-conv1d-transpose.js';
import type { SeparableConv1D } from '../models/keras-separable-conv1d.js';

/**
 * Layer classes whose weights LRP's rules modify (the chosen rule on convolutions, ε on Dense): a transposed
 * convolution is a convolution (Zennit's `Convolution` type holds ConvTranspose); a separable one is its depthwise and
 * its pointwise convolution, each taking the rule (as the two Conv layers PyTorch writes it with).
 */
export const LRP_WEIGHTED_CLASSES = [
  'Dense',
  'Conv1D',
  'Conv2D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'SeparableConv1D',
] as const;
/**
 * Layer classes LRP treats with the ε-rule and no weight change: batch norm, and Keras's `Normalization` and
 * `Rescaling`, which are the same affine map x·s + t (their shift takes its share of relevance, as a bias does);
 * averaging pools.
 */
export const LRP_AFFINE_CLASSES = [
  'BatchNormalization',
  'Normalization',
  'Rescaling',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
] as const;
/**
 * Weightless layers through which relevance flows by the ordinary gradient (max pooling: to the winner; ReLU: passed
 * on; up-sampling: each input gets the relevance of its copies, which conserves it; a crop: copied, conserved; Keras's
 * Resizing: a bias-free linear map, whose gradient is LRP-0 and conserves relevance).
 */
export const LRP_PASS_CLASSES = [
  'InputLayer',
  'UpSampling1D',
  'UpSampling2D',
  'Resizing',
  'CenterCrop',
  'Activation',
  'ReLU',
  'MaxPooling1D',
  'MaxPooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'Flatten',
  'KerasFlatten',
  'Reshape',
  'Dropout',
  'SpatialDropout1D',
  'Softmax',
] as const;

/** Copies of the kernel and bias of a Dense or convolution layer (bias zeros when the layer has none), owned by the caller. */
export function kernelAndBias(layer: tf.layers.Layer): { kernel: tf.Tensor; bias: tf.Tensor } {
  const kernel = layerWeight(layer, 'kernel');
  if (kernel === undefined)
    throw new WingbeatsError('UNSUPPORTED_MODEL', `${layer.getClassName()} layer '${layer.name}' has no kernel.`);
  const bias = config(layer).useBias === false ? undefined : layerWeight(layer, 'bias');
  // a transposed convolution's kernel is [k..., out, in]
  const outputs = kernel.shape[kernel.rank - (layer.getClassName().endsWith('Transpose') ? 2 : 1)];
  return {
    kernel: tf.clone(kernel),
    bias: bias === undefined ? tf.zeros([outputs]) : tf.clone(bias),
  };
}

/** One linear map of a weighted layer: its kernel and bias (copies owned by the caller) and how it applies a kernel. */
export interface LinearStage {
  kernel: tf.Tensor;
  bias: tf.Tensor;
  /** The map (no bias, no activation) of `x` with `kernel`. */
  linear: (x: tf.Tensor, kernel: tf.Tensor) => tf.Tensor;
}

/**
 * The linear maps of a weighted layer in order: one, or a SeparableConv1D's depthwise convolution (bias zero) and its
 * pointwise convolution (with the layer's bias). Tensors owned by the caller.
 */
export function linearStages(layer: tf.layers.Layer): LinearStage[] {
  if (layer.getClassName() !== 'SeparableConv1D') {
    const { kernel, bias } = kernelAndBias(layer);
    return [{ kernel, bias, linear: (x, k) => linearPart(layer, x, k) }];
  }
  const separable = layer as SeparableConv1D;
  const [depthwise, pointwise] = ['depthwise_kernel', 'pointwise_kernel'].map((name) => {
    const w = layerWeight(layer, name);
    if (w === undefined)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `SeparableConv1D layer '${layer.name}' has no ${name}.`);
    return tf.clone(w);
  });
  const bias = layerBias(layer);
  return [
    {
      kernel: depthwise,
      bias: tf.zeros([depthwise.size / separable.kernelSize]),
      linear: (x, k) => separable.depthwise(x, k),
    },
    {
      kernel: pointwise,
      bias: bias === undefined ? tf.zeros([separable.filters]) : tf.clone(bias),
      linear: (x, k) => separable.pointwise(x, k),
    },
  ];
}

/**
 * Scale s and shift t of an inference-mode batch norm over the last axis (`y = x·s + t`); new tensors owned by the caller.
 * @throws WingbeatsError UNSUPPORTED_MODEL for a batch norm over another axis than the last.
 */
export function batchNormAffine(layer: tf.layers.Layer): { scale: tf.Tensor; shift: tf.Tensor } {
  const rank = (layer.input as tf.SymbolicTensor).shape.length;
  const axis = batchNormAxis(layer, rank);
  if (axis !== rank - 1)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `LRP needs batch norm over the channel (last) axis; layer '${layer.name}' normalises axis ${axis}.`,
    );
  return batchNormScaleShift(layer);
}

/** The linear part (no bias, no activation) of a Dense or convolution layer applied to `x` with `kernel`. */
export function linearPart(layer: tf.layers.Layer, x: tf.Tensor, kernel: tf.Tensor): tf.Tensor {
  const c = config(layer);
  switch (layer.getClassName()) {
    case 'Dense':
      return x.rank === 2 ? tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D) : tf.dot(x, kernel);
    case 'Conv1D':
      return conv1dInputGradFriendly(
        x as tf.Tensor3D,
        kernel as tf.Tensor3D,
        first(c.strides, 1),
        c.padding,
        first(c.dilationRate, 1),
      );
    case 'Conv2D':
      return conv2dInputGradFriendly(
        x as tf.Tensor4D,
        kernel as tf.Tensor4D,
        pair(c.strides, 1),
        c.padding,
        pair(c.dilationRate, 1),
      );
    case 'Conv1DTranspose':
      return (layer as Conv1DTranspose).transposedConvolution(x, kernel);
    case 'Conv2DTranspose':
      return conv2dTransposeLinear(x, kernel, c);
    default:
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `LRP has no linear part for layer class '${layer.getClassName()}' (layer '${layer.name}').`,
      );
  }
}

/** z + ε·sign(z) with sign(0) = +1 (Zennit's stabiliser). */
export function stabilise(z: tf.Tensor, epsilon: number): tf.Tensor {
  return tf.add(z, tf.mul(tf.where(tf.greaterEqual(z, 0), tf.onesLike(z), tf.fill(z.shape, -1)), epsilon));
}

/** `numerator / stabilise(denominator, ε)`, and 0 where the stabilised denominator is exactly 0 (ε = 0 and z = 0). */
export function relevanceRatio(numerator: tf.Tensor, denominator: tf.Tensor, epsilon: number): tf.Tensor {
  const d = stabilise(denominator, epsilon);
  const zero = tf.equal(d, 0);
  return tf.where(zero, tf.zerosLike(d), tf.div(numerator, tf.where(zero, tf.onesLike(d), d)));
}

/** What an LRP rule of a Dense or convolution layer is given in a pass. */
export interface LrpLinearSite {
  layer: tf.layers.Layer;
  /** The linear map of the layer (of one of its stages: a separable convolution has two) applied to x with a kernel. */
  linear: (x: tf.Tensor, kernel: tf.Tensor) => tf.Tensor;
  /** The layer's input. */
  x: tf.Tensor;
  /** The layer's output before its activation, a constant (relevance there is z ⊙ gradient). */
  z: tf.Tensor;
  /** Stabiliser ε. */
  epsilon: number;
  /** The tensors the rule prepared from the layer's kernel and bias. */
  prepared: tf.Tensor[];
}

/**
 * An LRP rule for one linear layer, in gradient form. `prepare` derives, once per call and outside the gradient pass,
 * the weights the rule needs from the layer's kernel and bias (batch norm folded in when asked); the caller owns and
 * frees them. `surrogate` returns S(x) whose ordinary gradient, times x, is the rule's relevance: with upstream
 * gradient g (so that the relevance at the output is R = z ⊙ g), x ⊙ ∂(S·g)/∂x is the relevance the rule sends to
 * the layer's input. The surrogate's value is never used.
 */
export interface LrpLinearRule {
  prepare(kernel: tf.Tensor, bias: tf.Tensor): tf.Tensor[];
  surrogate(site: LrpLinearSite): tf.Tensor;
}
