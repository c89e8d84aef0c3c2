/** d(target score)/d(input) for a batch, chunked so memory stays bounded; the building block of every method. */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import type { ExecutionSettings } from '../execution/execution-settings.js';
import { chunks } from '../util/batching.js';
import { safeGrad } from '../execution/safe-grad.js';
import { targetMask } from '../execution/target-mask.js';

export { targetMask } from '../execution/target-mask.js';

/** Which head and scores to differentiate, how many rows per model call, and under which execution settings. */
export interface GradientSettings {
  outputIndex: number;
  scores: ScoreKind;
  batchSize: number;
  execution?: ExecutionSettings;
}

/**
 * Gradient of each row's target score with respect to that row of `x` (rows are independent: the model runs in
 * inference mode). `targets[i]` is the class of row i. Returns a new tensor shaped like `x`, owned by the caller.
 */
export function targetGradients(
  model: ExplainableModel,
  x: tf.Tensor,
  targets: readonly number[],
  settings: GradientSettings,
): tf.Tensor {
  const parts: tf.Tensor[] = [];
  try {
    for (const { start, end } of chunks(x.shape[0], settings.batchSize)) {
      parts.push(
        tf.tidy(() => {
          const rows = tf.slice(x, start, end - start);
          const score = (input: tf.Tensor): tf.Tensor => {
            const out = model.run(input, {
              outputIndex: settings.outputIndex,
              scores: settings.scores,
              execution: settings.execution,
            });
            return tf.sum(tf.mul(out, targetMask(targets.slice(start, end), out.shape[1])));
          };
          return safeGrad(score, rows);
        }),
      );
    }
    return parts.length === 1 ? parts[0] : tf.tidy(() => tf.concat(parts, 0));
  } finally {
    if (parts.length > 1) parts.forEach((p) => p.dispose());
  }
}
