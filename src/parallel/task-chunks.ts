/** The chunk plan of a parallel job: how its rows are cut into tasks (never dependent on the number of workers). */
import { Chunk, chunks } from '../util/batching.js';

/** A job's rows are cut into about this many tasks (so two or more workers share them; a busy core takes fewer). */
export const TASKS_PER_JOB = 8;

/**
 * Consecutive chunks of `total` rows of at most `batchSize` rows, at most about {@link TASKS_PER_JOB} of them when
 * `batchSize` allows. The plan depends only on `total` and `batchSize`, so 1 and N workers compute the same chunks.
 * @example taskChunks(64, 64) // 8 chunks of 8 rows
 */
export function taskChunks(total: number, batchSize: number): Chunk[] {
  return chunks(total, Math.min(Math.max(1, Math.floor(batchSize)), Math.max(1, Math.ceil(total / TASKS_PER_JOB))));
}
