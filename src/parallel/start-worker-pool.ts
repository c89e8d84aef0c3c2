/** Starting a model's worker pool ahead of time (a server or a page that wants the first big job to be fast). */
import * as tf from '@tensorflow/tfjs';
import { asExplainableModel, type ExplainableModel, type ModelInput } from '../execution/explainable-model.js';
import { modelSnapshot } from './model-snapshot.js';
import {
  acquirePool,
  defaultWorkerCount,
  poolStartMs,
  runningPool,
  workerPlatform,
  type WorkerPool,
} from './worker-pool.js';
import './forward-task.js';

/**
 * Starts `model`'s pool of `workers` workers (default: the number of cores) and resolves when every worker has
 * built its model and answered one forward pass; later jobs then use the pool at once. Resolves to `undefined` when no
 * worker platform is registered or the model cannot be snapshotted (function models): such jobs run in the caller.
 * @example await startWorkerPool(model); // then every big job shares its rows out to the workers
 */
export async function startWorkerPool(modelInput: ModelInput, workers?: number): Promise<WorkerPool | undefined> {
  const model = asExplainableModel(modelInput, 'startWorkerPool');
  const snapshot = modelSnapshot(model);
  const size = workers ?? defaultWorkerCount();
  if (snapshot === null || size < 2) return undefined;
  const pool = acquirePool(model, snapshot, size, tf.getBackend());
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
 * For work made of many calls on one model (a data set explained chunk by chunk): starts `model`'s pool when the
 * calls still to come are expected to take longer, spread over the workers, than starting it (`poolStartMs()`), so
 * that they share their rows out although each call alone is too small to start one. Resolves to whether a pool runs.
 * @param msPerCall measured time of one call in the calling thread
 * @param callsLeft calls still to come
 * @example if (first) await startPoolForRest(model, workers, elapsedMs, chunksLeft);
 */
export async function startPoolForRest(
  model: ExplainableModel,
  workers: number | undefined,
  msPerCall: number,
  callsLeft: number,
): Promise<boolean> {
  const size = workers ?? defaultWorkerCount();
  if (size < 2 || callsLeft < 1 || workerPlatform() === null) return false;
  if (runningPool(model, size, tf.getBackend()) !== undefined) return true;
  if ((msPerCall * callsLeft) / size < poolStartMs()) return false;
  return (await startWorkerPool(model, size)) !== undefined;
}
