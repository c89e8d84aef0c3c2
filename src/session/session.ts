/**
 * Sessions: everything the calls on one model share, owned in one object instead of tables keyed by the model — the
 * engine resolved for it (ONNX Runtime's compiled runner, or TensorFlow.js after one line saying why), its worker pool
 * and the snapshot the workers were built from, and the fast paths' kernel cache. `dispose()` closes all of it.
 * Methods accept a session wherever they accept a model; given a model, a call uses the model's default session.
 */
import * as tf from '@tensorflow/tfjs';
import {
  ExplainableModel,
  asExplainableModel,
  isSessionHandle,
  type ModelInput,
  type SessionHandle,
} from '../execution/explainable-model.js';
import type { ComputeBackend, EngineChoice } from '../execution/execution-settings.js';
import type { JobSession } from '../parallel/run-row-tasks.js';
import type { TaskAccelerator } from '../parallel/task-accelerator.js';
import { ModelWorkers, defaultWorkerCount } from '../parallel/worker-pool.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import { MAX_WORKERS } from './request-option-specs.js';

export { MAX_WORKERS };
import {
  type Engine,
  type EngineName,
  type EngineRunner,
  type ResolvedEngine,
  engineChoice,
  hasEngineFor,
  resolveEngine,
} from './engines.js';

/** Options of {@link openSession}. */
export interface SessionOptions {
  /**
   * The engine of the session's calls (default `'auto'`: ONNX Runtime where it is registered — Node, after importing
   * `wingbeats-xai/node` — and the model lowers to it, else TensorFlow.js after one line saying why; `'onnx'` is the
   * same but refused where no ONNX engine is registered; `'onnx-cuda'` asks for ONNX Runtime's CUDA provider, with the
   * CPU as its fallback; `'tfjs'` forces TensorFlow.js). A call's own `engine` option
   * overrides it for that call.
   */
  engine?: EngineChoice;
  /**
   * Threads of the session's calls: worker threads of the pool, and ONNX Runtime's threads (default: the number of
   * cores when a worker platform is registered, else 1). A call's own `workers` option overrides it for that call.
   */
  workers?: number;
  /** Where the one-line engine fallback goes (default `console.warn`). */
  warn?: (line: string) => void;
}

/**
 * A model opened for explanation: its engine, worker pool, snapshot and kernel cache, made once and shared by every
 * call given the session. Precedence: a call's `engine`/`workers` options override the session's for that call (each
 * engine and thread count is still resolved once per session); without them the session's apply. Calls on one
 * session may run concurrently. Create with {@link openSession}; free with {@link Session.dispose}.
 */
export class Session implements JobSession, SessionHandle {
  /** The model the session runs. */
  readonly model: ExplainableModel;
  /** The engine asked for (see {@link SessionOptions.engine}). */
  readonly engine: EngineChoice;
  /** Threads asked for (`undefined`: the default, the number of cores). */
  readonly workers: number | undefined;
  /** The session's worker pool (started by the first job big enough, stopped by {@link dispose}). */
  readonly workerPool: ModelWorkers;
  private readonly warn: (line: string) => void;
  /** Engine and thread count → the engine resolved for them (once per session). */
  private readonly engines = new Map<string, Promise<ResolvedEngine>>();
  private readonly resolved = new Map<string, ResolvedEngine>();
  /** Engine name and thread count → its runner for the model, opened once whichever choice asked for it. */
  private readonly runners = new Map<string, Promise<EngineRunner>>();
  private readonly releaseKernels: () => void;
  private readonly unwatch: () => void;
  private closing: Promise<void> | undefined;

  /** Use {@link openSession} (or, for the session calls given a model share, {@link defaultSession}). */
  constructor(model: ExplainableModel, options: SessionOptions, keepKernels: boolean) {
    this.model = model;
    this.engine = options.engine ?? 'auto';
    this.workers = options.workers;
    this.warn = options.warn ?? ((line) => console.warn(line));
    this.workerPool = new ModelWorkers(model);
    // The kernel cache stays built while the session is open (a default session builds it per call, as before).
    this.releaseKernels = keepKernels ? model.openKernelCache() : () => undefined;
    this.unwatch = model.onDispose(() => void this.dispose());
  }

