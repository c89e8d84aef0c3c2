/**
 * Forward-only prediction on the worker pool: task kind `'scores'` (the scores of one head for a chunk of rows) and
 * {@link predictScores}, which the request frame uses for the predictions of every entry point.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import type { ExecutionSettings } from '../execution/execution-settings.js';
import type { RowTaskPlan } from '../engine/engine-primitives.js';
import { RowTask, registerRowTaskKind } from './row-task.js';
import { runRowChunks } from './run-row-chunks.js';
import { type JobSession, jobSettings } from './run-row-tasks.js';

/** What a forward pass asks for: scores of one head for a batch. */
export interface ForwardRequest {
  outputIndex: number;
  scores: ScoreKind;
  batchSize: number;
  execution: ExecutionSettings;
  /** Worker threads the call may use (see `RequestOptions.workers`; `undefined`: the default). */
  workers?: number;
  /** The session whose worker pool and engine the rows may use (`undefined`: the calling thread, TensorFlow.js). */
  session: JobSession | undefined;
}

/** Plan of `'scores'`: `arrays.rows` → `[rows, classes]` scores of the task's head under its settings. */
export function scoresTask(task: RowTask): RowTaskPlan {
  const rows = task.arrays.rows;
  return {
    primitive: 'scores',
    pass: { rows },
    finish: ({ scores, classes }) => ({ data: scores, shape: [rows.shape[0], classes] }),
  };
}

registerRowTaskKind('scores', { plan: scoresTask });

/**
 * Scores of one head for a batch, with the rows shared out to the session's worker pool or engine (see `runRowTasks` for when
 * the pool is used). The rows are cut by `taskChunks(batch, batchSize)` whatever `workers` is, so the numbers are the
 * same for any number of workers. Returns `[batch, classes]`, owned by the caller.
 * @example const scores = await predictScores(model, x, { outputIndex: 0, scores: 'logits', batchSize: 64, execution: {}, workers: 2 });
 */
export async function predictScores(
  model: ExplainableModel,
  x: tf.Tensor,
  request: ForwardRequest,
): Promise<tf.Tensor2D> {
  return (await runRowChunks(jobSettings({ model, ...request }), x, request.batchSize, 'scores', () => ({}), {
    workers: request.workers,
  })) as tf.Tensor2D;
}
