/**
 * A worker pool of Web Workers (browsers): `size` module workers started from a bundled worker script, each with its
 * own TensorFlow.js engine and a copy of the model, one task at a time each. A worker that fails (an uncaught error,
 * a script that does not load) fails its task with WingbeatsError WORKER_FAILED and is replaced.
 */
import { WingbeatsError, type WingbeatsErrorCode } from '../util/errors.js';
import type { ModelSnapshot } from './model-snapshot.js';
import type { PoolInitMessage, PoolReplyMessage, PoolTaskMessage } from './pool-worker-messages.js';
import type { RowResult, RowTask } from './row-task.js';
import type { WorkerPlatform, WorkerPool } from './worker-pool.js';

interface Waiting {
  task: RowTask;
  resolve: (result: RowResult) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: (Waiting & { id: number }) | null;
}

/**
 * The Web Worker platform: pools of module workers running `workerUrl` (a bundle that imports the task kinds and
 * calls `servePoolWorker`), with the wasm files at `wasmPaths` (an absolute URL prefix).
 * @example registerWorkerPlatform(webWorkerPlatform(new URL('./pool-worker.js', import.meta.url), new URL('./wasm/', location.href).href));
 */
export function webWorkerPlatform(workerUrl: string | URL, wasmPaths?: string, cores?: number): WorkerPlatform {
  return {
    cores: cores ?? (typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency || 1),
    createPool: (snapshot, size, backend) => createWebWorkerPool(workerUrl, snapshot, size, backend, wasmPaths),
  };
}

/** Starts a pool of `size` Web Workers for the model of `snapshot`. */
export function createWebWorkerPool(
  workerUrl: string | URL,
  snapshot: ModelSnapshot,
  size: number,
  backend: string,
  wasmPaths?: string,
): WorkerPool {
  const queue: Waiting[] = [];
  let nextId = 0;
  let tasks = 0;
  let closed = false;
  const tensorsByWorker: Record<string, number> = {};
  const slots: Slot[] = [];

  const start = (index: number): Slot => {
    const worker = new Worker(workerUrl, { type: 'module', name: `wingbeats-pool-${index}` });
    const slot: Slot = { worker, busy: null };
    worker.onmessage = (event: MessageEvent<PoolReplyMessage>) => {
      const reply = event.data;
      const waiting = slot.busy;
      if (waiting === null || waiting.id !== reply.id) return;
      slot.busy = null;
      if (reply.ok) {
        tasks++;
        tensorsByWorker[String(index)] = reply.result.tensors;
        waiting.resolve({ ...reply.result, worker: index });
      } else {
        waiting.reject(
          new WingbeatsError((reply.code as WingbeatsErrorCode | undefined) ?? 'WORKER_FAILED', reply.message),
        );
      }
      pump();
    };
    worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      const waiting = slot.busy;
      slot.busy = null;
      worker.terminate();
      if (!closed) slots[index] = start(index);
      waiting?.reject(
        new WingbeatsError(
          'WORKER_FAILED',
          `A Web Worker of model '${snapshot.name}' failed during a '${waiting.task.kind}' task: ${event.message || 'the worker stopped'}. The worker was replaced; run the call again, or use workers: 1.`,
        ),
      );
      pump();
    };
    const init: PoolInitMessage = { type: 'init', snapshot, backend, wasmPaths };
    worker.postMessage(init);
    return slot;
  };

  const pump = (): void => {
    for (const slot of slots) {
      if (queue.length === 0) return;
      if (slot.busy !== null) continue;
      const waiting = queue.shift() as Waiting;
      const id = ++nextId;
      slot.busy = { ...waiting, id };
      const message: PoolTaskMessage = { type: 'task', id, task: waiting.task };
      slot.worker.postMessage(message);
    }
  };

  for (let i = 0; i < size; i++) slots.push(start(i));
  return {
    size,
    run(task: RowTask): Promise<RowResult> {
      if (closed) return Promise.reject(new WingbeatsError('WORKER_FAILED', 'The worker pool was closed.'));
      return new Promise((resolve, reject) => {
        queue.push({ task, resolve, reject });
        pump();
      });
    },
    stats: () => ({ tasks, tensorsByWorker: { ...tensorsByWorker } }),
    async close() {
      if (closed) return;
      closed = true;
      for (const slot of slots) {
        slot.worker.terminate();
        slot.busy?.reject(new WingbeatsError('WORKER_FAILED', 'The worker pool was closed.'));
      }
      for (const waiting of queue.splice(0))
        waiting.reject(new WingbeatsError('WORKER_FAILED', 'The worker pool was closed.'));
    },
  };
}
