/** Starting a model's worker pool ahead of time (a server or a page that wants the first big job to be fast). */
import * as tf from '@tensorflow/tfjs';
import { asExplainableModel, type ModelInput } from '../execution/explainable-model.js';
import { modelSnapshot } from './model-snapshot.js';
import { acquirePool, defaultWorkerCount, type WorkerPool } from './worker-pool.js';
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
