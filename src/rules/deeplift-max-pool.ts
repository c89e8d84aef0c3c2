/** DeepLIFT's max-pooling rule (as Captum's `maxpool`): completeness through max pooling. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { PropagationRule } from '../execution/propagation-rule.js';
import { config, first, pair } from '../execution/layer-op.js';
import { scaleGradient, stopGradient, withSurrogateGradient } from './gradient-tricks.js';
import { splitPairs } from './paired-batch.js';
import { RESCALE_EPSILON } from './deeplift-rescale.js';

/** Window geometry of a max-pooling layer as 2-D (1-D pools are `[size, 1]` over `[batch, length, 1, channels]`). */
interface PoolWindows {
  size: [number, number];
  rows: number;
  cols: number;
}

function poolWindows(layer: tf.layers.Layer, x: tf.Tensor): PoolWindows {
  const c = config(layer);
  const twoD = layer.getClassName() === 'MaxPooling2D';
  const size: [number, number] = twoD ? pair(c.poolSize, 2) : [first(c.poolSize, 2), 1];
  const strides: [number, number] = twoD ? pair(c.strides ?? c.poolSize, size[0]) : [first(c.strides ?? c.poolSize, size[0]), 1];
  if (c.padding !== 'valid' || strides[0] !== size[0] || strides[1] !== size[1]) {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `DeepLIFT's max-pool rule needs non-overlapping 'valid' pooling (strides = pool size); layer '${layer.name}' has pool ${size.join('×')}, strides ${strides.join('×')}, padding '${c.padding}'.`);
  }
  return { size, rows: Math.floor((x.shape[1] as number) / size[0]), cols: twoD ? Math.floor((x.shape[2] as number) / size[1]) : 1 };
}

/** `[batch, rows, cols, window cells, channels]`: the pooling windows of x (cells row-major; cropped as 'valid' pooling). */
function windowCells(x: tf.Tensor, w: PoolWindows): tf.Tensor {
  const x4 = x.rank === 3 ? tf.expandDims(x, 2) : x;
  const [b, , , c] = x4.shape;
  const [ph, pw] = w.size;
  const cropped = tf.slice(x4, [0, 0, 0, 0], [b, w.rows * ph, w.cols * pw, c]);
  const grouped = tf.transpose(tf.reshape(cropped, [b, w.rows, ph, w.cols, pw, c]), [0, 1, 3, 2, 4, 5]);
  return tf.reshape(grouped, [b, w.rows, w.cols, ph * pw, c]);
}

/** Values within this relative distance of a window's maximum count as tied (float32 rounding of equal activations). */
const TIE_TOLERANCE = 1e-6;

/**
 * One-hot of the FIRST maximum of each window, as PyTorch's max-pool indices (wasm's own max-pool gradient routes ties
 * elsewhere). Values within float32 rounding (1e-6 relative) of the maximum count as tied: a constant reference input
 * gives equal activations in exact arithmetic, which float32 convolutions may round apart.
 */
function firstWinners(x: tf.Tensor, w: PoolWindows): tf.Tensor {
  const cells = windowCells(x, w);
  const top = tf.max(cells, 3, true);
  const tied = tf.greaterEqual(cells, tf.sub(top, tf.mul(tf.abs(top), TIE_TOLERANCE)));
  const winner = tf.argMax(tf.cast(tied, 'int32'), 3);
  return tf.transpose(tf.oneHot(winner, w.size[0] * w.size[1]), [0, 1, 2, 4, 3]);
}

/** Σ over each window of x ⊙ winners, shaped as the pool's output: its gradient routes dy to the winners. */
function throughWinners(x: tf.Tensor, winners: tf.Tensor, w: PoolWindows): tf.Tensor {
  const pooled = tf.sum(tf.mul(windowCells(x, w), winners), 3);
  return x.rank === 3 ? tf.squeeze(pooled, [2]) : pooled;
}

/**
 * On a paired batch `[inputs; references]`, with y = pool(x), y₀ = pool(x₀) and m = max(y, y₀) per output cell:
 * the multiplier of the input rows is [U_x(dy·(m − y₀)) + U_x₀(dy·(y − m))] / Δx, where U_x routes a value to the
 * (first) winner of its window in x and U_x₀ to the winner in x₀; where |Δx| < 1e-10 it is the plain gradient U_x(dy).
 * Summed over a window this gives exactly dy·(y − y₀): DeepLIFT's completeness holds through the pooling. The reference
 * rows get no gradient. Non-overlapping 'valid' pools (strides = pool size) only.
 */
export const deepliftMaxPool: PropagationRule = {
  name: 'deeplift-max-pool',
  appliesTo: { layers: ['MaxPooling1D', 'MaxPooling2D'] },
  wrap: (forward, site) => (x) => {
    const [x1, x0] = splitPairs(x, 'deeplift-max-pool');
    const w = poolWindows(site.layer, x1);
    const y = forward(x);
    const [y1, y0] = splitPairs(y, 'deeplift-max-pool');
    const dx = tf.sub(x1, x0);
    const small = tf.less(tf.abs(dx), RESCALE_EPSILON);
    const inverse = tf.where(small, tf.zerosLike(dx), tf.div(1, tf.where(small, tf.onesLike(dx), dx)));
    const top = stopGradient(tf.maximum(y1, y0));
    const own = stopGradient(firstWinners(x1, w));
    const theirs = stopGradient(firstWinners(x0, w));
    const scaled = scaleGradient(x1, inverse);
    // Gradients w.r.t. x1: [small]·U_x(dy), inverse·U_x(dy·(m − y₀)), inverse·U_x₀(dy·(y − m)).
    const plainTerm = throughWinners(scaleGradient(x1, tf.cast(small, 'float32')), own, w);
    const ownTerm = tf.mul(throughWinners(scaled, own, w), tf.sub(top, stopGradient(y0)));
    const referenceTerm = tf.mul(throughWinners(scaled, theirs, w), tf.sub(stopGradient(y1), top));
    return tf.concat([withSurrogateGradient(y1, tf.add(plainTerm, tf.add(ownTerm, referenceTerm))), stopGradient(y0)], 0);
  },
};
