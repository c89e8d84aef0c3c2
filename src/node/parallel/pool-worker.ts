/**
 * Worker-thread entry of the Node worker pool (Node only): sets up the same TensorFlow.js backend as the main
 * thread, rebuilds the model from the snapshot it was started with, and runs row tasks with the library's one
 * executor. Replies are plain objects (`{ ok, result }` or `{ ok: false, code, message }`), so an error keeps its
 * WingbeatsError code across the thread boundary.
 */
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import '../../task-kinds.js'; // registers every task kind, as in the main thread
import { setupBackend } from '../../execution/backend.js';
import { registerLayerClasses } from '../../models/load-model.js';
import { rebuildModel, type ModelSnapshot } from '../../parallel/model-snapshot.js';
import { executeRowTask, registerRowTaskKind, type RowResult, type RowTask } from '../../parallel/row-task.js';

/** What the pool starts each worker with. */
export interface PoolWorkerData {
  snapshot: ModelSnapshot;
  backend: string;
}

/** A worker's reply to one task. */
export type PoolWorkerReply = { ok: true; result: RowResult } | { ok: false; code?: string; message: string };

// Diagnostic kinds, for the pool's crash tests: one ends this worker thread, one throws inside the task.
registerRowTaskKind('worker-exit', (task) => process.exit(task.numbers.code?.[0] ?? 1));
registerRowTaskKind('worker-throw', () => {
  throw new Error('a task threw on purpose in a worker');
});

const { snapshot, backend } = workerData as PoolWorkerData;

const ready = (async () => {
  const used = await setupBackend({ backend: backend as 'wasm' | 'cpu', warn: () => undefined });
  if (used !== backend) throw new Error(`the worker could not start the '${backend}' backend (got '${used}')`);
  registerLayerClasses();
  return rebuildModel(snapshot);
})();
ready.catch(() => undefined);

/** Runs one task (piscina calls this). */
export default async function runTask(task: RowTask): Promise<PoolWorkerReply> {
  try {
    const model = await ready;
    return { ok: true, result: { ...executeRowTask(model, task), worker: threadId } };
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return { ok: false, code, message: message ?? String(error) };
  }
}
