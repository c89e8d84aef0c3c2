/**
 * Worker pools, seen from the universal library: an interface, a factory that the platform registers (`src/node.ts`
 * registers the worker-thread pool; the web page its Web Worker pool), and {@link ModelWorkers}, the pool of one
 * model that a session owns (started lazily, reused across the session's calls, closed with it). Without a factory
 * every job runs in the calling thread.
 */
import type { ExplainableModel } from '../execution/explainable-model.js';
import { SnapshotCache, type ModelSnapshot } from './model-snapshot.js';
import type { RowResult, RowTask } from './row-task.js';

/** Threads that each hold their own TensorFlow.js engine and a copy of one model, running {@link RowTask}s. */
export interface WorkerPool {
  /** Number of worker threads. */
  readonly size: number;
  /**
   * Runs one task in some worker. Rejects with the executor's own WingbeatsError (same code and message) when the
   * task throws, and with WingbeatsError WORKER_FAILED when a worker crashes or exits; the pool stays usable.
   */
  run(task: RowTask): Promise<RowResult>;
  /** Stops every worker (idempotent). */
  close(): Promise<void>;
  /** Tasks finished so far, and each worker's last `tf.memory().numTensors` (by worker id) — for leak checks. */
  stats(): WorkerPoolStats;
}

/** See {@link WorkerPool.stats}. */
export interface WorkerPoolStats {
  tasks: number;
  tensorsByWorker: Record<string, number>;
}

/** Makes a pool of `size` workers for the model of `snapshot`, on the TensorFlow.js backend `backend`. */
export type WorkerPoolFactory = (snapshot: ModelSnapshot, size: number, backend: string) => WorkerPool;

/** What a platform registers: how to make pools, and how many cores it has. */
export interface WorkerPlatform {
  createPool: WorkerPoolFactory;
  /** Number of cores (Node: `os.availableParallelism()`; browser: `navigator.hardwareConcurrency`). */
  cores: number;
  /** Expected time to start a pool until its workers run tasks, in ms (default {@link POOL_START_MS}). */
  startMs?: number;
}

/** Default expected time to start a pool (TensorFlow.js + wasm start and a model build per worker). */
export const POOL_START_MS = 3000;

/** Expected time to start a pool on the registered platform, in ms. */
export function poolStartMs(): number {
  return platform?.startMs ?? POOL_START_MS;
}

let platform: WorkerPlatform | null = null;

/**
 * Registers (or, with `null`, removes) the platform's worker pools. `wingbeats-xai/node` registers worker threads on
 * import; the web page registers Web Workers. Without one, `workers` has no effect: every job runs in the caller.
 * @example registerWorkerPlatform(webWorkerPlatform(workerUrl, wasmUrl));
 */
export function registerWorkerPlatform(next: WorkerPlatform | null): void {
  platform = next;
}

/** The registered platform, if any. */
export function workerPlatform(): WorkerPlatform | null {
  return platform;
}

/** Default of the `workers` option: the number of cores of the registered platform (1 without one). */
export function defaultWorkerCount(): number {
  return Math.max(1, platform?.cores ?? 1);
}

/**
 * The worker pool of one model, as a session holds it: the model's snapshot (made on first use, remade when a weight
 * was assigned since) and the pool started from it, reused across calls, replaced when it is smaller, on another
 * TensorFlow.js backend or holds older weights, and stopped by {@link close}. Nothing is kept anywhere else: the
 * session that owns this object owns the threads.
 */
export class ModelWorkers {
  private entry: { pool: WorkerPool; snapshotId: number; backend: string } | undefined;
  private readonly snapshots: SnapshotCache;
  private closed = false;

  constructor(readonly model: ExplainableModel) {
    this.snapshots = new SnapshotCache(model);
  }

  /** The model's snapshot (cached until a weight changes), or null for models that cannot cross threads. */
  snapshot(): ModelSnapshot | null {
    return this.snapshots.current();
  }

  /**
   * The running pool (of at least `size` workers, on `backend`, holding the current weights when `current` is true),
   * if one is running.
   */
  running(size = 1, backend?: string, current = false): WorkerPool | undefined {
    const entry = this.entry;
    if (
      entry === undefined ||
      entry.pool.size < size ||
      (backend !== undefined && entry.backend !== backend) ||
      (current && entry.snapshotId !== this.snapshot()?.id)
    )
      return undefined;
    return entry.pool;
  }

  /**
   * The pool, started when none runs (or the running one is smaller, on another backend or holds older weights: it is
   * replaced). Returns `undefined` without a registered platform, for a model that cannot be snapshotted, or after
   * {@link close}.
   */
  acquire(size: number, backend: string): WorkerPool | undefined {
    if (platform === null || this.closed) return undefined;
    const running = this.running(size, backend, true);
    if (running !== undefined) return running;
    const snapshot = this.snapshot();
    if (snapshot === null) return undefined;
    if (this.entry !== undefined) void this.entry.pool.close();
    const pool = platform.createPool(snapshot, size, backend);
    this.entry = { pool, snapshotId: snapshot.id, backend };
    return pool;
  }

  /** Stops the running pool, if any; the next job that wants one starts a new one unless `final`. Idempotent. */
  async close(final = false): Promise<void> {
    if (final) this.closed = true;
    const entry = this.entry;
    this.entry = undefined;
    if (final) this.snapshots.clear();
    await entry?.pool.close();
  }
}
