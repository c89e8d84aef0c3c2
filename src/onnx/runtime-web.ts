/**
 * onnxruntime-web as the ONNX runtime of the engine (src/onnx/runtime.ts), for the browser page: its WebAssembly
 * backend (SIMD), multi-threaded only where the page is cross-origin isolated (elsewhere browsers give no
 * SharedArrayBuffer), its wasm files loaded from a path of the page's own (never a CDN). The library does not import
 * onnxruntime-web: the page passes the module in, so library users who do not want it never load it.
 */
import { WingbeatsError } from '../util/errors.js';
import { OnnxGraph } from './onnx-graph.js';
import { startWebRunPool, webSessionOptions, type RunPoolWorker } from './web-run-pool.js';
import { runOrtSession, type OnnxRuntime, type OnnxRuntimeLoader, type OrtWebModule } from './runtime.js';

export type { OrtWebModule } from './runtime.js';

/** Options of {@link webOnnxRuntime}. */
export interface WebOnnxRuntimeOptions {
  /** URL of the folder holding onnxruntime-web's `ort-wasm-simd-threaded.mjs` and `.wasm` (ending in `/`). */
  wasmPaths: string;
  /**
   * Threads onnxruntime-web may use: used only where the page is cross-origin isolated (`crossOriginIsolated`), else
   * 1. onnxruntime-web fixes its thread count for the whole page at its first session.
   */
  threads: number;
  /**
   * Starts one Web Worker of the run pool (the page's `ort-worker` bundle, which calls `serveOnnxRuns`). With it, runs
   * are spread over `threads − 1` such workers and the page's own thread (each running onnxruntime-web with one
   * thread, on any page: see src/onnx/web-run-pool.ts) instead of onnxruntime-web's threads. Default: no pool.
   */
  runPoolWorker?: () => RunPoolWorker;
}

/** The threads onnxruntime-web gets: `wanted` where the page is cross-origin isolated, else 1. */
export function webOnnxThreads(wanted: number): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  return isolated ? Math.max(1, Math.floor(wanted)) : 1;
}

/**
 * A loader of onnxruntime-web as an {@link OnnxRuntime}: the first call sets its environment (wasm files from
 * `wasmPaths`, {@link webOnnxThreads} threads — one with a run pool, which then takes whole runs in Web Workers — no
 * proxy worker) and opens a tiny session, so a missing or unloadable
 * wasm file fails here, as one `BACKEND` line, rather than at the model's first run. A failed load stays failed
 * (onnxruntime-web starts its wasm module once per page).
 * @example
 * import * as ort from 'onnxruntime-web/wasm';
 * const runtime = webOnnxRuntime(ort, { wasmPaths: new URL('./ort/', location.href).href, threads: 2 });
 * const runner = await OnnxTaskRunner.create(model, { runtime });
 */
export function webOnnxRuntime(ort: OrtWebModule, options: WebOnnxRuntimeOptions): OnnxRuntimeLoader {
  let loaded: Promise<OnnxRuntime> | undefined;
  return () => (loaded ??= loadWebRuntime(ort, options));
}

async function loadWebRuntime(ort: OrtWebModule, options: WebOnnxRuntimeOptions): Promise<OnnxRuntime> {
  const { runPoolWorker, wasmPaths } = options;
  const cores = Math.max(1, Math.floor(options.threads));
  ort.env.wasm.wasmPaths = wasmPaths;
  ort.env.wasm.numThreads = runPoolWorker === undefined ? webOnnxThreads(cores) : 1;
  ort.env.wasm.proxy = false;
  const pool =
    runPoolWorker === undefined || cores < 2
      ? {}
      : {
          spreadsRuns: true,
          startRunPool: (graphs: Uint8Array[], size: number) => startWebRunPool(graphs, size, runPoolWorker, wasmPaths),
        };
  const runtime: OnnxRuntime = {
    name: 'onnxruntime-web',
    ...pool,
    async createSession(graph) {
      const session = await ort.InferenceSession.create(graph, webSessionOptions(graph));
      return { run: (feeds) => runOrtSession(ort.Tensor, session, feeds), release: () => session.release() };
    },
  };
  try {
    const probe = await runtime.createSession(identityGraph(), { threads: 1 });
    await probe.release();
  } catch (error) {
    throw new WingbeatsError(
      'BACKEND',
      `ONNX Runtime Web could not start from '${options.wasmPaths}': ${String((error as Error)?.message ?? error).replace(/\.$/, '')}.`,
      { cause: error },
    );
  }
  return runtime;
}

/** The smallest graph, `y = Identity(x)` over floats `[batch, 1]`: opening it starts onnxruntime-web's wasm module. */
function identityGraph(): Uint8Array {
  const graph = new OnnxGraph();
  graph.output('y', graph.input('x', [1]), [1]);
  return graph.encode('probe');
}
