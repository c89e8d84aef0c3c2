/**
 * Two building blocks of rules whose gradient is not the layer's own: a value without gradient, and a value whose
 * gradient is scaled. Built on the shared custom-gradient wrapper, so no global gradient registry is touched.
 */
import * as tf from '@tensorflow/tfjs';

interface DetachingEngine {
  makeTensorFromDataId(dataId: object, shape: number[], dtype: tf.DataType): tf.Tensor;
  backend: { incRef(dataId: object): void };
}

/**
 * `x` as a constant (TensorFlow's `stop_gradient`): a new tensor sharing x's data but not recorded on the gradient
 * tape, so nothing before it is differentiated (not even ops without gradients, such as comparisons).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  // As tfjs's own Identity kernel does: a second tensor on the same data, the data's reference count raised.
  const engine = tf.engine() as unknown as DetachingEngine;
  const detached = engine.makeTensorFromDataId(x.dataId, x.shape, x.dtype);
  engine.backend.incRef(x.dataId);
  return detached as T;
}

const scaled = tf.customGrad(((x: tf.Tensor, scale: tf.Tensor, save: tf.GradSaveFunc) => {
  // The scale is saved with the node: tensors a gradient closes over would be freed when the forward pass ends.
  save([scale]);
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => [tf.mul(dy, s), tf.zerosLike(s)] };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, scale: tf.Tensor) => tf.Tensor;

/** `x` unchanged, but the gradient flowing back through it is multiplied by `scale` (a constant, broadcast to x). */
export function scaleGradient<T extends tf.Tensor>(x: T, scale: tf.Tensor): T {
  return scaled(x, stopGradient(tf.broadcastTo(scale, x.shape))) as T;
}

/**
 * `value` in the forward pass, the gradient of `surrogate` in the backward pass: value + (surrogate − stop(surrogate)).
 * The correction is exactly zero in floating point, so the value is bit-identical to `value`.
 */
export function withSurrogateGradient<T extends tf.Tensor>(value: T, surrogate: tf.Tensor): T {
  return tf.add(stopGradient(value), tf.sub(surrogate, stopGradient(surrogate))) as T;
}
