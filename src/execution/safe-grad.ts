/**
 * `tf.grad` that frees what TensorFlow.js keeps for the backward pass when the forward function throws.
 * (tfjs keeps the tensors saved for backprop on its tape and only frees them after a successful backward pass, so a
 * throwing forward leaks them even inside `tf.tidy`.)
 */
import * as tf from '@tensorflow/tfjs';

interface TapeNode {
  saved?: tf.Tensor[];
}

interface EngineState {
  gradientDepth: number;
  activeTape: TapeNode[] | null;
}

/** Gradient of the scalar `f` with respect to `x`; on error, the tape's saved tensors are freed before rethrowing. */
export function safeGrad(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Tensor {
  try {
    return tf.grad(f)(x);
  } catch (error) {
    const state = (tf.engine() as unknown as { state: EngineState }).state;
    if (state.gradientDepth === 0 && state.activeTape !== null) {
      for (const node of state.activeTape) node.saved?.forEach((t) => t.dispose());
      state.activeTape = null;
    }
    throw error;
  }
}
