/**
 * Max pooling whose input gradient is built from fast element-wise ops instead of the backend's `MaxPoolGrad` (a slow
 * kernel on wasm: 15–27% of gradient time on the wingbeats CNNs). For non-overlapping windows (stride = pool size),
 * x reshaped to `[batch, rows, ph, cols, pw, channels]` lays each window out without copying; the gradient sends each
 * window's dy to its FIRST maximum in row-major window order, as TensorFlow's and PyTorch's max-pool gradients do.
 * The first maximum is found by ranking the cells equal to the window's maximum (earlier cells rank higher) and
 * max-pooling the ranks — forward kernels only.
 */
import * as tf from '@tensorflow/tfjs';

type Padding = 'same' | 'valid';

/**
 * Whether a max pool of this geometry over `[height, width]` has non-overlapping windows that the fast gradient handles:
 * strides equal to the pool size, and 'valid' padding or 'same' padding that divides the input evenly.
 */
export function isNonOverlappingPool(
  inputSize: readonly [number, number],
  size: readonly [number, number],
  strides: readonly [number, number],
  padding: Padding,
): boolean {
  if (strides[0] !== size[0] || strides[1] !== size[1]) return false;
  if (inputSize[0] < size[0] || inputSize[1] < size[1]) return false;
  return padding === 'valid' || (inputSize[0] % size[0] === 0 && inputSize[1] % size[1] === 0);
}

/** Rank of each window cell, ph·pw for the first (row-major) down to 1 for the last, shaped to broadcast over windows. */
function cellRanks(ph: number, pw: number): tf.Tensor {
  const ranks = new Float32Array(ph * pw);
  for (let i = 0; i < ph * pw; i++) ranks[i] = ph * pw - i;
  return tf.tensor(ranks, [1, 1, ph, 1, pw, 1]);
}

/** The input gradient of a non-overlapping 'valid' max pool `y` of `x`: each window's dy on its first maximum. */
export function firstWinnerPoolGradient(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  y: tf.Tensor4D,
  size: readonly [number, number],
): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const [, rows, cols] = y.shape;
    const [ph, pw] = size;
    const cropped = rows * ph === h && cols * pw === w ? x : tf.slice(x, [0, 0, 0, 0], [b, rows * ph, cols * pw, c]);
    const cells = tf.reshape(cropped, [b, rows, ph, cols, pw, c]);
    const isMax = tf.cast(tf.equal(cells, tf.reshape(y, [b, rows, 1, cols, 1, c])), 'float32');
    const ranked = tf.mul(isMax, cellRanks(ph, pw));
    const best = tf.maxPool(
      tf.reshape(ranked, [b, rows * ph, cols * pw, c]) as tf.Tensor4D,
      [ph, pw],
      [ph, pw],
      'valid',
    );
    // A window without any cell equal to its maximum (NaN) has best = 0: isMax keeps its gradient at zero.
    const winner = tf.mul(tf.cast(tf.equal(ranked, tf.reshape(best, [b, rows, 1, cols, 1, c])), 'float32'), isMax);
    const dx = tf.reshape(tf.mul(winner, tf.reshape(dy, [b, rows, 1, cols, 1, c])), [b, rows * ph, cols * pw, c]);
    if (rows * ph === h && cols * pw === w) return dx as tf.Tensor4D;
    return tf.pad(dx, [
      [0, 0],
      [0, h - rows * ph],
      [0, w - cols * pw],
      [0, 0],
    ]) as tf.Tensor4D;
  });
}

const pooled = (size: [number, number]) =>
  tf.customGrad(((x: tf.Tensor4D, save: tf.GradSaveFunc) => {
    const y = tf.maxPool(x, size, size, 'valid');
    save([x, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor4D, [input, output]: tf.Tensor[]) =>
        firstWinnerPoolGradient(dy, input as tf.Tensor4D, output as tf.Tensor4D, size),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor4D) => tf.Tensor4D;

/**
 * 2-D max pooling (NHWC) with the first-winner input gradient of {@link firstWinnerPoolGradient} when the windows do
 * not overlap ({@link isNonOverlappingPool}); any other geometry uses `tf.maxPool` and its backend gradient. Forward
 * values are those of `tf.maxPool`.
 */
export function maxPoolFirstWinnerGradient(
  x: tf.Tensor4D,
  size: [number, number],
  strides: [number, number],
  padding: Padding,
): tf.Tensor4D {
  if (!isNonOverlappingPool([x.shape[1], x.shape[2]], size, strides, padding))
    return tf.maxPool(x, size, strides, padding);
  return pooled(size)(x);
}
