/**
 * Keras's `Conv1D(padding='causal')` as a registered TensorFlow.js layer, `CausalConv1D`: TensorFlow.js's Conv1D
 * accepts the setting but computes a wrong output length for it (as for 'valid') and cannot run it. The loader renames
 * such layers of Keras configs; the explainable executor runs them with the `Conv1D` op (left padding by the dilated
 * kernel extent minus one, then a 'valid' convolution with an exact input gradient).
 */
import * as tf from '@tensorflow/tfjs';
import { layerOp, registerLayerOp } from '../execution/layer-ops.js';

type LayerConstructor = new (args: Record<string, unknown>) => tf.layers.Layer;

let causalClass: LayerConstructor | null = null;

/** The class, derived from TensorFlow.js's Conv1D (whose class is not exported) on first use. */
function causalConv1dClass(): LayerConstructor {
  if (causalClass !== null) return causalClass;
  const Conv1D = tf.layers.conv1d({ filters: 1, kernelSize: 1 }).constructor as LayerConstructor;
  class CausalConv1D extends Conv1D {
    static className = 'CausalConv1D';

    override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
      const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
      const c = this.getConfig() as { filters: number; strides: number | number[] };
      const stride = Array.isArray(c.strides) ? c.strides[0] : c.strides;
      const length = shape[1] === null ? null : Math.ceil(shape[1] / stride);
      return [shape[0], length, c.filters];
    }

    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
      throw new Error(
        `Causal Conv1D layer '${this.name}' runs only in the explainable executor (model.run); ${Array.isArray(inputs) ? 'inputs' : 'input'} not computed.`,
      );
    }
  }
  causalClass = CausalConv1D;
  return causalClass;
}

let registered = false;

/** Registers `CausalConv1D` with TensorFlow.js's serialization and the executor's ops (idempotent). */
export function registerCausalConv1D(): void {
  if (registered) return;
  const cls = causalConv1dClass();
  tf.serialization.registerClass(
    cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
  );
  const conv = layerOp('Conv1D');
  if (conv !== undefined) registerLayerOp('CausalConv1D', conv);
  registered = true;
}
