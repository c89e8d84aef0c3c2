/** Max-pooling windows as tensors: the cells of each window, its first winner, and routing through the winners. */
import * as tf from '@tensorflow/tfjs';
import { config, first, pair } from '../execution/layer-op.js';

/** Window geometry of a max-pooling layer as 2-D (1-D pools are `[size, 1]` over `[batch, length, 1, channels]`). */
export interface PoolWindows {
  size: [number, number];
  rows: number;
  cols: number;
}

/** The windows of a non-overlapping 'valid' max pool (strides = pool size), or null for any other geometry. */
export function poolWindows(layer: tf.layers.Layer, x: tf.Tensor): PoolWindows | null {
  const c = config(layer);
  const twoD = layer.getClassName() === 'MaxPooling2D';
  const size: [number, number] = twoD ? pair(c.poolSize, 2) : [first(c.poolSize, 2), 1];
  const strides: [number, number] = twoD
    ? pair(c.strides ?? c.poolSize, size[0])
    : [first(c.strides ?? c.poolSize, size[0]), 1];
  if (c.padding !== 'valid' || strides[0] !== size[0] || strides[1] !== size[1]) return null;
  return {
    size,
    rows: Math.floor((x.shape[1] as number) / size[0]),
    cols: twoD ? Math.floor((x.shape[2] as number) / size[1]) : 1,
  };
}

/** `[batch, rows, cols, window cells, channels]`: the pooling windows of x (cells row-major; cropped as 'valid' pooling). */
export function windowCells(x: tf.Tensor, w: PoolWindows): tf.Tensor {
  const x4 = x.rank === 3 ? tf.expandDims(x, 2) : x;
  const [b, , , c] = x4.shape;
  const [ph, pw] = w.size;
  const cropped = tf.slice(x4, [0, 0, 0, 0], [b, w.rows * ph, w.cols * pw, c]);
  const grouped = tf.transpose(tf.reshape(cropped, [b, w.rows, ph, w.cols, pw, c]), [0, 1, 3, 2, 4, 5]);
  return tf.reshape(grouped, [b, w.rows, w.cols, ph * pw, c]);
}

/**
 * One-hot of the FIRST maximum of each window, as TensorFlow's and PyTorch's max-pool gradients route it (the wasm
 * backend's MaxPoolGrad routes ties, e.g. windows of ReLU zeros, inconsistently). Values within `tolerance` (relative)
 * of the maximum count as tied.
 */
export function firstWinners(x: tf.Tensor, w: PoolWindows, tolerance = 0): tf.Tensor {
  const cells = windowCells(x, w);
  const top = tf.max(cells, 3, true);
  const tied = tf.greaterEqual(cells, tf.sub(top, tf.mul(tf.abs(top), tolerance)));
  const winner = tf.argMax(tf.cast(tied, 'int32'), 3);
  return tf.transpose(tf.oneHot(winner, w.size[0] * w.size[1]), [0, 1, 2, 4, 3]);
}

/** Σ over each window of x ⊙ winners, shaped as the pool's output: its gradient routes dy to the winners. */
export function throughWinners(x: tf.Tensor, winners: tf.Tensor, w: PoolWindows): tf.Tensor {
  const pooled = tf.sum(tf.mul(windowCells(x, w), winners), 3);
  return x.rank === 3 ? tf.squeeze(pooled, [2]) : pooled;
}
