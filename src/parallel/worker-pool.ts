/**
 * Worker pools, seen from the universal library: an interface, a factory that the platform registers (`src/node.ts`
 * registers the worker-thread pool; the web page its Web Worker pool), and one pool per model, started lazily,
 * reused across calls and closed with the model. Without a factory every job runs in the calling thread.
 */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { ModelSnapshot } from './model-snapshot.js';
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
 */
export function setWorkerPlatform(next: WorkerPlatform | null): void {
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

interface PoolEntry {
  pool: WorkerPool;
  snapshotId: number;
  backend: string;
}

const pools = new WeakMap<ExplainableModel, PoolEntry>();
const watched = new WeakSet<ExplainableModel>();

/** The pool running for `model` (of at least `size` workers on `backend`), if one is running. */
export function runningPool(model: ExplainableModel, size = 1, backend?: string): WorkerPool | undefined {
  const entry = pools.get(model);
  if (entry === undefined || entry.pool.size < size || (backend !== undefined && entry.backend !== backend))
    return undefined;
  return entry.pool;
}

/**
 * The pool of `model`, started when none runs (or the running one is smaller or on another backend: it is replaced).
 * Returns `undefined` without a registered platform. The pool is closed by `model.dispose()` or {@link closeWorkerPool}.
 */
export function acquirePool(
  model: ExplainableModel,
  snapshot: ModelSnapshot,
  size: number,
  backend: string,
): WorkerPool | undefined {
  if (platform === null) return undefined;
  const running = runningPool(model, size, backend);
  if (running !== undefined) return running;
  const old = pools.get(model);
  if (old !== undefined) void old.pool.close();
  const pool = platform.createPool(snapshot, size, backend);
  pools.set(model, { pool, snapshotId: snapshot.id, backend });
  if (!watched.has(model)) {
    watched.add(model);
    model.onDispose(() => void closeWorkerPool(model));
  }
  return pool;
}

/** Stops the workers of `model`'s pool, if one runs (the next job that wants one starts a new pool). */
export async function closeWorkerPool(model: ExplainableModel): Promise<void> {
  const entry = pools.get(model);
  if (entry === undefined) return;
  pools.delete(model);
  await entry.pool.close();
}
