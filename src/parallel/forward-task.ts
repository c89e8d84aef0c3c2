/**
 * Forward-only prediction on the worker pool: task kind `'scores'` (the scores of one head for a chunk of rows) and
 * {@link predictScores}, which the request frame uses for the predictions of every entry point.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { ForwardRequest, setRequestForward } from '../execution/request-forward.js';
import {
  RowTask,
  RowTaskContext,
  TaskArray,
  batchRows,
  registerRowTaskKind,
  rowsOf,
  taskTensor,
  tidyArray,
} from './row-task.js';
import { runRowTasks } from './run-row-tasks.js';
import { taskChunks } from './task-chunks.js';

/** Executor of `'scores'`: `arrays.rows` → `[rows, classes]` scores of the task's head under its settings. */
export function scoresTask(task: RowTask, { model, execution }: RowTaskContext): TaskArray {
  return tidyArray(() =>
    model.run(taskTensor(task.arrays.rows), { outputIndex: task.outputIndex, scores: task.scores, execution }),
  );
}

registerRowTaskKind('scores', scoresTask);

/**
 * Scores of one head for a batch, with the rows shared out to the model's worker pool (see `runRowTasks` for when
 * the pool is used). The rows are cut by `taskChunks(batch, batchSize)` whatever `workers` is, so the numbers are the
 * same for any number of workers. Returns `[batch, classes]`, owned by the caller.
 * @example const scores = await predictScores(model, x, { outputIndex: 0, scores: 'logits', batchSize: 64, execution: {}, workers: 2 });
 */
export async function predictScores(
  model: ExplainableModel,
  x: tf.Tensor,
  request: ForwardRequest,
): Promise<tf.Tensor2D> {
  const total = x.shape[0];
  const plan = taskChunks(total, request.batchSize);
  const rows = batchRows(x);
  let out: Float32Array | null = null;
  let classes = 0;
  await runRowTasks(
    {
      model,
      outputIndex: request.outputIndex,
      scores: request.scores,
      execution: request.execution,
      taskCount: plan.length,
      tasks: (function* () {
        for (const { start, end } of plan)
          yield { kind: 'scores', arrays: { rows: rowsOf(rows, start, end) }, numbers: {} };
      })(),
      consume: (k, result) => {
        classes = result.shape[1];
        out ??= new Float32Array(total * classes);
        out.set(result.data, plan[k].start * classes);
      },
    },
    { workers: request.workers },
  );
  return tf.tensor2d(out ?? new Float32Array(0), [total, classes]);
}

setRequestForward(predictScores);
