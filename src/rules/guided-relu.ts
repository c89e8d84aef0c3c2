/** The guided-backpropagation rule on ReLU (Springenberg et al. 2015). */
import * as tf from '@tensorflow/tfjs';
import { gradientRule } from '../execution/propagation-rule.js';

/** Guided ReLU: dx = dy · [x > 0] · [dy > 0]. */
export const guidedRelu = gradientRule('guided-relu', { activations: ['relu'] }, (dy, x) => tf.mul(tf.mul(dy, tf.step(x)), tf.step(dy)));
