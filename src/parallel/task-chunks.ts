/** The chunk plan of a parallel job: how its rows are cut into tasks (never dependent on the number of workers). */
import { Chunk, chunks } from '../util/batching.js';
import type { ComputeBackend } from '../execution/execution-settings.js';

/** A job's rows are cut into about this many tasks (so two or more workers share them; a busy core takes fewer). */
export const TASKS_PER_JOB = 8;

/**
 * Tasks per job on a task accelerator (`backend` other than `'tfjs'`, e.g. onnxruntime): its runs cost a fixed
 * overhead each and its cores share a job's tasks in flight, so fewer, larger tasks.
 */
export const TASKS_PER_ACCELERATED_JOB = 2;

/** Fewest rows per task when the batch size allows (a task of one row costs more in messages than it saves). */
export const MIN_TASK_ROWS = 4;

/** Fewest rows per task on a task accelerator (each of its runs has a fixed cost, about 0.3 ms for onnxruntime). */
export const MIN_ACCELERATED_TASK_ROWS = 16;

/**
 * Consecutive chunks of `total` rows: about {@link TASKS_PER_JOB} of them, of at least {@link MIN_TASK_ROWS} and at most
 * `batchSize` rows ({@link TASKS_PER_ACCELERATED_JOB} and {@link MIN_ACCELERATED_TASK_ROWS} for an accelerated
 * `backend`). The plan depends only on
 * `total`, `batchSize` and the backend, so 1 and N workers compute the same chunks.
 * @example taskChunks(64, 64) // 8 chunks of 8 rows
 */
export function taskChunks(total: number, batchSize: number, backend?: ComputeBackend): Chunk[] {
  const limit = Math.max(1, Math.floor(batchSize));
  const accelerated = backend !== undefined && backend !== 'tfjs';
  const [tasks, fewest] = accelerated
    ? [TASKS_PER_ACCELERATED_JOB, MIN_ACCELERATED_TASK_ROWS]
    : [TASKS_PER_JOB, MIN_TASK_ROWS];
  return chunks(total, Math.min(limit, Math.max(fewest, Math.ceil(total / tasks))));
}
