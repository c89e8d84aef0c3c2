/**
 * Max pooling whose input gradient is built from fast kernels instead of the backend's `MaxPoolGrad` (a slow kernel
 * on wasm: 15–27% of gradient time on the wingbeats CNNs, and its ties do not go to the first maximum). For
 * non-overlapping windows (stride = pool size), x reshaped to `[batch, rows, ph, cols, pw, channels]` lays each window
 * out without copying; the gradient sends each window's dy to its FIRST maximum in row-major window order, as
 * TensorFlow's and PyTorch's max-pool gradients do. The first maximum is found with broadcasting subtractions, `step`
 * and one max pool of the cells' ranks (earlier cells rank higher) — no comparison kernels, whose broadcasting is slow
 * on wasm. Every value is exact: only 0/1 masks and small integers are formed, and dy is multiplied by 1 or 0.
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

/**
 * The input gradient of a non-overlapping 'valid' max pool `y` of `x` (NHWC, pool `size`): each window's dy on its
 * first maximum, zero elsewhere (and on rows/columns a 'valid' pool leaves out).
 */
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
    const whole = rows * ph === h && cols * pw === w;
    const cropped = whole ? x : tf.slice(x, [0, 0, 0, 0], [b, rows * ph, cols * pw, c]);
    const windowShape = [b, rows, 1, cols, 1, c];
    const cells = tf.reshape(cropped, [b, rows, ph, cols, pw, c]);
    // 1 where a cell lies below its window's maximum (max − x > 0), 0 on the maxima.
    const below = tf.step(tf.sub(tf.reshape(y, windowShape), cells));
    const rank = cellRanks(ph, pw);
    const ranked = tf.sub(rank, tf.mul(below, rank)); // the cell's rank on maxima, 0 elsewhere
    const best = tf.maxPool(
      tf.reshape(ranked, [b, rows * ph, cols * pw, c]) as tf.Tensor4D,
      [ph, pw],
      [ph, pw],
      'valid',
    );
    const loser = tf.step(tf.sub(tf.reshape(best, windowShape), ranked)); // 0 only on the first maximum
    const g = tf.reshape(dy, windowShape);
    const dx = tf.reshape(tf.sub(g, tf.mul(loser, g)), [b, rows * ph, cols * pw, c]);
    if (whole) return dx as tf.Tensor4D;
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
