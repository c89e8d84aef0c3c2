/**
 * The page's native engine: ONNX Runtime Web (WebAssembly with SIMD, one thread in the page and one in each Web Worker
 * of its run pool, so a job's runs use every core on any page) registered as the `'onnx'` engine through the same registry Node uses (`registerEngine`, see
 * src/node/onnx/onnx-backend.ts), so `engine: 'auto'` runs a
 * model that lowers to ONNX on it and any other on TensorFlow.js. The compiled graphs and the task runner are the
 * library's (src/onnx/); only the runtime differs. Its wasm files come from the page's own build output (`ort/`).
 */
import * as ort from 'onnxruntime-web/wasm';
import { WingbeatsError, registerEngine, type ExplainableModel } from '../src/index.js';
import { OnnxTaskRunner } from '../src/onnx/onnx-task-runner.js';
import { webOnnxRuntime } from '../src/onnx/runtime-web.js';
import type { OnnxRuntimeLoader } from '../src/onnx/runtime.js';

/** The page's ONNX Runtime Web engine (see {@link usePageOnnxEngine}). */
export interface PageOnnxEngine {
  /**
   * Cores ONNX Runtime Web runs on: the page's thread and `threads − 1` Web Workers of the run pool, each with
   * onnxruntime-web on one thread (on any page, cross-origin isolated or not).
   */
  readonly threads: number;
  /** Starts loading onnxruntime-web's wasm in the background (a failure is told when a model first needs it). */
  preload(): void;
  /** Why `model` runs on TensorFlow.js although the native engine was asked for, or undefined when it does not. */
  fallbackReason(model: ExplainableModel): string | undefined;
}

/**
 * Registers ONNX Runtime Web as the page's `'onnx'` engine (`registerEngine`): a session compiles its model once (on
 * its first call with engine `'auto'` or `'onnx'`) and closes the runner with the session; a model that does not
 * lower, or a runtime that cannot load, keeps TensorFlow.js and {@link PageOnnxEngine.fallbackReason} says why in one
 * line.
 * @example const engine = usePageOnnxEngine({ wasmPaths: new URL('./ort/', location.href).href, threads: 2 });
 */
export function usePageOnnxEngine(options: { wasmPaths: string; threads: number }): PageOnnxEngine {
  // Whole runs side by side in Web Workers (the page's ort-worker.js bundle), on any page: see src/onnx/web-run-pool.ts.
  const runPoolWorker = () =>
    new Worker(new URL('./ort-worker.js', window.location.href), { type: 'module', name: 'wingbeats-onnx' });
  const runtime: OnnxRuntimeLoader = webOnnxRuntime(ort, { ...options, runPoolWorker });
  const reasons = new WeakMap<ExplainableModel, string>();
  const threads = Math.max(1, Math.floor(options.threads));

  registerEngine('onnx', () => ({
    async open(model) {
      try {
        const runner = await OnnxTaskRunner.create(model, { runtime, threads });
        reasons.delete(model);
        return runner;
      } catch (error) {
        if (error instanceof WingbeatsError && (error.code === 'UNSUPPORTED_MODEL' || error.code === 'BACKEND'))
          reasons.set(model, `${error.message.replace(/\.$/, '')}; using TensorFlow.js.`);
        throw error;
      }
    },
  }));

  return {
    threads,
    preload: () => void runtime().catch(() => undefined),
    fallbackReason: (model) => reasons.get(model),
  };
}
