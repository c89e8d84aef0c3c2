/**
 * Integrated gradients on the worker pool: task kind `'integrated-gradients'`. A task is a chunk of consecutive path
 * points (example-major: point p of example e is row e·points + p); it builds its points without `tf.gather` (one
 * slice per example and a broadcast α column), takes their target-score gradients, and returns their weighted sum per
 * example it touches — the caller adds these into the integral in task order.
 */
import * as tf from '@tensorflow/tfjs';
import {
  RowTask,
  RowTaskContext,
  TaskArray,
  taskTensor,
  tidyArray,
  registerRowTaskKind,
} from '../parallel/row-task.js';
import { targetGradients } from './target-gradients.js';

/**
 * The path points of a task: for each run of rows of one example e, baseline_e + α·(input_e − baseline_e), with α a
 * `[rows, 1, ...]` column (broadcasting; no gather). `example[r]` indexes `inputs`/`baselines`; rows of one example
 * are consecutive. Returns `[rows, ...]` (inside the caller's tidy).
 */
export function pathPoints(inputs: tf.Tensor, baselines: tf.Tensor, alphas: number[], example: number[]): tf.Tensor {
  const ones = inputs.shape.slice(1).map(() => 1);
  const parts: tf.Tensor[] = [];
  for (let first = 0; first < example.length;) {
    let last = first;
    while (last + 1 < example.length && example[last + 1] === example[first]) last++;
    const e = example[first];
    const x = tf.slice(inputs, e, 1);
    const b = tf.slice(baselines, e, 1);
    const a = tf.tensor(alphas.slice(first, last + 1), [last + 1 - first, ...ones], 'float32');
    parts.push(tf.add(b, tf.mul(a, tf.sub(x, b))));
    first = last + 1;
  }
  return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
}

/**
 * Executor of `'integrated-gradients'`: `arrays.inputs`/`arrays.baselines` (the examples the chunk touches),
 * `numbers.alphas`, `numbers.example` (index into them), `numbers.weights` and `numbers.targets` per path row →
 * `[examples, features]`: Σ over the chunk's rows of weight · gradient, per example.
 */
export function integratedGradientsTask(task: RowTask, { model, execution }: RowTaskContext): TaskArray {
  const { alphas, example, weights, targets } = task.numbers;
  const inputs = task.arrays.inputs;
  return tidyArray(() => {
    const x = taskTensor(inputs);
    const path = pathPoints(x, taskTensor(task.arrays.baselines), alphas, example);
    const rows = alphas.length;
    const grads = targetGradients(model, path, targets, {
      outputIndex: task.outputIndex,
      scores: task.scores,
      batchSize: rows,
      execution,
    });
    const examples = inputs.shape[0];
    const w = new Float32Array(examples * rows);
    for (let r = 0; r < rows; r++) w[example[r] * rows + r] = weights[r];
    return tf.matMul(tf.tensor2d(w, [examples, rows]), tf.reshape(grads, [rows, -1]));
  });
}

registerRowTaskKind('integrated-gradients', integratedGradientsTask);
