/** LRP-γ (Montavon et al. 2019): positive weights (and biases) favoured by γ. */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from './gradient-tricks.js';
import { LrpLinearRule, linearPart, relevanceRatio } from './lrp-linear.js';

/**
 * The γ-rule: with W' = W + γW⁺ and b' = b + γb⁺, R_in = x ⊙ W'ᵀ(R / stab(xW' + b')). γ = 0 is the ε-rule; large γ
 * approaches the z⁺-rule.
 */
export function lrpGamma(gamma: number): LrpLinearRule {
  return {
    prepare: (kernel, bias) =>
      tf.tidy(() => [tf.add(kernel, tf.mul(tf.relu(kernel), gamma)), tf.add(bias, tf.mul(tf.relu(bias), gamma))]),
    surrogate: ({ layer, x, z, epsilon, prepared: [favoured, favouredBias] }) => {
      const linear = linearPart(layer, x, favoured);
      return tf.mul(linear, stopGradient(relevanceRatio(z, tf.add(linear, favouredBias), epsilon)));
    },
  };
}
