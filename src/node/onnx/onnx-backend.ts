/**
 * Node only: the ONNX Runtime engine (`engine: 'auto'` / `'onnx'`), as registered in the engine registry
 * (`registerEngine('onnx', onnxEngine)`; importing `wingbeats-xai/node` and the command line do). A session opens it
 * once per thread count: the model is compiled into an {@link OnnxTaskRunner} that runs the session's gradient,
 * integrated-gradients, MC-dropout and forward tasks on onnxruntime-node, and is closed with the session. The
 * compiler and onnxruntime-node load only when a model first runs on it. A model it cannot compile
 * (UNSUPPORTED_MODEL) or a missing onnxruntime-node (BACKEND) makes the session keep TensorFlow.js after one line.
 */
import type { Engine, EngineFactory } from '../../session/engines.js';

/**
 * The factory of the ONNX Runtime engine: loads the ONNX compiler and runner on first use.
 * @example registerEngine('onnx', onnxEngine);
 */
export const onnxEngine: EngineFactory = async (): Promise<Engine> => {
  const { OnnxTaskRunner } = await import('./node-onnx-sessions.js');
  return { open: (model, { threads }) => OnnxTaskRunner.create(model, { threads }) };
};
