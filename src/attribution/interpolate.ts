import * as tf from '@tensorflow/tfjs';
import { argumentError, described } from '../util/errors.js';

/**
 * Points on the straight path from `baseline` to `input`: baseline + α·(input − baseline) for each α, stacked on a new
 * first axis (the original `interpolate_images`). `baseline` and `input` have the same shape (one example, no batch axis).
 * Returns `[alphas.length, ...input.shape]`, owned by the caller.
 * @example interpolate(tf.zerosLike(x), x, [0, 0.5, 1])
 */
export function interpolate(baseline: tf.Tensor, input: tf.Tensor, alphas: ArrayLike<number>): tf.Tensor {
  if (baseline.shape.join(',') !== input.shape.join(',')) {
    throw argumentError(
      'interpolate',
      'baseline',
      `of the input's shape [${input.shape.join(',')}]`,
      described(`shape [${baseline.shape.join(',')}]`),
      'SHAPE_MISMATCH',
    );
  }
  return tf.tidy(() => {
    const a = tf.reshape(tf.tensor1d(Array.from(alphas), 'float32'), [alphas.length, ...input.shape.map(() => 1)]);
    const delta = tf.sub(input, baseline);
    return tf.add(tf.expandDims(baseline, 0), tf.mul(a, tf.expandDims(delta, 0)));
  });
}
