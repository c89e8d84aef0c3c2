/**
 * A model compiled to ONNX and run by an ONNX runtime's native kernels (onnxruntime-node in Node, onnxruntime-web in
 * the browser page: see src/onnx/runtime.ts) — the scores of a batch and the input gradient of each row's target
 * score, as the TensorFlow.js path computes them with `targetGradients`. The runtime is loaded on first use; when it
 * cannot be, creation fails with one line (`BACKEND`).
 */
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import type { CompiledGraph } from './compile-gradient-graph.js';
import { compileModelGraph } from './compile-onnx-file.js';
import { compilable } from './native-form.js';
import type { OnnxPropagation } from './rules/propagation.js';
import type { OnnxRunPool, OnnxRuntime, OnnxRuntimeLoader, OnnxRuntimeSession, RowArray } from './runtime.js';

/** Options of {@link OnnxGradientSession.create}. */
export interface OnnxSessionOptions {
  /** The runtime the graphs run on (Node's entry points default to onnxruntime-node). */
  runtime: OnnxRuntimeLoader;
  /** `'logits'` (default) or `'probabilities'`. */
  scores?: ScoreKind;
  /**
   * Cores to use (default 1). A model with at least {@link INTRA_OP_MULTIPLY_ADDS} multiply-adds per row uses them as
   * onnxruntime's intra-op threads; a smaller one (whose kernels are too small to split) runs in one thread and, after
   * {@link SESSION_POOL_WORTH_MS} of runs, starts the runtime's {@link OnnxRunPool} (where it has one) of one worker
   * fewer (the calling thread is a core too) that takes later runs while this thread is busy (a job's tasks in flight
   * then run side by side). On a runtime that spreads runs (`OnnxRuntime.spreadsRuns`: the page) every model runs in
   * one thread here and uses that pool, a big one's opened with the session.
   */
  threads?: number;
  /** Guided backpropagation through every ReLU (the `guidedRelu` rule; default false). */
  guided?: boolean;
  /** The propagation rule of the gradients (overrides `guided`; see `CompileOptions.propagation`). Default plain. */
  propagation?: OnnxPropagation;
  /** Shortest expected run (ms) sent to the session pool (default {@link POOL_RUN_MIN_MS}). */
  poolRunMinMs?: number;
  /** Monte-Carlo dropout: Dropout layers take fed keep-masks (see {@link OnnxGradientSession.dropouts}; default false). */
  dropout?: boolean;
  /** Head to compile (default 0). */
  outputIndex?: number;
  /**
   * The gradient graph compiled already with these options (`compileGradientGraph`, as {@link create} compiles it):
   * taken as is instead of compiling it again.
   */
  gradientGraph?: CompiledGraph;
  /**
   * Grad-CAM: the gradient graph gives layer `layer`'s activations and their gradient in place of the input gradient
   * (see `CompileOptions.layer`); call {@link OnnxGradientSession.layerGradients}.
   */
  layer?: string;
}

/** A Dropout layer of a session compiled with `dropout: true`: its rate and activation shape (channels last). */
export interface OnnxDropoutLayer {
  rate: number;
  shape: number[];
}

/** Scores and input gradients of one batch. */
export interface OnnxGradientResult {
  /** `[batch, classes]` scores, row-major. */
  scores: Float32Array;
  /** d(target score)/d(input) of each row, shaped like the input (channels last), row-major. */
  gradient: Float32Array;
}

/**
 * Multiply-adds per row (forward) from which a model's kernels are big enough for onnxruntime's intra-op threads:
 * measured on the 2-core machine, two intra-op threads made the Potamitis spectrogram CNN (72 M) 1.3–1.6× faster and
 * the PSD CNN (1.5 M) slower; below this, runs go to a pool of child processes, one run per core.
 */
export const INTRA_OP_MULTIPLY_ADDS = 8e6;

/**
 * Time spent in single-thread runs after which the session pool is started (small models with more than one core): the
 * pool costs a few hundred milliseconds of one core to start, worth it once the model keeps onnxruntime busy.
 */
export const SESSION_POOL_WORTH_MS = 50;

/**
 * Shortest expected run sent to the session pool: a shorter one is cheaper here than its messages (a round trip to a
 * pool process costs 0.5 ms plus about 4 µs per row of the tiny Conv1D network, measured at load 7).
 */
