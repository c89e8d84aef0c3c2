/**
 * `tf.models.modelFromJSON` without the tensors its build leaves behind: TensorFlow.js's LSTM with
 * `unit_forget_bias` (the Keras default) makes its initial bias from four temporary tensors it never frees, so every
 * load and copy of such a model would leave them in `tf.memory()` after `dispose()`.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Builds a layers model from its topology (no weights) inside an engine scope, so every temporary tensor the layers'
 * initializers create is freed; the weight variables are not scope-tracked and stay with the model.
 *
 * The build runs synchronously when `modelFromJSON` is called without a weights manifest, so the scope holds only the
 * build's own tensors. The caller owns the returned model (free it with `dispose()`).
 * @throws whatever `tf.models.modelFromJSON` throws for a bad topology (as a rejected promise).
 * @example const model = await layersModelFromJson(config);
 */
export function layersModelFromJson(modelTopology: unknown): Promise<tf.LayersModel> {
  const engine = tf.engine();
  engine.startScope();
  try {
    return tf.models.modelFromJSON({ modelTopology } as tf.io.ModelJSON);
  } finally {
    engine.endScope();
  }
}
