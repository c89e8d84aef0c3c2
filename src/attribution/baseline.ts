/** The reference input of path and perturbation methods (integrated gradients, occlusion, DeepLIFT). */
import * as tf from '@tensorflow/tfjs';
import { argumentError, described } from '../util/errors.js';
import { InputLike, toInputBatch } from '../execution/inputs.js';

/** A baseline: a number (filled), a tensor or arrays (one example, or one per example), or a function of the batch. */
export type Baseline = number | InputLike | ((inputs: tf.Tensor) => tf.Tensor);

/**
 * The baseline as a float32 batch shaped like `x` (zeros when omitted; one input is repeated for every example).
 * Returns a new tensor owned by the caller; throws (argument `baseline` of `functionName`) on a wrong shape or NaN/Infinity.
 */
export function baselineBatch(
  functionName: string,
  ctx: { x: tf.Tensor; model: Parameters<typeof toInputBatch>[1] },
  baseline: Baseline | undefined,
): tf.Tensor {
  const { x } = ctx;
  if (baseline === undefined) return tf.zerosLike(x);
  if (typeof baseline === 'number') {
    if (!Number.isFinite(baseline)) throw argumentError(functionName, 'baseline', 'a finite number', baseline);
    return tf.fill(x.shape, baseline);
  }
  let b: tf.Tensor;
  if (typeof baseline === 'function') {
    b = tf.tidy(() => tf.cast(baseline(x), 'float32'));
  } else if (baseline instanceof tf.Tensor && baseline.rank === x.rank - 1) {
    b = tf.tidy(() => tf.expandDims(tf.cast(baseline, 'float32'), 0));
  } else {
    b = toInputBatch(functionName, ctx.model, baseline, 'baseline');
  }
  if (b.shape[0] === 1 && x.shape[0] > 1) {
    const tiled = tf.tidy(() => tf.broadcastTo(b, x.shape));
    b.dispose();
    b = tiled;
  }
  if (b.shape.join(',') !== x.shape.join(',')) {
    const got = b.shape;
    b.dispose();
    throw argumentError(
      functionName,
      'baseline',
      `one input of shape [${x.shape.slice(1).join(',')}] or one per example [${x.shape.join(',')}]`,
      described(`shape [${got.join(',')}]`),
      'SHAPE_MISMATCH',
    );
  }
  const finite = tf.tidy(() => tf.all(tf.isFinite(b)).dataSync()[0]);
  if (!finite) {
    b.dispose();
    throw argumentError(functionName, 'baseline', 'finite', described('NaN or Infinity'), 'NON_FINITE_INPUT');
  }
  return b;
}

export { BASELINE_OPTION } from './method-specs.js';
