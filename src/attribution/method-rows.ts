/**
 * A method's own row tasks (LRP's and DeepLIFT's passes): the rows cut into chunks and run through `runRowTasks`, so an
 * engine that accepts the task kind (ONNX Runtime) runs them and TensorFlow.js runs the rest, with the worker pool.
 */
import type { RowResult } from '../parallel/row-task.js';
import { type RowTaskInput, jobSettings, runRowTasks } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import { Chunk, chunks } from '../util/batching.js';
import type { MethodContext } from './run-method.js';

/**
 * Runs one task per chunk of `total` rows — TensorFlow.js keeps the method's chunks of `batchSize` rows (its numbers as
 * before), an engine such as ONNX Runtime takes its accelerated plan — and hands each result to `consume` in row order.
 */
export async function runMethodRows(
  ctx: MethodContext,
  total: number,
  batchSize: number,
  task: (chunk: Chunk) => RowTaskInput,
  consume: (chunk: Chunk, result: RowResult) => void,
): Promise<void> {
  const backend = ctx.execution?.backend;
  const plan =
    backend === undefined || backend === 'tfjs' ? chunks(total, batchSize) : taskChunks(total, batchSize, backend);
  await runRowTasks(
    {
      ...jobSettings(ctx),
      taskCount: plan.length,
      tasks: (function* () {
        for (const chunk of plan) yield task(chunk);
      })(),
      consume: (k, result) => {
        consume(plan[k], result);
        ctx.options.onProgress?.(plan[k].end, total);
      },
    },
    { workers: ctx.workers },
  );
}
