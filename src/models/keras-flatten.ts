/**
 * Keras's `Flatten` as a registered TensorFlow.js layer, `KerasFlatten`: like TensorFlow.js's `Flatten` but, as in
 * Keras, it also accepts a 2-D input (a recurrent layer's last output), which it passes through. The loader renames
 * `Flatten` layers of Keras configs to it; the explainable executor runs it with the plain `Flatten` op.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { layerOp, registerLayerOp } from '../execution/layer-ops.js';

/** Flattens every axis after the batch axis, for inputs of rank 2 or more. */
export class KerasFlatten extends tf.layers.Layer {
  static className = 'KerasFlatten';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const rest = shape.slice(1);
    if (rest.length === 0 || rest.some((d) => d === null)) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Flatten layer '${this.name}' needs a fully known input shape after the batch axis but got [${shape.map((d) => d ?? '?').join(',')}].`,
      );
    }
    return [shape[0], (rest as number[]).reduce((a, b) => a * b, 1)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.reshape(x, [x.shape[0], -1]);
  }
}

let registered = false;

/** Registers {@link KerasFlatten} with TensorFlow.js's serialization and the executor's ops (idempotent). */
export function registerKerasFlatten(): void {
  if (registered) return;
  tf.serialization.registerClass(KerasFlatten);
  const flatten = layerOp('Flatten');
  if (flatten !== undefined) registerLayerOp(KerasFlatten.className, flatten);
  registered = true;
}
