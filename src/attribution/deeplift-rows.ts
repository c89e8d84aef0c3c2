/**
 * DeepLIFT's pass as a row task, `'deeplift'`: a chunk of rows and their baselines run as one paired batch under the
 * rescale and max-pool rules (the task's execution names them: they are registered for other threads here), giving
 * each row's attributions and its summation-to-delta gap — written once over the engine primitives (the rules are a
 * propagation: TensorFlow.js rules, or op-gradient overrides on ONNX Runtime: src/onnx/rules/).
 */
import { RowTask, registerRowTaskKind } from '../parallel/row-task.js';
import { registerSerialRule } from '../parallel/serial-execution.js';
import { deepliftMaxPool } from '../rules/deeplift-max-pool.js';
import { deepliftRescale, deepliftRescaleNonlinear } from '../rules/deeplift-rescale.js';
import type { RowTaskPlan } from '../engine/engine-primitives.js';

/** DeepLIFT's rules, first in the execution settings of its passes. */
export const DEEPLIFT_RULES = [deepliftRescale, deepliftRescaleNonlinear, deepliftMaxPool] as const;

for (const rule of DEEPLIFT_RULES) registerSerialRule(rule);

/**
 * Plan of `'deeplift'`: `arrays.rows`, `arrays.baselines` (same shape) and `numbers.targets` → `[rows, size + 1]`: the
 * rows and baselines as one paired batch under DeepLIFT's propagation; each row's attributions (x − baseline) ⊙
 * multiplier, flattened, then its delta Σ attributions − (f(x) − f(baseline)).
 */
export function deepliftTask(task: RowTask): RowTaskPlan {
  const { rows: inputs, baselines } = task.arrays;
  const targets = task.numbers.targets;
  const count = inputs.shape[0];
  const features = inputs.data.length / count;
  const paired = new Float32Array(2 * count * features);
  paired.set(inputs.data);
  paired.set(baselines.data, count * features);
  return {
    primitive: 'gradients',
    pass: {
      rows: { data: paired, shape: [2 * count, ...inputs.shape.slice(1)] },
      output: { targets },
      propagation: { kind: 'deeplift' },
      withScores: true,
    },
    finish: ({ gradient, scores, classes }) => {
      const out = new Float32Array(count * (features + 1));
      for (let r = 0; r < count; r++) {
        let sum = 0;
        for (let i = 0; i < features; i++) {
          const k = r * features + i;
          const a = Math.fround(Math.fround(inputs.data[k] - baselines.data[k]) * gradient[k]);
          out[r * (features + 1) + i] = a;
          sum = Math.fround(sum + a);
        }
        const change = Math.fround(scores![r * classes + targets[r]] - scores![(count + r) * classes + targets[r]]);
        out[r * (features + 1) + features] = Math.fround(sum - change);
      }
      return { data: out, shape: [count, features + 1] };
    },
  };
}

registerRowTaskKind('deeplift', { plan: deepliftTask, propagation: () => ({ kind: 'deeplift' }) });