export const POOL_RUN_MIN_MS = 3;

/** Scores, a layer's activations and their gradient of one batch. */
export interface OnnxLayerGradientResult {
  /** `[batch, classes]` scores, row-major. */
  scores: Float32Array;
  /** `[batch, ...layerShape]` activations of the layer, channels last, row-major. */
  activations: Float32Array;
  /** The gradient of the seeded score with respect to {@link activations}, shaped as they are. */
  gradient: Float32Array;
}

/** A compiled model: one session with the gradient graph, one forward-only. Call {@link release} when done. */
export class OnnxGradientSession {
  /** Input shape without the batch axis (channels last). */
  readonly inputShape: number[];
  /** Number of classes of the compiled head. */
  readonly classes: number;
  /** With `dropout: true`, the Dropout layers (rate > 0) whose keep-masks every call takes, in order; else empty. */
  readonly dropouts: readonly OnnxDropoutLayer[];
  /** onnxruntime intra-op threads of the in-process sessions. */
  readonly intraOpThreads: number;
  /** Workers of the session pool besides the calling thread (0: no pool). */
  readonly sessionPoolSize: number;
  /** With the option `layer`: the shape of its activations without the batch axis (channels last); else undefined. */
  layerShape: number[] | undefined;
  private readonly runtime: OnnxRuntime;
  /** The gradient graph's session. */
  private readonly gradientSession: OnnxRuntimeSession;
  /**
   * The forward-only graph's session, opened at the first forward-only run (gradient-only callers never pay for it:
   * ONNX Runtime's set-up of a large graph takes seconds); none for a layer's session.
   */
  private forwardSession: Promise<OnnxRuntimeSession> | undefined;
  private readonly graphs: Uint8Array[];
  private pool: OnnxRunPool | undefined;
  private poolFailed = false;
  /** Milliseconds spent in single-thread runs so far. */
  private inProcessMs = 0;
  /** See {@link OnnxSessionOptions.poolRunMinMs}. */
  private readonly poolRunMinMs: number;
  /** Milliseconds per row of a run in this thread (running mean; 0 before the first). */
  private msPerRow = 0;
  /** Graphs that have run here once. */
  private readonly warmGraphs = new Set<number>();
  /** Runs started and not finished, in this thread and in the pool. */
  private readonly pending = { here: 0, pool: 0 };
  /** Runs so far, in this thread and in the pool (for tests and benchmarks). */
  readonly runs = { here: 0, pool: 0 };

  protected constructor(
    runtime: OnnxRuntime,
    shapes: { input: number[]; classes: number; dropouts: OnnxDropoutLayer[] },
    threads: { intraOp: number; sessionPool: number; poolRunMinMs: number },
    graphs: Uint8Array[],
    gradientSession: OnnxRuntimeSession,
  ) {
    this.runtime = runtime;
    this.inputShape = shapes.input;
    this.classes = shapes.classes;
    this.dropouts = shapes.dropouts;
    this.intraOpThreads = threads.intraOp;
    this.sessionPoolSize = threads.sessionPool;
    this.poolRunMinMs = threads.poolRunMinMs;
    this.graphs = graphs;
    this.gradientSession = gradientSession;
  }

