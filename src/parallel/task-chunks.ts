/** The chunk plan of a parallel job: how its rows are cut into tasks (never dependent on the number of workers). */
import { Chunk, chunks } from '../util/batching.js';

/** A job's rows are cut into about this many tasks (so two or more workers share them; a busy core takes fewer). */
export const TASKS_PER_JOB = 8;

/** Fewest rows per task when the batch size allows (a task of one row costs more in messages than it saves). */
export const MIN_TASK_ROWS = 4;

/**
 * Consecutive chunks of `total` rows: about {@link TASKS_PER_JOB} of them, of at least {@link MIN_TASK_ROWS} and at
 * most `batchSize` rows. The plan depends only on `total` and `batchSize`, so 1 and N workers compute the same chunks.
 * @example taskChunks(64, 64) // 8 chunks of 8 rows
 */
export function taskChunks(total: number, batchSize: number): Chunk[] {
  const limit = Math.max(1, Math.floor(batchSize));
  return chunks(total, Math.min(limit, Math.max(MIN_TASK_ROWS, Math.ceil(total / TASKS_PER_JOB))));
}
