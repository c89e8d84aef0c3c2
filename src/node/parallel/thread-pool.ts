/**
 * The Node worker pool (piscina): `size` worker threads, each with its own TensorFlow.js engine and a copy of one
 * model, running row tasks. Idle workers never keep the process alive; a worker that crashes or exits fails its task
 * with one WingbeatsError WORKER_FAILED and is replaced, so the next call works.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { WingbeatsError, type WingbeatsErrorCode } from '../../util/errors.js';
import type { ModelSnapshot } from '../../parallel/model-snapshot.js';
import type { RowResult, RowTask } from '../../parallel/row-task.js';
import { registerWorkerPlatform, type WorkerPool } from '../../parallel/worker-pool.js';
import type { PoolWorkerData, PoolWorkerReply } from './pool-worker.js';

/**
 * How to start the worker module `name` that sits next to the module at `callerUrl`: the compiled file in dist/, or
 * (running from the TypeScript sources) the `.ts` file through the tsx bootstrap, with what the bootstrap needs in
 * `extra` (add it to the worker data).
 */
export function workerEntry(callerUrl: string, name: string): { filename: string; extra: Record<string, string> } {
  if (!callerUrl.endsWith('.ts')) return { filename: new URL(`./${name}.js`, callerUrl).href, extra: {} };
  return {
    filename: new URL('./pool-worker-bootstrap.mjs', import.meta.url).href,
    extra: { tsx: import.meta.resolve('tsx/esm/api'), entry: new URL(`./${name}.ts`, callerUrl).href },
  };
}

/**
 * The process's flags as a worker accepts them. A worker refuses to start with V8 or process-wide flags (Node:
 * "Initiated Worker with invalid execArgv flags"), and `--input-type` (a script given with -e) breaks its module
 * loading: those are dropped, and a heap cap (`--max-old-space-size=N`) becomes the worker's own `resourceLimits`.
 */
export function workerFlags(flags: readonly string[]): {
  execArgv: string[];
  resourceLimits?: { maxOldGenerationSizeMb: number };
} {
  const execArgv: string[] = [];
  let heapMb: number | undefined;
  for (const flag of flags) {
    const heap = /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(flag);
    if (heap !== null) heapMb = Number(heap[1]);
    else if (!/^--(input-type|max[-_]semi[-_]space[-_]size|stack[-_]size|title)(=|$)/.test(flag)) execArgv.push(flag);
  }
  return heapMb === undefined ? { execArgv } : { execArgv, resourceLimits: { maxOldGenerationSizeMb: heapMb } };
}

/**
 * `size` worker threads (piscina) running the worker module `name` next to `callerUrl` (see {@link workerEntry}), each
 * started with `workerData`: one task per worker at a time, never stopped when idle, started with the process's flags
 * as a worker accepts them. Idle workers do not keep the process alive.
 * @example const piscina = startWorkerThreads(import.meta.url, 'onnx-session-worker', 1, { graphs });
 */
export function startWorkerThreads(callerUrl: string, name: string, size: number, workerData: object): Piscina {
  const { filename, extra } = workerEntry(callerUrl, name);
  return new Piscina({
    filename,
    minThreads: size,
    maxThreads: size,
    idleTimeout: Number.POSITIVE_INFINITY,
    concurrentTasksPerWorker: 1,
    atomics: 'disabled',
    ...workerFlags(process.execArgv),
    workerData: { ...workerData, ...extra },
  });
}

/**
 * Starts a pool of `size` worker threads for the model of `snapshot` on TensorFlow.js backend `backend`.
 * @example const pool = createThreadPool(modelSnapshot(model)!, 2, 'wasm');
 */
export function createThreadPool(snapshot: ModelSnapshot, size: number, backend: string): WorkerPool {
  const workerData: PoolWorkerData = { snapshot, backend };
  const piscina = startWorkerThreads(import.meta.url, 'pool-worker', size, workerData);
  let closed = false;
  let tasks = 0;
  const tensorsByWorker: Record<string, number> = {};
  return {
    size,
    async run(task: RowTask): Promise<RowResult> {
      let reply: PoolWorkerReply;
      try {
        reply = (await piscina.run(task)) as PoolWorkerReply;
      } catch (error) {
        throw new WingbeatsError(
          'WORKER_FAILED',
          `A worker thread of model '${snapshot.name}' failed during a '${task.kind}' task: ${(error as Error).message}. The worker was replaced; run the call again, or use workers: 1.`,
          { cause: error },
        );
      }
      if (reply.ok) {
        tasks++;
        tensorsByWorker[String(reply.result.worker)] = reply.result.tensors;
        return reply.result;
      }
      throw new WingbeatsError((reply.code as WingbeatsErrorCode | undefined) ?? 'WORKER_FAILED', reply.message);
    },
    stats: () => ({ tasks, tensorsByWorker: { ...tensorsByWorker } }),
    async close() {
      if (closed) return;
      closed = true;
      await piscina.destroy();
    },
  };
}

/**
 * Makes the library use Node worker threads (`wingbeats-xai/node` does this on import): the `workers` option then
 * defaults to `os.availableParallelism()`.
 */
export function useWorkerThreads(): void {
  registerWorkerPlatform({ createPool: createThreadPool, cores: availableParallelism(), startMs: expectedStartMs() });
}

/**
 * Measured on the 2-core machine under load (8 processes): two workers answer their first task about 3 s after the
 * pool is made from dist/, about 8 s from the TypeScript sources (tsx compiles the library in each worker).
 */
function expectedStartMs(): number {
  return import.meta.url.endsWith('.ts') ? 8000 : 3000;
}