  /**
   * Compiles head `outputIndex` of `model` (any graph of the layers `src/onnx/layer-lowering.ts` lowers; inputs of
   * fixed size, several inputs packed as `ExplainableModel.packInputs` packs them) and opens the sessions.
   *
   * @throws WingbeatsError `UNSUPPORTED_MODEL` when a layer has no lowering (callers fall back to TensorFlow.js),
   *   `BACKEND` when the runtime cannot be loaded, `INVALID_ARGUMENT` for bad options.
   * @example
   * const model = await loadModelFile('Mosquito_CNN_PSD.h5');
   * const session = await OnnxGradientSession.create(model, { runtime: loadNodeOnnxRuntime, threads: 1 });
   * const { scores, gradient } = await session.gradients(psdRows, [0, 3]); // two rows of 129 values
   * await session.release();
   */
  static async create(model: ExplainableModel, options: OnnxSessionOptions): Promise<OnnxGradientSession> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 256)
      throw argumentError('OnnxGradientSession.create', 'threads', 'an integer in [1, 256]', threads);
    const poolRunMinMs = options.poolRunMinMs ?? POOL_RUN_MIN_MS;
    if (typeof poolRunMinMs !== 'number' || !(poolRunMinMs >= 0))
      throw argumentError('OnnxGradientSession.create', 'poolRunMinMs', 'a number ≥ 0', options.poolRunMinMs);
    const scores = options.scores ?? 'logits';
    if (scores !== 'logits' && scores !== 'probabilities')
      throw argumentError('OnnxGradientSession.create', 'scores', "'logits' or 'probabilities'", scores);
    if (!compilable(model))
      throw new WingbeatsError('UNSUPPORTED_MODEL', 'A function model cannot be compiled to ONNX; pass a Keras model.');
    const outputIndex = options.outputIndex ?? 0;
    if (!Number.isInteger(outputIndex) || outputIndex < 0 || outputIndex >= model.outputNames.length)
      throw argumentError(
        'OnnxGradientSession.create',
        'outputIndex',
        `a head index in [0, ${model.outputNames.length})`,
        options.outputIndex,
      );
    const dropout = options.dropout === true;
    // A layer's session runs only its gradient graph (Grad-CAM needs no forward-only pass): no second graph.
    const layered = options.layer !== undefined;
    const compiled = (layered ? [true] : [true, false]).map((gradient) =>
      gradient && options.gradientGraph !== undefined
        ? options.gradientGraph
        : compileModelGraph(model, {
            scores,
            outputIndex,
            gradient,
            guided: options.guided === true,
            ...(options.propagation === undefined ? {} : { propagation: options.propagation }),
            dropout,
            ...(gradient && layered ? { layer: options.layer } : {}),
          }),
    );
    const graphs = compiled.map((c) => c.model);
    const shape = compiled[0].inputShape;
    const dropouts = compiled[0].dropouts.map(({ rate, shape }) => ({ rate, shape }));
    const big = compiled[0].multiplyAdds >= INTRA_OP_MULTIPLY_ADDS;
    const runtime = await options.runtime();
    // A small model shares the cores through a pool with sessions of their own, where the runtime has one (Node: child
    // processes, see OnnxSessionPool); otherwise it keeps one intra-op thread in this thread.
    // (A runtime that spreads runs does so for big models too, opening its pool at once for them.)
    const spread = runtime.spreadsRuns === true;
    const split =
      big && !spread
        ? { intraOp: threads, sessionPool: 0, poolRunMinMs }
        : { intraOp: 1, sessionPool: runtime.startRunPool !== undefined ? threads - 1 : 0, poolRunMinMs };
    const gradientSession = await runtime.createSession(graphs[0], { threads: split.intraOp });
    const classes = compiled[0].classes;
    const session = new this(runtime, { input: shape, classes, dropouts }, split, graphs, gradientSession);
    session.layerShape = compiled[0].layerShape;
    if (spread && big && split.sessionPool > 0) session.pool = session.openPool();
    return session;
  }

  /** Whether the session pool is running and ready (small models with more than one core, after a long run). */
  get sessionPoolReady(): boolean {
    return this.pool?.ready === true;
  }

  /**
   * Starts the session pool now (it otherwise starts after {@link SESSION_POOL_WORTH_MS} of single-thread runs) and resolves when
   * it is ready; does nothing when {@link sessionPoolSize} is 0.
   */
  async startSessionPool(): Promise<void> {
    if (this.sessionPoolSize < 1 || this.poolFailed) return;
    this.pool ??= this.openPool();
    await this.pool.whenReady().catch(() => undefined);
  }

  private openPool(): OnnxRunPool {
    const pool = this.runtime.startRunPool!(this.graphs, this.sessionPoolSize);
    pool.whenReady().catch(() => {
      // The numbers are the same in one thread: keep running here.
      this.poolFailed = true;
      if (this.pool === pool) this.pool = undefined;
      void pool.close();
    });
    return pool;
  }

  private inputArray(x: Float32Array, functionName: string): RowArray {
    const size = this.inputShape.reduce((a, b) => a * b, 1);
    if (!(x instanceof Float32Array) || x.length === 0 || x.length % size !== 0)
      throw argumentError(functionName, 'x', `a non-empty Float32Array of whole rows of ${size} values`, x);
    return { data: x, dims: [x.length / size, ...this.inputShape] };
  }

  /** The `keep_<k>` feeds of {@link dropouts} for `rows` rows. */
  private keepFeeds(keeps: readonly Float32Array[], rows: number, functionName: string): Record<string, RowArray> {
    if (keeps.length !== this.dropouts.length)
      throw argumentError(
        functionName,
        'keeps',
        `${this.dropouts.length} keep-masks (one per Dropout layer)`,
        keeps.length,
      );
    const feeds: Record<string, RowArray> = {};
    this.dropouts.forEach(({ shape }, k) => {
      const size = rows * shape.reduce((a, b) => a * b, 1);
      if (!(keeps[k] instanceof Float32Array) || keeps[k].length !== size)
        throw argumentError(
          functionName,
          `keeps[${k}]`,
          `a Float32Array of ${size} values ([${rows}, ${shape.join(', ')}])`,
          keeps[k],
        );
      feeds[`keep_${k}`] = { data: keeps[k], dims: [rows, ...shape] };
    });
    return feeds;
  }

  /** Runs graph `graph` (0 gradient, 1 forward): in the session pool when it is ready, else here (maybe starting it). */
  private async runGraph(graph: 0 | 1, feeds: Record<string, RowArray>): Promise<Record<string, Float32Array>> {
    // The calling thread is one of the cores: a run goes to the pool only while this thread has a run pending and
    // each pool worker has no more (so a job of one run never pays for the messages), and only a run long enough to be
    // worth the messages (about 0.5 ms each way, measured on the PSD CNN).
    if (graph === 1 && this.graphs[1] === undefined)
      throw new WingbeatsError('INVALID_ARGUMENT', "A layer's session has no forward-only graph: use layerGradients.");
    const session =
      graph === 0
        ? this.gradientSession
        : await (this.forwardSession ??= this.runtime.createSession(this.graphs[1], { threads: this.intraOpThreads }));
    const pool = this.pool;
    const rows = feeds.x.dims[0];
    const expectedMs = rows * this.msPerRow;
    // A runtime that spreads runs (the page: a run here blocks this thread until it ends, so the next one can only
    // start after it) sends a run to the pool whenever a pool thread is idle, long enough or not yet timed.
    const spread = this.runtime.spreadsRuns === true;
    if (
      pool?.ready === true &&
      (spread
        ? this.pending.pool < pool.size && (this.msPerRow === 0 || expectedMs >= this.poolRunMinMs)
        : expectedMs >= this.poolRunMinMs &&
          this.pending.here > 0 &&
          this.pending.pool / pool.size <= this.pending.here)
    ) {
      this.pending.pool++;
      this.runs.pool++;
      try {
        return await pool.run(graph, feeds);
      } finally {
        this.pending.pool--;
      }
    }
    const alone = this.pending.here === 0;
    this.pending.here++;
    this.runs.here++;
    let out: Record<string, Float32Array>;
    const started = performance.now();
    try {
      out = await session.run(feeds);
    } finally {
      this.pending.here--;
    }
    const elapsed = performance.now() - started;
    this.inProcessMs += elapsed;
    // Time per row from runs that did not wait behind others in this thread (a running mean), leaving out each graph's
    // first run (onnxruntime prepares its kernels then: several times a later run on a tiny network).
    const warm = this.warmGraphs.has(graph);
    this.warmGraphs.add(graph);
    if (alone && warm)
      this.msPerRow = this.msPerRow === 0 ? elapsed / rows : 0.8 * this.msPerRow + (0.2 * elapsed) / rows;
    if (
      this.pool === undefined &&
      this.sessionPoolSize > 0 &&
      !this.poolFailed &&
      this.inProcessMs >= SESSION_POOL_WORTH_MS
    )
      this.pool = this.openPool();
    return out;
  }

  /**
   * Scores and the gradient of `scores[row][targets[row]]` with respect to each row of `x` (row-major, channels last);
   * `keeps` are the 0/1 keep-masks of {@link dropouts} (`[rows, ...shape]` each) for a session compiled with dropout.
   *
   * @throws WingbeatsError `INVALID_ARGUMENT` when `x` is not whole rows, a target is not a class index or a keep-mask
   *   is missing or of the wrong size; WORKER_FAILED when a session-pool worker fails.
   */
  async gradients(
    x: Float32Array,
    targets: readonly number[],
    keeps: readonly Float32Array[] = [],
  ): Promise<OnnxGradientResult> {
    const input = this.inputArray(x, 'OnnxGradientSession.gradients');
    const rows = input.dims[0];
    if (targets.length !== rows || targets.some((t) => !Number.isInteger(t) || t < 0 || t >= this.classes))
      throw argumentError(
        'OnnxGradientSession.gradients',
        'targets',
        `${rows} class indices in [0, ${this.classes})`,
        targets,
      );
    const mask = new Float32Array(rows * this.classes);
    targets.forEach((t, r) => (mask[r * this.classes + t] = 1));
    return this.seededGradients(x, mask, keeps);
  }

  /**
   * Scores and the gradient of Σ `mask` ⊙ scores (or, for a session compiled under LRP or DeepLIFT, of the seed its
   * rule forms from `mask`) with respect to each row of `x`; `mask` is `[rows, classes]`, row-major.
   *
   * @throws WingbeatsError `INVALID_ARGUMENT` when `x` is not whole rows or `mask` or a keep-mask has the wrong size.
   */
  async seededGradients(
    x: Float32Array,
    mask: Float32Array,
    keeps: readonly Float32Array[] = [],
  ): Promise<OnnxGradientResult> {
    const functionName = 'OnnxGradientSession.seededGradients';
    const out = await this.runSeeded(x, mask, keeps, functionName);
    return { scores: out.scores, gradient: out.gradient };
  }

  /** Runs the gradient graph on the rows of `x` from the output seed `mask` (`[rows, classes]`), checking both. */
  private async runSeeded(
    x: Float32Array,
    mask: Float32Array,
    keeps: readonly Float32Array[],
    functionName: string,
  ): Promise<Record<string, Float32Array>> {
    const input = this.inputArray(x, functionName);
    const rows = input.dims[0];
    if (!(mask instanceof Float32Array) || mask.length !== rows * this.classes)
      throw argumentError(functionName, 'mask', `a Float32Array of ${rows * this.classes} values`, mask);
    return this.runGraph(0, {
      x: input,
      mask: { data: mask, dims: [rows, this.classes] },
      ...this.keepFeeds(keeps, rows, functionName),
    });
  }

  /**
   * Scores, the activations of the session's `layer` and the gradient of Σ mask · scores with respect to them, for
   * each row of `x`; `mask` is `[rows, classes]`, row-major (`keeps` as in {@link gradients}).
   *
   * @throws WingbeatsError `INVALID_ARGUMENT` for a session opened without `layer`, `x` that is not whole rows, or
   *   `mask` or a keep-mask of the wrong size.
   */
  async layerGradients(
    x: Float32Array,
    mask: Float32Array,
    keeps: readonly Float32Array[] = [],
  ): Promise<OnnxLayerGradientResult> {
    const functionName = 'OnnxGradientSession.layerGradients';
    if (this.layerShape === undefined)
      throw new WingbeatsError('INVALID_ARGUMENT', `'${functionName}' needs a session opened with the option 'layer'.`);
    const out = await this.runSeeded(x, mask, keeps, functionName);
    return { scores: out.scores, activations: out.activations, gradient: out.layerGradient };
  }

  /** Scores of each row of `x` (`[rows, classes]`, row-major), from the forward-only graph (`keeps` as in gradients). */
  async scores(x: Float32Array, keeps: readonly Float32Array[] = []): Promise<Float32Array> {
    const input = this.inputArray(x, 'OnnxGradientSession.scores');
    const feeds = { x: input, ...this.keepFeeds(keeps, input.dims[0], 'OnnxGradientSession.scores') };
    return (await this.runGraph(1, feeds)).scores;
  }

  /** Frees the native sessions and stops the session pool. */
  async release(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.poolFailed = true;
    const forward = this.forwardSession?.then(
      (s) => s.release(),
      () => undefined,
    );
    await Promise.all([this.gradientSession.release(), forward, pool?.close()]);
  }
}
