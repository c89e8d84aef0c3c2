/**
 * Integrated gradients on the worker pool and the engines: task kind `'integrated-gradients'`, written once over the
 * engine primitives. A task is a chunk of consecutive path points (example-major: point p of example e is row
 * e·points + p); it forms its points b + α(x − b) in float32, takes their target-score gradients in one pass, and
 * returns their weighted sum per example it touches — the caller adds these into the integral in task order.
 */
import { RowTask, registerRowTaskKind, rulesPropagation } from '../parallel/row-task.js';
import type { RowTaskPlan, TaskArray } from '../engine/engine-primitives.js';

/** Values per row of a `[rows, ...]` array. */
const rowSize = (array: TaskArray): number => array.shape.slice(1).reduce((a, b) => a * b, 1);

/**
 * The path points of a task: row r is baseline_e + α_r·(input_e − baseline_e) with e = `example[r]` (an index into
 * `inputs`/`baselines`), each operation rounded to float32. Returns `[rows, ...]`.
 */
export function pathPoints(inputs: TaskArray, baselines: TaskArray, alphas: number[], example: number[]): TaskArray {
  const features = rowSize(inputs);
  const rows = alphas.length;
  const path = new Float32Array(rows * features);
  for (let r = 0; r < rows; r++) {
    const base = example[r] * features;
    const alpha = Math.fround(alphas[r]);
    for (let i = 0; i < features; i++) {
      const b = baselines.data[base + i];
      path[r * features + i] = b + Math.fround(alpha * Math.fround(inputs.data[base + i] - b));
    }
  }
  return { data: path, shape: [rows, ...inputs.shape.slice(1)] };
}

/**
 * Plan of `'integrated-gradients'`: `arrays.inputs`/`arrays.baselines` (the examples the chunk touches),
 * `numbers.alphas`, `numbers.example` (index into them), `numbers.weights` and `numbers.targets` per path row →
 * `[examples, features]`: Σ over the chunk's rows of weight · gradient, per example.
 */
export function integratedGradientsTask(task: RowTask): RowTaskPlan {
  const { alphas, example, weights, targets } = task.numbers;
  const inputs = task.arrays.inputs;
  return {
    primitive: 'gradients',
    pass: {
      rows: pathPoints(inputs, task.arrays.baselines, alphas, example),
      output: { targets },
      propagation: rulesPropagation(task),
    },
    finish: ({ gradient }) => {
      const features = rowSize(inputs);
      const examples = inputs.shape[0];
      const sums = new Float32Array(examples * features);
      for (let r = 0; r < alphas.length; r++) {
        const w = Math.fround(weights[r]);
        const out = example[r] * features;
        for (let i = 0; i < features; i++) sums[out + i] += w * gradient[r * features + i];
      }
      return { data: sums, shape: [examples, features] };
    },
  };
}

registerRowTaskKind('integrated-gradients', { plan: integratedGradientsTask });
