/**
 * The page's native engine: ONNX Runtime Web (WebAssembly with SIMD; several threads only where the page is
 * cross-origin isolated) registered as the `'onnx'` engine through the same registry Node uses (`registerEngine`, see
 * src/node/onnx/onnx-backend.ts), so `engine: 'auto'` runs a
 * model that lowers to ONNX on it and any other on TensorFlow.js. The compiled graphs and the task runner are the
 * library's (src/onnx/); only the runtime differs. Its wasm files come from the page's own build output (`ort/`).
 */
import * as ort from 'onnxruntime-web/wasm';
import { WingbeatsError, registerEngine, type ExplainableModel } from '../src/index.js';
import { OnnxTaskRunner } from '../src/onnx/onnx-task-runner.js';
import { webOnnxRuntime, webOnnxThreads } from '../src/onnx/runtime-web.js';
import type { OnnxRuntimeLoader } from '../src/onnx/runtime.js';

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
 * Registers ONNX Runtime Web as the page's `'onnx'` engine (`registerEngine`): a session compiles its model once (on
 * its first call with engine `'auto'` or `'onnx'`) and closes the runner with the session; a model that does not
 * lower, or a runtime that cannot load, keeps TensorFlow.js and {@link PageOnnxEngine.fallbackReason} says why in one
 * line.
 * @example const engine = usePageOnnxEngine({ wasmPaths: new URL('./ort/', location.href).href, threads: 2 });
 */
export function usePageOnnxEngine(options: { wasmPaths: string; threads: number }): PageOnnxEngine {
  const runtime: OnnxRuntimeLoader = webOnnxRuntime(ort, options);
  const reasons = new WeakMap<ExplainableModel, string>();
  const threads = webOnnxThreads(options.threads);

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
