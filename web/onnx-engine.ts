/**
 * The page's native engine: ONNX Runtime Web (WebAssembly with SIMD; several threads only where the page is
 * cross-origin isolated) registered as the `'onnx'` engine through the same seam Node uses
 * (`registerComputeBackend` + `setTaskAccelerator`, see src/node/onnx/onnx-backend.ts), so `engine: 'auto'` runs a
 * model that lowers to ONNX on it and any other on TensorFlow.js. The compiled graphs and the task runner are the
 * library's (src/onnx/); only the runtime differs. Its wasm files come from the page's own build output (`ort/`).
 */
import * as ort from 'onnxruntime-web/wasm';
import { WingbeatsError, registerComputeBackend, setTaskAccelerator, type ExplainableModel } from '../src/index.js';
import { OnnxTaskRunner } from '../src/onnx/onnx-task-runner.js';
import { webOnnxRuntime, webOnnxThreads } from '../src/onnx/runtime-web.js';
import type { OnnxRuntimeLoader } from '../src/onnx/runtime.js';

/** What became of a model on the native engine. */
interface Prepared {
  runner?: OnnxTaskRunner;
  /** Why the model stays on TensorFlow.js (one line), when it does. */
  reason?: string;
}

/** The page's ONNX Runtime Web engine (see {@link usePageOnnxEngine}). */
export interface PageOnnxEngine {
  /** Threads onnxruntime-web runs with (1 unless the page is cross-origin isolated). */
  readonly threads: number;
  /** Starts loading onnxruntime-web's wasm in the background (a failure is told when a model first needs it). */
  preload(): void;
  /** Why `model` runs on TensorFlow.js although the native engine was asked for, or undefined when it does not. */
  fallbackReason(model: ExplainableModel): string | undefined;
}

/**
 * Registers ONNX Runtime Web as the page's `'onnx'` engine: a model is compiled once (on its first call with engine
 * `'auto'` or `'onnx'`) and its runner set as the model's accelerator; a model that does not lower, or a runtime
 * that cannot load, keeps TensorFlow.js and {@link PageOnnxEngine.fallbackReason} says why in one line.
 * `model.dispose()` frees its sessions.
 * @example const engine = usePageOnnxEngine({ wasmPaths: new URL('./ort/', location.href).href, threads: 2 });
 */
export function usePageOnnxEngine(options: { wasmPaths: string; threads: number }): PageOnnxEngine {
  const runtime: OnnxRuntimeLoader = webOnnxRuntime(ort, options);
  const prepared = new WeakMap<ExplainableModel, Promise<Prepared>>();
  const reasons = new WeakMap<ExplainableModel, string>();
  const watched = new WeakSet<ExplainableModel>();

  const compile = async (model: ExplainableModel): Promise<Prepared> => {
    try {
      return { runner: await OnnxTaskRunner.create(model, { runtime }) };
    } catch (error) {
      if (!(error instanceof WingbeatsError) || (error.code !== 'UNSUPPORTED_MODEL' && error.code !== 'BACKEND'))
        throw error;
      return { reason: `${error.message.replace(/\.$/, '')}; using TensorFlow.js.` };
    }
  };

  registerComputeBackend('onnx', async (model) => {
    let entry = prepared.get(model);
    if (entry === undefined) {
      if (!watched.has(model)) {
        watched.add(model);
        model.onDispose(() => {
          const closing = prepared.get(model);
          prepared.delete(model);
          setTaskAccelerator(model, 'onnx', undefined);
          void closing?.then((done) => done.runner?.close()).catch(() => undefined);
        });
      }
      entry = compile(model);
      prepared.set(model, entry);
      entry.catch(() => prepared.delete(model));
    }
    const { runner, reason } = await entry;
    setTaskAccelerator(model, 'onnx', runner);
    if (reason === undefined) reasons.delete(model);
    else reasons.set(model, reason);
    return runner !== undefined;
  });

  return {
    threads: webOnnxThreads(options.threads),
    preload: () => void runtime().catch(() => undefined),
    fallbackReason: (model) => reasons.get(model),
  };
}
