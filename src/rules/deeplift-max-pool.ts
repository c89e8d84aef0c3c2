/** DeepLIFT's max-pooling rule (as Captum's `maxpool`): completeness through max pooling. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { firstWinners, poolWindows, throughWinners } from './pool-windows.js';
import type { PropagationRule } from '../execution/propagation-rule.js';
import { scaleGradient, stopGradient, withSurrogateGradient } from './gradient-tricks.js';
import { splitPairs } from './paired-batch.js';
import { RESCALE_EPSILON } from './deeplift-rescale.js';

/** Values within this relative distance of a window's maximum count as tied (float32 rounding of equal activations). */
const TIE_TOLERANCE = 1e-6;

/**
 * On a paired batch `[inputs; references]`, with y = pool(x), y₀ = pool(x₀) and m = max(y, y₀) per output cell:
 * the multiplier of the input rows is [U_x(dy·(m − y₀)) + U_x₀(dy·(y − m))] / Δx, where U_x routes a value to the
 * (first) winner of its window in x and U_x₀ to the winner in x₀; where |Δx| < 1e-10 it is the plain gradient U_x(dy).
 * Summed over a window this gives exactly dy·(y − y₀): DeepLIFT's completeness holds through the pooling. The reference
 * rows get no gradient. Non-overlapping 'valid' pools (strides = pool size) only.
 */
export const deepliftMaxPool: PropagationRule = {
  name: 'deeplift-max-pool',
  appliesTo: { layers: ['MaxPooling1D', 'MaxPooling2D'] },
  wrap: (forward, site) => (x) => {
    const [x1, x0] = splitPairs(x, 'deeplift-max-pool');
    const w = poolWindows(site.layer, x1);
    if (w === null)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `DeepLIFT's max-pool rule needs non-overlapping 'valid' pooling (strides = pool size); layer '${site.layer.name}' has another geometry.`,
      );
    const y = forward(x);
    const [y1, y0] = splitPairs(y, 'deeplift-max-pool');
    const dx = tf.sub(x1, x0);
    const small = tf.less(tf.abs(dx), RESCALE_EPSILON);
    const inverse = tf.where(small, tf.zerosLike(dx), tf.div(1, tf.where(small, tf.onesLike(dx), dx)));
    const top = stopGradient(tf.maximum(y1, y0));
    const own = stopGradient(firstWinners(x1, w, TIE_TOLERANCE));
    const theirs = stopGradient(firstWinners(x0, w, TIE_TOLERANCE));
    const scaled = scaleGradient(x1, inverse);
    // Gradients w.r.t. x1: [small]·U_x(dy), inverse·U_x(dy·(m − y₀)), inverse·U_x₀(dy·(y − m)).
    const plainTerm = throughWinners(scaleGradient(x1, tf.cast(small, 'float32')), own, w);
    const ownTerm = tf.mul(throughWinners(scaled, own, w), tf.sub(top, stopGradient(y0)));
    const referenceTerm = tf.mul(throughWinners(scaled, theirs, w), tf.sub(stopGradient(y1), top));
    return tf.concat(
      [withSurrogateGradient(y1, tf.add(plainTerm, tf.add(ownTerm, referenceTerm))), stopGradient(y0)],
      0,
    );
  },
};
