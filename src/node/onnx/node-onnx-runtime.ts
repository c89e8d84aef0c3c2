/**
 * Node only: onnxruntime-node as the ONNX runtime of the engine (src/onnx/runtime.ts) — sessions with the project's
 * session options, and a pool of child processes with sessions of their own (see OnnxSessionPool).
 */
import type { OnnxRuntime, OnnxRuntimeLoader } from '../../onnx/runtime.js';
import { loadOrt, runSession, sessionOptions, type Ort } from './ort.js';
import { OnnxSessionPool } from './onnx-session-pool.js';

/** onnxruntime-node as an {@link OnnxRuntime}, with a pool of child processes for small models. */
export function nodeOnnxRuntime(ort: Ort): OnnxRuntime {
  return {
    name: 'onnxruntime-node',
    async createSession(graph, { threads }) {
      const session = await ort.InferenceSession.create(graph, sessionOptions(threads, graph));
      return { run: (feeds) => runSession(ort, session, feeds), release: () => session.release() };
    },
    startRunPool: (graphs: Uint8Array[], size: number) => OnnxSessionPool.start(graphs, size),
  };
}

let loaded: Promise<OnnxRuntime> | undefined;

/**
 * Loads onnxruntime-node on first use (a failed load is tried again on the next call) and resolves its runtime.
 * @throws WingbeatsError `BACKEND` (as a rejection) when onnxruntime-node cannot be loaded.
 * @example const session = await OnnxGradientSession.create(model, { runtime: loadNodeOnnxRuntime });
 */
export const loadNodeOnnxRuntime: OnnxRuntimeLoader = () => {
  loaded ??= loadOrt().then(nodeOnnxRuntime);
  loaded.catch(() => (loaded = undefined));
  return loaded;
};
