/** A differentiable op with a hand-written gradient with respect to its one input (other tensors are constants). */
import * as tf from '@tensorflow/tfjs';

/**
 * Wraps `forward` so that `tf.grad` uses `inputGradient(dy, x, constants)` for d/dx. Used for the guided-ReLU rule and
 * for the fast convolution gradients; tensors that `forward` closes over get no gradient. `constants` (e.g. a kernel
 * computed in the pass) are saved with the node, so they are still alive when the backward pass runs.
 */
export function withInputGradient<T extends tf.Tensor>(
  forward: (x: T) => T,
  inputGradient: (dy: T, x: T, constants: tf.Tensor[]) => tf.Tensor,
  constants: readonly tf.Tensor[] = [],
): (x: T) => T {
  const op = tf.customGrad(((x: T, save: tf.GradSaveFunc) => {
    save([x, ...constants]);
    return {
      value: forward(x),
      gradFunc: (dy: T, saved: tf.Tensor[]) => inputGradient(dy, saved[0] as T, saved.slice(1)),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op as unknown as (x: T) => T;
}
