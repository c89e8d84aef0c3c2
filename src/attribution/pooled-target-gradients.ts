/**
 * Input gradients on the worker pool: task kind `'gradients'` (each row's target-score gradient for a chunk of rows)
 * and {@link pooledTargetGradients}, the parallel form of `targetGradients` used by gradients, saliency,
 * input × gradient and guided backprop.
 */
import * as tf from '@tensorflow/tfjs';
import { RowTask, registerRowTaskKind, rulesPropagation } from '../parallel/row-task.js';
import type { RowTaskPlan } from '../engine/engine-primitives.js';
import { jobSettings } from '../parallel/run-row-tasks.js';
import { runRowChunks } from '../parallel/run-row-chunks.js';
import type { MethodContext } from './run-method.js';

/** Plan of `'gradients'`: `arrays.rows` and `numbers.targets` → d(target score)/d(row), shaped like the rows. */
export function gradientsTask(task: RowTask): RowTaskPlan {
  const rows = task.arrays.rows;
  return {
    primitive: 'gradients',
    pass: { rows, output: { targets: task.numbers.targets }, propagation: rulesPropagation(task) },
    finish: ({ gradient }) => ({ data: gradient, shape: rows.shape.slice() }),
  };
}

registerRowTaskKind('gradients', { plan: gradientsTask });

/**
 * d(target score)/d(input) of each row of `x` (default: the method's input batch), with the rows cut by
 * `taskChunks(rows, batchSize)` and shared out to the model's worker pool (`ctx.workers`). Same numbers for any
 * number of workers. Returns a new tensor shaped like `x`, owned by the caller.
 */
export async function pooledTargetGradients(
  ctx: MethodContext,
  x: tf.Tensor = ctx.x,
  targets: readonly number[] = ctx.targets,
): Promise<tf.Tensor> {
  return runRowChunks(
    jobSettings(ctx),
    x,
    ctx.batchSize,
    'gradients',
    (start, end) => ({ targets: targets.slice(start, end) }),
    { workers: ctx.workers },
  );
}
