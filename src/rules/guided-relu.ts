/** The guided-backpropagation rule on ReLU (Springenberg et al. 2015). */
import * as tf from '@tensorflow/tfjs';
import { gradientRule } from '../execution/propagation-rule.js';

/**
 * Guided ReLU: through every ReLU (ReLU layers, fused `relu` activations, `relu6`) only positive upstream gradients
 * pass, and only where the pre-activation was positive: dx = dy · [x > 0] · [dy > 0].
 * @example await saliency(model, x, { execution: { rules: [guidedRelu] } }) // = guided backprop's magnitudes
 */
export const guidedRelu = gradientRule('guided-relu', { activations: ['relu'] }, (dy, x) =>
  tf.mul(tf.mul(dy, tf.step(x)), tf.step(dy)),
);
