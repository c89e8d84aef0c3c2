/**
 * The scores of many perturbed copies of the inputs, evaluated in chunks of forward passes: the one path occlusion
 * and the group methods (feature ablation, Shapley values, KernelSHAP, LIME) evaluate their rows through. Rows are
 * built lazily per chunk by the caller, sent as `'scores'` row tasks (this thread, the worker pool or the task
 * accelerator), and handed back strictly in row order, so the numbers do not depend on the chunk size or the number
 * of workers and memory stays bounded for any row count.
 */
import { jobSettings, runRowTasks } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import '../parallel/forward-task.js';
import type { MethodContext } from './run-method.js';

/**
 * Scores `rowCount` rows: `writeRow(row, buffer, offset)` writes row `row` (one input, without batch axis) into
 * `buffer` at `offset`; `consumeRow(row, scores)` receives its score vector (`[classes]`, only valid during the call)
 * for row 0, 1, ... in order; `onRows(done, total)` follows progress.
 * @example await perturbedScores(ctx, 10, (r, b, o) => b.set(data, o), (r, s) => out.push(s[0]));
 */
export async function perturbedScores(
  ctx: MethodContext,
  rowCount: number,
  writeRow: (row: number, buffer: Float32Array, offset: number) => void,
  consumeRow: (row: number, scores: Float32Array) => void,
  onRows?: (done: number, total: number) => void,
): Promise<void> {
  const { x } = ctx;
  const inputShape = x.shape.slice(1);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const plan = taskChunks(rowCount, ctx.batchSize, ctx.execution?.backend);
  await runRowTasks(
    {
      ...jobSettings(ctx),
      taskCount: plan.length,
      tasks: (function* () {
        for (const { start, end } of plan) {
          const buffer = new Float32Array((end - start) * size);
          for (let row = start; row < end; row++) writeRow(row, buffer, (row - start) * size);
          yield {
            kind: 'scores',
            arrays: { rows: { data: buffer, shape: [end - start, ...inputShape] } },
            numbers: {},
          };
        }
      })(),
      consume: (k, result) => {
        const { start, end } = plan[k];
        const classes = result.shape[1];
        const data = result.data as Float32Array;
        for (let row = start; row < end; row++)
          consumeRow(row, data.subarray((row - start) * classes, (row - start + 1) * classes));
        onRows?.(end, rowCount);
      },
    },
    { workers: ctx.workers },
  );
}
