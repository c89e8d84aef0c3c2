/** LRP-γ (Montavon et al. 2019): positive weights (and biases) favoured by γ. */
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from './gradient-tricks.js';
import { LrpLinearRule, relevanceRatio } from './lrp-linear.js';

/**
 * The γ-rule: with W' = W + γW⁺ and b' = b + γb⁺, R_in = x ⊙ W'ᵀ(R / stab(xW' + b')). γ = 0 is the ε-rule; large γ
 * approaches the z⁺-rule.
 */
export function lrpGamma(gamma: number): LrpLinearRule {
  return {
    prepare: (kernel, bias) =>
      tf.tidy(() => [tf.add(kernel, tf.mul(tf.relu(kernel), gamma)), tf.add(bias, tf.mul(tf.relu(bias), gamma))]),
    surrogate: ({ linear, x, z, epsilon, prepared: [favoured, favouredBias] }) => {
      const part = linear(x, favoured);
      return tf.mul(part, stopGradient(relevanceRatio(z, tf.add(part, favouredBias), epsilon)));
    },
  };
}