  /** Whether {@link dispose} was called (or the model was disposed). */
  get isDisposed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Throws the one line a call on a disposed session gets.
   * @throws WingbeatsError INVALID_ARGUMENT after {@link dispose}.
   */
  checkOpen(functionName: string): void {
    if (this.closing !== undefined)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Argument 'model' passed to '${functionName}' is a disposed session of ${this.model.describe()}; open a new one with openSession(model).`,
      );
  }

  /**
   * The engine a call runs on: `choice` resolved for `threads` threads (default: the session's, else the number of
   * cores), once per session — later calls reuse the runner (or the fallback) without asking again.
   * @throws WingbeatsError INVALID_ARGUMENT for `'onnx'` or `'onnx-cuda'` where no such engine is registered, or after
   *   {@link dispose}.
   */
  async resolveEngine(
    functionName: string,
    choice: EngineChoice,
    threads: number | undefined,
  ): Promise<ComputeBackend> {
    this.checkOpen(functionName);
    if (choice === 'tfjs') return 'tfjs';
    if (!hasEngineFor(choice)) {
      if (choice === 'auto') return 'tfjs';
      return (await resolveEngine(functionName, this.model, choice, 1, this.warn)).name;
    }
    const count = this.threads(threads);
    const key = `${choice}:${count}`;
    let pending = this.engines.get(key);
    if (pending === undefined) {
      pending = resolveEngine(functionName, this.model, choice, count, this.warn, (name, engine) =>
        this.openRunner(name, engine, count),
      );
      this.engines.set(key, pending);
      // An engine that failed with an unexpected error is asked again by the next call.
      pending.catch(() => this.engines.delete(key));
    }
    const engine = await pending;
    // Disposed meanwhile: dispose() closes the runner of every pending resolution.
    this.checkOpen(functionName);
    if (engine.runner !== undefined) this.resolved.set(`${engine.name}:${count}`, engine);
    return engine.name;
  }

  /** The runner of `backend` resolved for `threads` threads (see {@link resolveEngine}), if there is one. */
  accelerator(backend: ComputeBackend, threads: number | undefined): TaskAccelerator | undefined {
    if (backend === 'tfjs' || this.closing !== undefined) return undefined;
    return this.resolved.get(`${backend}:${this.threads(threads)}`)?.runner;
  }

  /**
   * Closes everything the session holds: the engine runners, the worker pool (its threads are terminated), the kept
   * snapshot and kernel cache. Idempotent; the model itself stays usable (dispose it separately). Disposing the model
   * disposes its sessions. Resolves when every thread has stopped.
   */
  dispose(): Promise<void> {
    this.closing ??= (async () => {
      this.unwatch();
      this.releaseKernels();
      const engines = [...this.engines.values()];
      this.engines.clear();
      this.resolved.clear();
      const closeRunners = async (): Promise<void> => {
        // Resolutions still in flight may open a runner yet: wait for them, then close every runner opened.
        await Promise.all(engines.map((pending) => pending.catch(() => undefined)));
        const runners = [...this.runners.values()];
        this.runners.clear();
        await Promise.all(runners.map(async (runner) => (await runner.catch(() => undefined))?.close()));
      };
      await Promise.all([this.workerPool.close(true), closeRunners()]);
    })();
    return this.closing;
  }

  /** The runner of `engine` (registered as `name`) for `count` threads: opened on first use, then shared. */
  private openRunner(name: EngineName, engine: Engine, count: number): Promise<EngineRunner> {
    const key = `${name}:${count}`;
    let runner = this.runners.get(key);
    if (runner === undefined) {
      runner = engine.open(this.model, { threads: count });
      this.runners.set(key, runner);
      // A runner that failed to open is opened again by the next resolution that asks.
      runner.catch(() => this.runners.delete(key));
    }
    return runner;
  }

  private threads(threads: number | undefined): number {
    return threads ?? this.workers ?? defaultWorkerCount();
  }
}

/**
 * Opens a session on `model`: the engine is resolved on the first call (once per engine and thread count), the
 * worker pool starts with the first job big enough, and the kernel cache is built now and kept; `dispose()` frees all
 * of it. Pass the session to any method instead of the model: `saliency(session, x, { target: 2 })`.
 * @param model a LayersModel or ExplainableModel (a LayersModel is wrapped; the session never disposes the model)
 * @throws WingbeatsError INVALID_ARGUMENT naming the argument: a `model` that is no model, an `engine` that is none of
 *   `'auto'`, `'onnx'`, `'tfjs'`, `workers` outside [1, 64], a `warn` that is not a function.
 * @example
 * const session = openSession(model, { engine: 'auto', workers: 2 });
 * try { const r = await integratedGradients(session, x, { steps: 64 }); } finally { await session.dispose(); }
 */
export function openSession(model: ModelInput, options: SessionOptions = {}): Session {
  const functionName = 'openSession';
  if (isSessionHandle(model)) throw argumentError(functionName, 'model', 'a model (not a session)', '#a session');
  const explainable = asExplainableModel(model, functionName);
  checkSessionOptions(functionName, options);
  return new Session(explainable, options, true);
}

/** Checks the options of {@link openSession} (one line naming the first bad one). */
function checkSessionOptions(functionName: string, options: SessionOptions): void {
  if (options === null || typeof options !== 'object')
    throw argumentError(functionName, 'options', 'an object { engine, workers, warn }', options);
  engineChoice(functionName, { engine: options.engine });
  const workers = options.workers;
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS))
    throw argumentError(functionName, 'workers', `an integer in [1, ${MAX_WORKERS}]`, workers);
  if (options.warn !== undefined && typeof options.warn !== 'function')
    throw argumentError(functionName, 'warn', 'a function (line) => void', options.warn);
}

/**
 * The session calls given `model` itself use: made on first use with the defaults (engine `'auto'`, the default
 * thread count, fallback lines to `console.warn`), kept with the model and disposed with it.
 */
export function defaultSession(model: ExplainableModel): Session {
  return model.defaultSession(() => new Session(model, {}, false));
}

/**
 * The session of a call given `input`: the session itself (checked open), an ExplainableModel's default session, or,
 * for a LayersModel or function wrapped for this call only, a session of its own that `temporary` says the caller
 * must dispose when the call ends.
 * @throws WingbeatsError INVALID_ARGUMENT for a disposed session or something that is no model.
 */
export function sessionOf(input: ModelInput, functionName: string): { session: Session; temporary: boolean } {
  if (input instanceof Session) {
    input.checkOpen(functionName);
    return { session: input, temporary: false };
  }
  if (isSessionHandle(input)) return sessionOf(asExplainableModel(input, functionName), functionName);
  if (input instanceof ExplainableModel) return { session: defaultSession(input), temporary: false };
  if (input instanceof tf.LayersModel || typeof input === 'function')
    return { session: new Session(asExplainableModel(input, functionName), {}, false), temporary: true };
  return { session: defaultSession(asExplainableModel(input, functionName)), temporary: false };
}
