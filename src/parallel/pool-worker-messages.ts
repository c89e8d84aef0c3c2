/**
 * The messages between a pool and its workers, and the worker side of them (`servePoolWorker`), shared by every
 * platform whose workers speak `postMessage` (Web Workers). A worker first receives `init` (snapshot, backend, wasm
 * location), then tasks one at a time; it answers each task with its result or its error's code and message.
 */
import { setupBackend, type BackendName } from '../execution/backend.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { registerLayerClasses } from '../models/load-model.js';
import { rebuildModel, type ModelSnapshot } from './model-snapshot.js';
import { executeRowTask, type RowResult, type RowTask } from './row-task.js';

/** Sent once to a new worker. */
export interface PoolInitMessage {
  type: 'init';
  snapshot: ModelSnapshot;
  backend: string;
  /** Absolute URL prefix of the tfjs wasm files (workers do not share the page's setWasmPaths). */
  wasmPaths?: string;
}

/** One task. */
export interface PoolTaskMessage {
  type: 'task';
  id: number;
  task: RowTask;
}

/** A worker's answer to a task. */
export type PoolReplyMessage =
  { id: number; ok: true; result: RowResult } | { id: number; ok: false; code?: string; message: string };

/** The part of a worker's global scope the server uses. */
export interface WorkerScope {
  onmessage: ((event: { data: PoolInitMessage | PoolTaskMessage }) => void) | null;
  postMessage(message: PoolReplyMessage, transfer?: Transferable[]): void;
}

/**
 * Serves pool messages in a worker: builds the backend and the model on `init`, runs each task with the library's
 * one executor (the task kinds must be registered: import `src/task-kinds.ts` in the worker's entry).
 * @example servePoolWorker(self as unknown as WorkerScope);
 */
export function servePoolWorker(scope: WorkerScope, workerId = 0): void {
  let ready: Promise<ExplainableModel> | null = null;
  scope.onmessage = (event) => {
    const message = event.data;
    if (message.type === 'init') {
      ready = (async () => {
        const used = await setupBackend({
          backend: message.backend as BackendName,
          wasmPaths: message.wasmPaths,
          warn: () => undefined,
        });
        if (used !== message.backend)
          throw new Error(`the worker could not start the '${message.backend}' backend (got '${used}')`);
        registerLayerClasses();
        return rebuildModel(message.snapshot);
      })();
      ready.catch(() => undefined);
      return;
    }
    void (async () => {
      try {
        if (ready === null) throw new Error('the worker received a task before its model');
        const result = { ...executeRowTask(await ready, message.task), worker: workerId };
        scope.postMessage({ id: message.id, ok: true, result }, [result.data.buffer as ArrayBuffer]);
      } catch (error) {
        const { code, message: text } = error as { code?: string; message?: string };
        scope.postMessage({ id: message.id, ok: false, code, message: text ?? String(error) });
      }
    })();
  };
}
