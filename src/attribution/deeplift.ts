import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { safeGrad } from '../execution/safe-grad.js';
import { chunks } from '../util/batching.js';
import { deepliftRescale } from '../rules/deeplift-rescale.js';
import { deepliftMaxPool } from '../rules/deeplift-max-pool.js';
import { runMethod } from './run-method.js';
import { targetMask } from './target-gradients.js';
import { Baseline, baselineBatch } from './baseline.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options of {@link deeplift}. */
export interface DeepLiftOptions extends AttributionOptions {
  /** Reference input (default zeros), as for integrated gradients. */
  baseline?: Baseline;
}

export { DEEPLIFT_OPTIONS } from './method-specs.js';

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
 * DeepLIFT with the rescale rule (Shrikumar et al. 2017, "Learning Important Features Through Propagating Activation
 * Differences"), as Captum's `DeepLift`: inputs and baselines run as one paired batch; ReLUs pass multipliers
 * Δy/Δx (the gradient where |Δx| < 1e-10), max pooling the DeepLIFT max-pool rule, linear layers (convolutions, dense,
 * batch norm in inference, averaging, flatten) their exact transposes. attributions = (x − baseline) ⊙ multiplier;
 * `delta[i]` = Σ attributions − (f(x) − f(baseline)), zero up to float32 rounding on ReLU / max-pool / batch-norm
 * networks. With `scores: 'probabilities'` the final softmax takes the rescaled gradient (completeness holds).
 *
 * Options: `baseline` (zeros), and {@link AttributionOptions}; `batchSize` counts the paired rows. Needs a
 * tf.LayersModel for its rules. Tensors are owned by the caller.
 * @example const { attributions, delta } = await deeplift(model, x, { baseline: 0 });
 */
export async function deeplift(
  model: ModelInput,
  inputs: InputLike,
  options: DeepLiftOptions = {},
): Promise<AttributionResult> {
  const functionName = 'deeplift';
  const frame = {
    method: 'deeplift',
    functionName,
    reduction: 'sum-abs',
    execution: { rules: [deepliftRescale, deepliftMaxPool] },
  } as const;
  return runMethod(frame, model, inputs, options, (ctx) => {
    const { x, targets } = ctx;
    const baseline = baselineBatch(functionName, ctx, options.baseline);
    const parts: tf.Tensor[] = [];
    const delta: number[] = [];
    try {
      const perChunk = Math.max(1, Math.floor(ctx.batchSize / 2));
      for (const { start, end } of chunks(x.shape[0], perChunk)) {
        const rows = targets.slice(start, end);
        const probabilities = ctx.scores === 'probabilities';
        const { attributions, gap } = tf.tidy(() => {
          const xs = tf.slice(x, start, end - start);
          const bs = tf.slice(baseline, start, end - start);
          const paired = tf.concat([xs, bs], 0);
          const logits = ctx.model.run(paired, { outputIndex: ctx.outputIndex, scores: 'logits' });
          const weights = outputMultipliers(logits, rows, probabilities);
          const gradient = safeGrad((input) => {
            const out = ctx.model.run(input, {
              outputIndex: ctx.outputIndex,
              scores: 'logits',
              execution: ctx.execution,
            });
            return tf.sum(tf.mul(tf.slice(out, 0, rows.length), weights));
          }, paired);
          const a = tf.mul(tf.sub(xs, bs), tf.slice(gradient, 0, rows.length));
          const scores = probabilities ? tf.softmax(logits) : logits;
          const [s1, s0] = tf.split(
            tf.sum(
              tf.mul(scores, tf.concat([targetMask(rows, logits.shape[1]), targetMask(rows, logits.shape[1])], 0)),
              1,
            ),
            2,
            0,
          );
          return { attributions: a, gap: tf.sub(tf.sum(tf.reshape(a, [rows.length, -1]), 1), tf.sub(s1, s0)) };
        });
        parts.push(attributions);
        delta.push(...Array.from(gap.dataSync()));
        gap.dispose();
        options.onProgress?.(end, x.shape[0]);
      }
      const attributions = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      if (parts.length > 1) parts.forEach((p) => p.dispose());
      parts.length = 0;
      return { attributions, delta };
    } finally {
      parts.forEach((p) => p.dispose());
      baseline.dispose();
    }
  });
}
