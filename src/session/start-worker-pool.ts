/** Starting a session's worker pool ahead of time (a server or a page that wants the first big job to be fast). */
import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import { defaultWorkerCount, poolStartMs, workerPlatform, type WorkerPool } from '../parallel/worker-pool.js';
import '../parallel/forward-task.js';
import { sessionOf, type Session } from './session.js';

/**
 * Starts the worker pool of a session (or of a model's default session) with `workers` workers (default: the
 * session's, else the number of cores) and resolves when every worker has built its model and answered one forward
 * pass; later jobs then use the pool at once. Resolves to `undefined` when no worker platform is registered or the
 * model cannot be snapshotted (function models): such jobs run in the caller. A LayersModel or function given
 * directly has no session to keep a pool in: resolves to `undefined`.
 * @example await startWorkerPool(session); // then every big job shares its rows out to the workers
 */
export async function startWorkerPool(modelInput: ModelInput, workers?: number): Promise<WorkerPool | undefined> {
  const { session, temporary } = sessionOf(modelInput, 'startWorkerPool');
  if (temporary) {
    await session.dispose();
    return undefined;
  }
  const model = session.model;
  const size = workers ?? session.workers ?? defaultWorkerCount();
  if (size < 2) return undefined;
  const pool = session.workerPool.acquire(size, tf.getBackend());
  if (pool === undefined) return undefined;
  const shape = (model.inputShape ?? []).map((d) => d ?? 1);
  const rows = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape: [1, ...shape] };
  const task = {
    kind: 'scores',
    outputIndex: 0,
    scores: 'logits' as const,
    execution: { rules: [] },
    arrays: { rows },
    numbers: {},
  };
  await Promise.all(
    Array.from({ length: size }, () => pool.run({ ...task, arrays: { rows: { ...rows, data: rows.data.slice() } } })),
  );
  return pool;
}

/**
 * For work made of many calls on one session (a data set explained chunk by chunk): starts its pool when the
 * calls still to come are expected to take longer, spread over the workers, than starting it (`poolStartMs()`), so
 * that they share their rows out although each call alone is too small to start one. Resolves to whether a pool runs.
 * @param msPerCall measured time of one call in the calling thread
 * @param callsLeft calls still to come
 * @example if (first) await startPoolForRest(session, workers, elapsedMs, chunksLeft);
 */
export async function startPoolForRest(
  session: Session,
  workers: number | undefined,
  msPerCall: number,
  callsLeft: number,
): Promise<boolean> {
  const size = workers ?? session.workers ?? defaultWorkerCount();
  if (size < 2 || callsLeft < 1 || workerPlatform() === null) return false;
  if (session.workerPool.running(size, tf.getBackend()) !== undefined) return true;
  if ((msPerCall * callsLeft) / size < poolStartMs()) return false;
  return (await startWorkerPool(session, size)) !== undefined;
}
