/** DeepLIFT's rescale rule on ReLU (Shrikumar et al. 2017). */
import * as tf from '@tensorflow/tfjs';
import { gradientRule } from '../execution/propagation-rule.js';
import { splitPairs } from './paired-batch.js';

/** |Δx| below which the rescale multiplier falls back to the gradient (Captum's `eps`). */
export const RESCALE_EPSILON = 1e-10;

/**
 * Rescale rule: on a paired batch `[inputs; references]`, every ReLU's multiplier is Δy/Δx = (relu(x) − relu(x₀))/(x − x₀),
 * the gradient where |Δx| < 1e-10; both halves get the input rows' multiplier (the references' own upstream gradient is
 * not used). Attach through `execution.rules` to a pass over `[inputs; references]`.
 */
export const deepliftRescale = gradientRule('deeplift-rescale', { activations: ['relu'] }, (dy, x) => {
  const [x1, x0] = splitPairs(x, 'deeplift-rescale');
  const dx = tf.sub(x1, x0);
  const small = tf.less(tf.abs(dx), RESCALE_EPSILON);
  const ratio = tf.div(tf.sub(tf.relu(x1), tf.relu(x0)), tf.where(small, tf.onesLike(dx), dx));
  const multiplier = tf.where(small, tf.step(x1), ratio);
  return tf.mul(dy, tf.concat([multiplier, multiplier], 0));
});
