/**
 * DeepLIFT's pass as a row task, `'deeplift'`: a chunk of rows and their baselines run as one paired batch under the
 * rescale and max-pool rules (the task's execution names them: they are registered for other threads here), giving
 * each row's attributions and its summation-to-delta gap — on TensorFlow.js here and in workers, or on an engine that
 * accepts the kind (ONNX Runtime, with the rules as op-gradient overrides: src/onnx/rules/).
 */
import * as tf from '@tensorflow/tfjs';
import { safeGrad } from '../execution/safe-grad.js';
import {
  RowTask,
  RowTaskContext,
  TaskArray,
  registerRowTaskKind,
  taskTensor,
  tidyArray,
} from '../parallel/row-task.js';
import { registerSerialRule } from '../parallel/serial-execution.js';
import { deepliftMaxPool } from '../rules/deeplift-max-pool.js';
import { deepliftRescale } from '../rules/deeplift-rescale.js';
import { targetMask } from './target-gradients.js';

/** DeepLIFT's rules, first in the execution settings of its passes. */
export const DEEPLIFT_RULES = [deepliftRescale, deepliftMaxPool] as const;

for (const rule of DEEPLIFT_RULES) registerSerialRule(rule);

/**
 * Multipliers of the target score w.r.t. the logits: the one-hot target for logits; for probabilities the softmax
 * gradient g = ∂p_t/∂z at the input, rescaled so that Σ_c m_c Δz_c = Δp_t exactly (g itself when g·Δz ≈ 0).
 */
function outputMultipliers(logits: tf.Tensor2D, targets: number[], probabilities: boolean): tf.Tensor2D {
  const mask = targetMask(targets, logits.shape[1]);
  if (!probabilities) return mask;
  const [z1, z0] = tf.split(logits, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
  const p1 = tf.softmax(z1);
  const pt1 = tf.sum(tf.mul(p1, mask), 1, true);
  const pt0 = tf.sum(tf.mul(tf.softmax(z0), mask), 1, true);
  const g = tf.mul(pt1, tf.sub(mask, p1));
  const projected = tf.sum(tf.mul(g, tf.sub(z1, z0)), 1, true);
  const flat = tf.less(tf.abs(projected), 1e-12);
  const scale = tf.where(
    flat,
    tf.onesLike(projected),
    tf.div(tf.sub(pt1, pt0), tf.where(flat, tf.onesLike(projected), projected)),
  );
  return tf.mul(g, scale) as tf.Tensor2D;
}

/**
 * Executor of `'deeplift'`: `arrays.rows`, `arrays.baselines` (same shape) and `numbers.targets` → `[rows, size + 1]`:
 * each row's attributions (x − baseline) ⊙ multiplier, flattened, then its delta Σ attributions − (f(x) − f(baseline)).
 */
export function deepliftTask(task: RowTask, { model, execution }: RowTaskContext): TaskArray {
  const { outputIndex, scores } = task;
  const targets = task.numbers.targets;
  return tidyArray(() => {
    const xs = taskTensor(task.arrays.rows);
    const bs = taskTensor(task.arrays.baselines);
    const paired = tf.concat([xs, bs], 0);
    const logits = model.run(paired, { outputIndex, scores: 'logits' });
    const weights = outputMultipliers(logits, targets, scores === 'probabilities');
    const gradient = safeGrad((input) => {
      const out = model.run(input, { outputIndex, scores: 'logits', execution });
      return tf.sum(tf.mul(tf.slice(out, 0, targets.length), weights));
    }, paired);
    const a = tf.mul(tf.sub(xs, bs), tf.slice(gradient, 0, targets.length));
    const values = scores === 'probabilities' ? tf.softmax(logits) : logits;
    const mask = targetMask(targets, logits.shape[1]);
    const [s1, s0] = tf.split(tf.sum(tf.mul(values, tf.concat([mask, mask], 0)), 1), 2, 0);
    const flat = tf.reshape(a, [targets.length, -1]);
    const gap = tf.sub(tf.sum(flat, 1), tf.sub(s1, s0));
    return tf.concat([flat, tf.expandDims(gap, 1)], 1);
  });
}

registerRowTaskKind('deeplift', deepliftTask);
