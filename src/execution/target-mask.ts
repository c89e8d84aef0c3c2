/** The one-hot seed of a pass that differentiates each row's target score. */
import * as tf from '@tensorflow/tfjs';

/** One-hot `[rows, classes]` float mask selecting each row's target (a mask, not `tf.gather`: wasm lacks its gradient). */
export function targetMask(targets: readonly number[], classes: number): tf.Tensor2D {
  const mask = new Float32Array(targets.length * classes);
  targets.forEach((t, r) => (mask[r * classes + t] = 1));
  return tf.tensor2d(mask, [targets.length, classes]);
}
