/**
 * Inference-mode batch norm as an affine map `y = x·s + t` over the channel axis, and its folding into the convolution
 * right before it: conv(x, k)·s + (b·s + t) = conv(x, k·s) + (b·s + t). Shared by the executor's fast path and LRP's
 * canonisation.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { activationName, config, layerWeight } from './layer-op.js';
import { leafLayers } from './layer-walk.js';

/** Layer classes a batch norm can be folded into. */
export const FOLDABLE_CLASSES: readonly string[] = ['Conv1D', 'Conv2D'];

/** The axis a batch norm normalises, as a non-negative index for inputs of rank `rank`. */
export function batchNormAxis(layer: tf.layers.Layer, rank: number): number {
  const c = config(layer);
  const axis = Array.isArray(c.axis) ? c.axis[0] : (c.axis ?? -1);
  return axis < 0 ? rank + axis : axis;
}

/**
 * Scale s = γ/√(var + ε) and shift t = β − mean·s of an inference-mode batch norm, one value per channel of the
 * normalised axis. New tensors, owned by the caller (or the enclosing tidy).
 * @throws WingbeatsError UNSUPPORTED_MODEL when the layer has no moving statistics.
 */
export function batchNormScaleShift(layer: tf.layers.Layer): { scale: tf.Tensor; shift: tf.Tensor } {
  const c = config(layer);
  const mean = layerWeight(layer, 'moving_mean');
  const variance = layerWeight(layer, 'moving_variance');
  if (mean === undefined || variance === undefined)
    throw new WingbeatsError('UNSUPPORTED_MODEL', `BatchNormalization layer '${layer.name}' has no moving statistics.`);
  const gamma = c.scale === false ? undefined : layerWeight(layer, 'gamma');
  const beta = c.center === false ? undefined : layerWeight(layer, 'beta');
  return tf.tidy(() => {
    let scale = tf.rsqrt(tf.add(variance, c.epsilon ?? 1e-3));
    if (gamma !== undefined) scale = tf.mul(scale, gamma);
    let shift = tf.neg(tf.mul(mean, scale));
    if (beta !== undefined) shift = tf.add(shift, beta);
    return { scale, shift };
  });
}

/**
 * The kernel and bias of a convolution (output channels last) with the batch norm `norm` after it folded in:
 * (k·s, b·s + t), with b = 0 when the convolution has no bias. New tensors, owned by the caller.
 */
export function foldBatchNorm(
  kernel: tf.Tensor,
  bias: tf.Tensor | undefined,
  norm: tf.layers.Layer,
): { kernel: tf.Tensor; bias: tf.Tensor } {
  return tf.tidy(() => {
    const { scale, shift } = batchNormScaleShift(norm);
    return {
      kernel: tf.mul(kernel, scale),
      bias: bias === undefined ? shift : tf.add(tf.mul(bias, scale), shift),
    };
  });
}

interface Linked {
  inboundNodes: { inboundLayers: tf.layers.Layer[] }[];
  outboundNodes: { outboundLayer: tf.layers.Layer }[];
}

/**
 * Convolutions (linear activation) followed directly by a batch norm over the channel axis where the batch norm reads
 * only the convolution and the convolution feeds only the batch norm: conv → batch norm. Computed on each call (a walk
 * over the layers); a pass takes them from its kernel cache when it has one.
 */
export function foldablePairs(model: tf.LayersModel): Map<tf.layers.Layer, tf.layers.Layer> {
  const layers = leafLayers(model);
  const pairs = new Map<tf.layers.Layer, tf.layers.Layer>();
  layers.forEach((layer, i) => {
    const next = layers[i + 1];
    if (next === undefined || !FOLDABLE_CLASSES.includes(layer.getClassName())) return;
    if (next.getClassName() !== 'BatchNormalization' || activationName(layer) !== 'linear') return;
    const rank = layer.getClassName() === 'Conv1D' ? 3 : 4;
    if (batchNormAxis(next, rank) !== rank - 1) return;
    const inbound = (next as unknown as Linked).inboundNodes;
    const outbound = (layer as unknown as Linked).outboundNodes;
    if (
      inbound.length > 0 &&
      inbound.every((node) => node.inboundLayers.length === 1 && node.inboundLayers[0] === layer) &&
      outbound.every((node) => node.outboundLayer === next)
    )
      pairs.set(layer, next);
  });
  return pairs;
}
