/** LRP-αβ (Bach et al. 2015) and z⁺ (Montavon et al. 2017 = α1β0): positive and negative contributions apart. */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from './gradient-tricks.js';
import { LrpLinearRule, relevanceRatio } from './lrp-linear.js';

/**
 * The αβ-rule, biases left out so each layer conserves relevance when α − β = 1: with the positive contributions
 * z⁺ = x⁺W⁺ + x⁻W⁻ and the negative ones z⁻ = x⁺W⁻ + x⁻W⁺, R_in = α·(share of x in z⁺)·R/z⁺ − β·(share of x in z⁻)·R/z⁻.
 * `lrpAlphaBeta(1, 0)` is the z⁺-rule.
 */
export function lrpAlphaBeta(alpha: number, beta: number): LrpLinearRule {
  return {
    prepare: (kernel) => tf.tidy(() => [tf.relu(kernel), tf.neg(tf.relu(tf.neg(kernel)))]),
    surrogate: ({ linear, x, z, epsilon, prepared: [positiveWeights, negativeWeights] }) => {
      const positiveInput = tf.mul(x, stopGradient(tf.cast(tf.greater(x, 0), 'float32')));
      const negativeInput = tf.mul(x, stopGradient(tf.cast(tf.less(x, 0), 'float32')));
      const positive = tf.add(linear(positiveInput, positiveWeights), linear(negativeInput, negativeWeights));
      const shareOfPositive = tf.mul(positive, stopGradient(tf.mul(relevanceRatio(z, positive, epsilon), alpha)));
      if (beta === 0) return shareOfPositive;
      const negative = tf.add(linear(positiveInput, negativeWeights), linear(negativeInput, positiveWeights));
      return tf.sub(
        shareOfPositive,
        tf.mul(negative, stopGradient(tf.mul(relevanceRatio(z, negative, epsilon), beta))),
      );
    },
  };
}
