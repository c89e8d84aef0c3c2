/** The Keras activations the executor knows, by name, as plain TensorFlow.js ops. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { ExecutionContext } from './layer-op.js';

/** Is the named activation a softmax? */
export function isSoftmaxActivation(name: unknown): boolean {
  return name === 'softmax';
}

/**
 * Applies activation `name` to `x`. `relu6` goes through `ctx.relu`, so rules on `'relu'` reach it; a softmax is kept
 * only when `keepSoftmax` (the executor drops a final softmax for logits).
 */
export function applyActivation(name: string, x: tf.Tensor, ctx: ExecutionContext, keepSoftmax: boolean): tf.Tensor {
  switch (name) {
    case 'linear':
    case undefined:
      return x;
    case 'relu':
      return tf.relu(x);
    case 'softmax':
      return keepSoftmax ? tf.softmax(x) : x;
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'softplus':
      return tf.softplus(x);
    case 'relu6':
      return tf.clipByValue(ctx.relu(x), 0, 6);
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      // Keras's exact form (approximate=False): x·Φ(x) = x·(1 + erf(x/√2))/2.
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    default:
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Activation '${name}' is not supported by the explainable executor.`,
      );
  }
}
