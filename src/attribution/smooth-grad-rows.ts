/**
 * SmoothGrad's noisy copies as rows of one chunked gradient computation, for the methods that are one input gradient
 * per row ({@link GradientForm}): rows are copy-major (row = copy·batch + example), chunked by `batchSize`; each chunk
 * builds its noisy rows, runs one gradient pass, reads its attributions back once and adds them to per-example running
 * sums in row order. Copy s's noise is drawn from its own seed over the whole batch (as one nested call would), so the
 * result does not depend on the chunking.
 */
import * as tf from '@tensorflow/tfjs';
import { Moments } from '../util/moments.js';
import { runRowChunks } from '../util/row-chunks.js';
import type { GradientForm } from './gradient-forms.js';
import type { MethodContext } from './run-method.js';
import { targetGradients } from './target-gradients.js';

/** Copy `s` of the whole batch: x + N(0, 1)·sigma with the copy's seed (the same op sequence as a nested call). */
export function noisyCopy(x: tf.Tensor, sigma: tf.Tensor, seed: number): tf.Tensor {
  return tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), sigma)));
}

/** The noisy rows [start, end) of the copy-major row list. */
function noisyRows(
  x: tf.Tensor,
  sigma: tf.Tensor,
  noiseSeeds: readonly number[],
  start: number,
  end: number,
): tf.Tensor {
  const batch = x.shape[0];
  return tf.tidy(() => {
    const parts: tf.Tensor[] = [];
    for (let copy = Math.floor(start / batch); copy * batch < end; copy++) {
      const from = Math.max(start, copy * batch) - copy * batch;
      const to = Math.min(end, (copy + 1) * batch) - copy * batch;
      const noisy = noisyCopy(x, sigma, noiseSeeds[copy]);
      parts.push(from === 0 && to === batch ? noisy : tf.slice(noisy, from, to - from));
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
}

/**
 * Running sums (per example, float64, in copy order) of the form's attributions over the noisy copies.
 * `onCopies(done)` is called with the number of whole copies finished after each chunk.
 */
export async function smoothGradRows(
  ctx: MethodContext,
  form: GradientForm,
  sigma: tf.Tensor,
  noiseSeeds: readonly number[],
  onCopies: (done: number) => void,
): Promise<Moments[]> {
  const { x, targets } = ctx;
  const batch = x.shape[0];
  const size = x.size / batch;
  const moments = targets.map(() => new Moments(size));
  const execution = { ...ctx.execution, rules: [...form.rules, ...(ctx.execution?.rules ?? [])] };
  await runRowChunks({
    total: noiseSeeds.length * batch,
    batchSize: ctx.batchSize,
    task: ({ start, end }) => {
      const rows = noisyRows(x, sigma, noiseSeeds, start, end);
      try {
        const rowTargets = Array.from({ length: end - start }, (_, r) => targets[(start + r) % batch]);
        const grads = targetGradients(ctx.model, rows, rowTargets, { ...ctx, batchSize: end - start, execution });
        const attributions = form.attributions(grads, rows);
        grads.dispose();
        const values = attributions.dataSync() as Float32Array;
        attributions.dispose();
        return values;
      } finally {
        rows.dispose();
      }
    },
    reduce: ({ start, end }, values) => {
      for (let row = start; row < end; row++)
        moments[row % batch].add(values.subarray((row - start) * size, (row - start + 1) * size));
      onCopies(Math.floor(end / batch));
    },
  });
  return moments;
}
