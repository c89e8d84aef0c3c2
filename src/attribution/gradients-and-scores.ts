/** One model task: the target gradients and the full scores of a chunk of rows, from one forward+backward pass. */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { safeGrad } from '../execution/safe-grad.js';
import { targetMask, type GradientSettings } from './target-gradients.js';

/** Gradients (owned by the caller) and the scores read back during the same forward pass. */
export interface GradientsAndScores {
  /** d(target score of row r)/d(row r), shaped like the rows. */
  gradients: tf.Tensor;
  /** `[rows × classes]` scores of kind `scores`, row-major. */
  scores: Float32Array;
  classes: number;
}

/**
 * The gradient of each row's target score and the row's score vector, in ONE pass over all `rows` (no chunking: the
 * caller sends one chunk). Under Monte-Carlo dropout the scores and the gradient therefore come from the same masks.
 */
export function gradientsAndScores(
  model: ExplainableModel,
  rows: tf.Tensor,
  targets: readonly number[],
  settings: Omit<GradientSettings, 'batchSize'>,
): GradientsAndScores {
  let scores: Float32Array = new Float32Array(0);
  let classes = 0;
  const gradients = tf.tidy(() =>
    safeGrad((input) => {
      const out = model.run(input, {
        outputIndex: settings.outputIndex,
        scores: settings.scores,
        execution: settings.execution,
      });
      classes = out.shape[1];
      scores = out.dataSync() as Float32Array;
      return tf.sum(tf.mul(out, targetMask(targets, classes)));
    }, rows),
  );
  return { gradients, scores, classes };
}
