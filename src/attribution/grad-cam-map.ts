/** Grad-CAM's arithmetic: channel weights from gradients, the class-activation map, and its upsampling to the input. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/**
 * ReLU(Σ_c w_c A_c) with w_c = the gradient averaged over the layer's non-channel axes (Selvaraju et al. 2017), not
 * normalised. `activations` and `gradients` are `[batch, ...axes, channels]` (a `[batch, units]` layer has no
 * non-channel axis: then w = the gradient itself and the map is one number per example). Returns `[batch, ...axes]`,
 * owned by the caller.
 */
export function gradCamMap(activations: tf.Tensor, gradients: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const spatialAxes = Array.from({ length: activations.rank - 2 }, (_, i) => i + 1);
    const weights = spatialAxes.length === 0 ? gradients : tf.mean(gradients, spatialAxes, true);
    return tf.relu(tf.sum(tf.mul(weights, activations), -1));
  });
}

/**
 * Resizes `[batch, ...axes]` maps (0, 1 or 2 axes) to `[batch, ...size]`: linear in 1-D, bilinear in 2-D, with
 * half-pixel centres (the convention of `tf.image.resize` and of `torch.nn.functional.interpolate(align_corners=False)`):
 * output cell i samples the input at (i + 0.5)·(n/N) − 0.5, clamped to the edge cells. A map without axes is
 * constant. Returns a new tensor owned by the caller.
 */
export function resizeMap(map: tf.Tensor, size: readonly number[]): tf.Tensor {
  const axes = map.rank - 1;
  if (axes > 2 || size.length > 2) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Grad-CAM maps are resized in 1-D or 2-D, but the map has ${axes} and the input ${size.length} non-channel axes.`,
    );
  }
  return tf.tidy(() => {
    const batch = map.shape[0];
    if (axes === 0) return tf.broadcastTo(tf.reshape(map, [batch, ...size.map(() => 1)]), [batch, ...size]);
    if (axes !== size.length) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `A Grad-CAM map with ${axes} non-channel axes cannot be resized to an input with ${size.length}; choose a layer whose output keeps the input's axes.`,
      );
    }
    const image = (
      axes === 1 ? tf.reshape(map, [batch, map.shape[1] as number, 1, 1]) : tf.expandDims(map, -1)
    ) as tf.Tensor4D;
    const [rows, cols] = size as [number, number | undefined];
    const target: [number, number] = axes === 1 ? [rows, 1] : [rows, cols as number];
    return tf.reshape(tf.image.resizeBilinear(image, target, false, true), [batch, ...size]);
  });
}

/**
 * `[batch, ...axes]` maps repeated over a new last axis of `channels` values: `[batch, ...axes, channels]`, the same
 * values as `tf.tile(tf.expandDims(map, -1), [1, ..., channels])`, copied on the host (the wasm backend's tile took
 * ~24 ms for eight 129×113 maps over 3 channels, longer than the Grad-CAM passes themselves). Returns a new tensor
 * owned by the caller (or the enclosing tidy).
 */
export function repeatOverChannels(map: tf.Tensor, channels: number): tf.Tensor {
  const values = map.dataSync() as Float32Array;
  const out = new Float32Array(values.length * channels);
  for (let i = 0, o = 0; i < values.length; i++) {
    const v = values[i];
    for (let c = 0; c < channels; c++) out[o++] = v;
  }
  return tf.tensor(out, [...map.shape, channels], 'float32');
}
