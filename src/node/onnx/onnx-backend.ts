/**
 * Node only: the ONNX Runtime engines as registered in the engine registry — `'onnx'` on the CPU and `'onnx-cuda'`
 * on CUDA where onnxruntime-node has it ({@link registerNodeEngines}; importing `wingbeats-xai/node` and the command
 * line do). A session opens one once per thread count: the model is compiled into an {@link OnnxTaskRunner} that runs
 * the session's row tasks on onnxruntime-node, and is closed with the session. The compiler and onnxruntime-node load
 * only when a model first runs on it. A model it cannot compile (UNSUPPORTED_MODEL) or a missing onnxruntime-node or
 * CUDA (BACKEND) makes the session fall back after one line (see `resolveEngine`).
 */
import { WingbeatsError } from '../../util/errors.js';
import { registerEngine, type Engine, type EngineFactory } from '../../session/engines.js';

/**
 * The factory of the ONNX Runtime engine on the CPU: loads the ONNX compiler and runner on first use.
 * @example registerEngine('onnx', onnxEngine);
 */
export const onnxEngine: EngineFactory = async (): Promise<Engine> => {
  const { OnnxTaskRunner } = await import('./node-onnx-sessions.js');
  return { open: (model, { threads }) => OnnxTaskRunner.create(model, { threads }) };
};

/**
 * The factory of the ONNX Runtime engine on CUDA: fails to start (BACKEND, one line saying why and what to install)
 * where onnxruntime-node has no CUDA provider or its library is not installed — as with the onnxruntime-node 1.17
 * this package depends on; see docs/performance.md, "GPU".
 * @example registerEngine('onnx-cuda', onnxCudaEngine);
 */
export const onnxCudaEngine: EngineFactory = async (): Promise<Engine> => {
  const [{ loadOrt }, { cudaProblem }, { nodeOnnxRuntime }, { OnnxTaskRunner }] = await Promise.all([
    import('./ort.js'),
    import('./cuda-provider.js'),
    import('./node-onnx-runtime.js'),
    import('./node-onnx-sessions.js'),
  ]);
  const ort = await loadOrt();
  const problem = cudaProblem(ort);
  if (problem !== undefined) throw new WingbeatsError('BACKEND', problem);
  const runtime = nodeOnnxRuntime(ort, ['cuda']);
  return {
    open: (model, { threads }) => OnnxTaskRunner.create(model, { threads, runtime: () => Promise.resolve(runtime) }),
  };
};

/** Registers Node's engines: `'onnx'` (ONNX Runtime on the CPU) and `'onnx-cuda'` (on CUDA, where present). */
export function registerNodeEngines(): void {
  registerEngine('onnx', onnxEngine);
  registerEngine('onnx-cuda', onnxCudaEngine);
}
