/**
 * The linear layers LRP propagates through, evaluated with replaced weights: Dense and convolutions with any kernel,
 * batch norm as its own affine layer `x·s + t`, and averaging pools. Shared by the LRP rules.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { conv1dInputGradFriendly, conv2dInputGradFriendly } from '../execution/fast-conv.js';
import { config, first, layerWeight, pair } from '../execution/layer-op.js';
import { batchNormAxis, batchNormScaleShift } from '../execution/batch-norm-folding.js';

/** Layer classes whose weights LRP's rules modify (the chosen rule on convolutions, ε on Dense). */
export const LRP_WEIGHTED_CLASSES = ['Dense', 'Conv1D', 'Conv2D'] as const;
/** Layer classes LRP treats with the ε-rule and no weight change. */
export const LRP_AFFINE_CLASSES = [
  'BatchNormalization',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
] as const;
/** Weightless layers through which relevance flows by the ordinary gradient (max pooling: to the winner; ReLU: passed on). */
export const LRP_PASS_CLASSES = [
  'InputLayer',
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
  return {
    kernel: tf.clone(kernel),
    bias: bias === undefined ? tf.zeros([kernel.shape[kernel.rank - 1]]) : tf.clone(bias),
  };
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
