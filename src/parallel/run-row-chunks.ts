/** The common shape of a row job: one task kind over the rows of a batch, its results stacked back in row order. */
import * as tf from '@tensorflow/tfjs';
import { batchRows, rowsOf } from './row-task.js';
import { type RowJob, type RowTaskOptions, runRowTasks } from './run-row-tasks.js';
import { taskChunks } from './task-chunks.js';

/**
 * Runs task `kind` on the rows of `x`, cut by `taskChunks(rows, batchSize)` (so the same for any number of workers),
 * and stacks the results in row order: `[rows, ...the shape of one result row]`, owned by the caller.
 * `numbers(start, end)` gives each task's number lists (e.g. the targets of its rows); `onProgress` hears the rows done
 * after each task.
 * @example const scores = await runRowChunks(jobSettings(request), x, 64, 'scores', () => ({}), { workers: 2 });
 */
export async function runRowChunks(
  job: Pick<RowJob, 'model' | 'session' | 'outputIndex' | 'scores' | 'execution'>,
  x: tf.Tensor,
  batchSize: number,
  kind: string,
  numbers: (start: number, end: number) => Record<string, number[]>,
  options: RowTaskOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<tf.Tensor> {
  const total = x.shape[0];
  let done = 0;
  const plan = taskChunks(total, batchSize, job.execution.backend);
  const rows = batchRows(x);
  let out: Float32Array | null = null;
  let rowShape: number[] = [];
  await runRowTasks(
    {
      ...job,
      taskCount: plan.length,
      tasks: (function* () {
        for (const { start, end } of plan)
          yield { kind, arrays: { rows: rowsOf(rows, start, end) }, numbers: numbers(start, end) };
      })(),
      consume: (k, result) => {
        rowShape = result.shape.slice(1);
        const rowSize = rowShape.reduce((a, b) => a * b, 1);
        out ??= new Float32Array(total * rowSize);
        out.set(result.data, plan[k].start * rowSize);
        done += plan[k].end - plan[k].start;
        onProgress?.(done, total);
      },
    },
    options,
  );
  return tf.tensor(out ?? new Float32Array(0), [total, ...rowShape], 'float32');
}
