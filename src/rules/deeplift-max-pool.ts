/** DeepLIFT's max-pooling rule (as Captum's `maxpool`): completeness through max pooling. */
import * as tf from '@tensorflow/tfjs';
import type { PropagationRule } from '../core/propagation-rule.js';
import { scaleGradient, stopGradient, withSurrogateGradient } from './gradient-tricks.js';
import { splitPairs } from './paired-batch.js';
import { RESCALE_EPSILON } from './deeplift-rescale.js';

/**
 * On a paired batch `[inputs; references]`, with y = pool(x), y₀ = pool(x₀) and m = max(y, y₀) per output cell:
 * the multiplier of the input rows is [U_x(dy·(m − y₀)) + U_x₀(dy·(y − m))] / Δx, where U_x routes a value to the
 * winner of its window in x (the max-pool gradient) and U_x₀ to the winner in x₀; where |Δx| < 1e-10 it is the
 * plain gradient U_x(dy). Summed over an input window this gives exactly dy·(y − y₀): DeepLIFT's completeness holds
 * through the pooling. The reference rows get no gradient. Built as a surrogate whose ordinary gradient is the rule.
 */
export const deepliftMaxPool: PropagationRule = {
  name: 'deeplift-max-pool',
  appliesTo: { layers: ['MaxPooling1D', 'MaxPooling2D'] },
  wrap: (forward) => (x) => {
    const [x1, x0] = splitPairs(x, 'deeplift-max-pool');
    const y = forward(x);
    const [y1, y0] = splitPairs(y, 'deeplift-max-pool');
    const dx = tf.sub(x1, x0);
    const small = tf.less(tf.abs(dx), RESCALE_EPSILON);
    const inverse = tf.where(small, tf.zerosLike(dx), tf.div(1, tf.where(small, tf.onesLike(dx), dx)));
    const plain = tf.cast(small, 'float32');
    const top = stopGradient(tf.maximum(y1, y0));
    const x1Scaled = scaleGradient(x1, inverse);
    // Gradient of each term w.r.t. x1: plain·U_x(dy), inverse·U_x(dy·(m − y₀)), inverse·U_x₀(dy·(y − m)).
    const plainTerm = forward(scaleGradient(x1, plain));
    const ownWinners = tf.mul(forward(x1Scaled), tf.sub(top, stopGradient(y0)));
    const referenceWinners = tf.mul(forward(tf.add(stopGradient(x0), tf.sub(x1Scaled, stopGradient(x1Scaled)))), tf.sub(stopGradient(y1), top));
    const rows = withSurrogateGradient(y1, tf.add(plainTerm, tf.add(ownWinners, referenceWinners)));
    return tf.concat([rows, stopGradient(y0)], 0);
  },
};
