/** LRP-ε (Bach et al. 2015): R_in = x ⊙ Wᵀ(R / (z + ε·sign z)). */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from './gradient-tricks.js';
import { LrpLinearRule, relevanceRatio } from './lrp-linear.js';

/** The ε-rule on a Dense or convolution layer; ε = 0 is LRP-0, equal to input × gradient on ReLU networks. */
export const lrpEpsilon: LrpLinearRule = {
  prepare: (kernel) => [tf.clone(kernel)],
  surrogate: ({ linear, x, z, epsilon, prepared: [kernel] }) =>
    tf.mul(linear(x, kernel), stopGradient(relevanceRatio(z, z, epsilon))),
};
