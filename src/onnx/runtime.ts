/**
 * The ONNX runtime the compiled graphs run on, as the engine code sees it: open a session from the bytes of an ONNX
 * model, run it on float32 feeds, release it. Node implements it with onnxruntime-node (src/node/onnx/ort.ts), the
 * browser page with onnxruntime-web (`webOnnxRuntime`, src/onnx/runtime-web.ts); the sessions and the task runner
 * above it (src/onnx/onnx-gradient-session.ts, onnx-task-runner.ts) are the same code on both.
 */

/** A float32 array with its dims (`dims[0]` rows): a feed or output of a session run. */
export interface RowArray {
  data: Float32Array;
  dims: number[];
}

/** One session over one ONNX graph. */
export interface OnnxRuntimeSession {
  /** Runs the graph on `feeds` and returns every output's values by name (the same numbers in any thread). */
  run(feeds: Record<string, RowArray>): Promise<Record<string, Float32Array>>;
  /** Frees the session. */
  release(): Promise<void>;
}

/**
 * Sessions of the same graphs in other threads, each taking whole runs (Node's worker threads): both cores for models
 * whose kernels are too small for the runtime's own intra-op threads.
 */
export interface OnnxRunPool {
  /** Threads of the pool. */
  readonly size: number;
  /** Whether every thread has its sessions open. */
  readonly ready: boolean;
  /** Resolves when {@link ready}; rejects when the threads could not start. */
  whenReady(): Promise<void>;
  /** Runs graph `graph` (its index in the graphs the pool started with) on `feeds` in the next idle thread. */
  run(graph: number, feeds: Record<string, RowArray>): Promise<Record<string, Float32Array>>;
  /** Stops the threads. */
  close(): Promise<void>;
}

/** An ONNX runtime, loaded. */
export interface OnnxRuntime {
  /** The package that runs the graphs, for messages (`'onnxruntime-node'`, `'onnxruntime-web'`). */
  readonly name: string;
  /**
   * Opens a session of `graph` (a binary ONNX model) with `threads` intra-op threads (a runtime whose thread count is
   * fixed for the whole page, as onnxruntime-web's, ignores it).
   */
  createSession(graph: Uint8Array, options: { threads: number }): Promise<OnnxRuntimeSession>;
  /**
   * Starts `size` threads that each open sessions of `graphs` (in the background: see `OnnxRunPool.ready`); absent
   * where the runtime cannot run in other threads of this program (the browser page, older onnxruntime-node).
   */
  startRunPool?: (graphs: Uint8Array[], size: number) => OnnxRunPool;
  /**
   * Whether the run pool takes runs of every model, also of those big enough for intra-op threads (onnxruntime-web:
   * its own threads wait for each other at every op, and exist only where the page is cross-origin isolated; the pool
   * opens with the session and takes a run whenever one of its threads is idle). Default false: only small models use
   * the pool (see `OnnxSessionOptions.threads`).
   */
  readonly spreadsRuns?: boolean;
}

/**
 * Loads a runtime (e.g. imports its package) on first use and resolves the same one afterwards.
 * @throws WingbeatsError `BACKEND` (as a rejection) when the runtime cannot be loaded.
 */
export type OnnxRuntimeLoader = () => Promise<OnnxRuntime>;

/** A tensor of an onnxruntime package (onnxruntime-node or onnxruntime-web), as far as running a session needs. */
export interface OrtTensor {
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** An inference session of an onnxruntime package. */
export interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

/** The float32 tensor constructor of an onnxruntime package (`ort.Tensor`). */
export type OrtTensorConstructor = new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;

/** The parts of the onnxruntime-web module (`import * as ort from 'onnxruntime-web/wasm'`) the engine uses. */
export interface OrtWebModule {
  env: { wasm: { wasmPaths?: unknown; numThreads?: number; proxy?: boolean } };
  InferenceSession: { create(model: Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  Tensor: OrtTensorConstructor;
}

/**
 * Runs an onnxruntime `session` on plain float32 `feeds` (wrapped with the package's own `Tensor`) and returns every
 * output's values by name: the one run of both packages.
 */
export async function runOrtSession(
  Tensor: OrtTensorConstructor,
  session: OrtSession,
  feeds: Record<string, RowArray>,
): Promise<Record<string, Float32Array>> {
  const tensors = Object.fromEntries(
    Object.entries(feeds).map(([name, { data, dims }]) => [name, new Tensor('float32', data, dims)]),
  );
  const out = await session.run(tensors);
  return Object.fromEntries(Object.entries(out).map(([name, tensor]) => [name, tensor.data as Float32Array]));
}
