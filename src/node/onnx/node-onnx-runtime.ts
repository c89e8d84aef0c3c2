/**
 * Node only: onnxruntime-node as the ONNX runtime of the engine (src/onnx/runtime.ts) — sessions with the project's
 * session options, and a pool of child processes with sessions of their own (see OnnxSessionPool).
 */
import type { OnnxRuntime, OnnxRuntimeLoader } from '../../onnx/runtime.js';
import { loadOrt, runSession, sessionOptions, type Ort } from './ort.js';
import { OnnxSessionPool } from './onnx-session-pool.js';
import { WingbeatsError } from '../../util/errors.js';

/**
 * onnxruntime-node as an {@link OnnxRuntime}: on the CPU with a pool of child processes for small models, or, with
 * `providers` (e.g. `['cuda']`), sessions on those execution providers and no pool.
 */
export function nodeOnnxRuntime(ort: Ort, providers?: readonly string[]): OnnxRuntime {
  return {
    name: providers === undefined ? 'onnxruntime-node' : `onnxruntime-node (${providers.join(', ')})`,
    async createSession(graph, { threads }) {
      const session = await ort.InferenceSession.create(graph, sessionOptions(threads, graph, providers)).catch(
        (error: unknown) => {
          // A provider that is installed but cannot start (no device, a driver or CUDA version that does not match).
          if (providers === undefined) throw error;
          throw new WingbeatsError(
            'BACKEND',
            `ONNX Runtime could not open a session on ${providers.join(', ')}: ${(error as Error).message}`,
            { cause: error },
          );
        },
      );
      return { run: (feeds) => runSession(ort, session, feeds), release: () => session.release() };
    },
    ...(providers === undefined
      ? { startRunPool: (graphs: Uint8Array[], size: number) => OnnxSessionPool.start(graphs, size) }
      : {}),
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
