/**
 * The shape every sampled method runs in: produce the rows of one chunk → one model task per chunk → reduce the
 * chunk's result in order. Rows are numbered up front (samples × examples, steps × examples, windows × examples), so
 * the result does not depend on the chunk size, and a parallel runner can replace the loop as long as it reduces in
 * chunk order.
 */
import { Chunk, chunks } from './batching.js';

/** One chunked job: `task` computes a chunk (it may return a promise), `reduce` consumes the results in chunk order. */
export interface RowChunkJob<R> {
  /** Number of rows. */
  total: number;
  /** Rows per chunk. */
  batchSize: number;
  /** The work of one chunk of rows [start, end). */
  task: (chunk: Chunk) => R | Promise<R>;
  /** Takes one chunk's result; called in chunk order (may be async: awaited before the next chunk is reduced). */
  reduce: (chunk: Chunk, result: R) => void | Promise<void>;
}

/** Runs a {@link RowChunkJob} chunk after chunk, in order. */
export async function runRowChunks<R>(job: RowChunkJob<R>): Promise<void> {
  for (const chunk of chunks(job.total, job.batchSize)) await job.reduce(chunk, await job.task(chunk));
}
