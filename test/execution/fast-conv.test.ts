/** The fast input gradient of convolutions equals TensorFlow.js's own Conv2DBackpropInput, for every padding and size. */
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  conv1dInputGradFriendly,
  conv2dInputGradFriendly,
  depthwiseConv2dInputGradFriendly,
} from '../../src/execution/fast-conv.js';
import { assertClose, flat, useWasm, withoutLeaks } from '../helpers.js';
import { randomBatch } from '../tiny-models.js';

before(useWasm);

test('2-D: forward values and input gradients equal tf.conv2d for odd and even kernels, same and valid padding, and strides', async () => {
  let seed = 200;
  for (const [kh, kw] of [
    [3, 3],
    [2, 2],
    [1, 3],
    [4, 5],
  ] as const) {
    for (const padding of ['same', 'valid'] as const) {
      for (const strides of [
        [1, 1],
        [2, 1],
      ] as [number, number][]) {
        const x = randomBatch([2, 7, 6, 3], seed++) as tf.Tensor4D;
        const kernel = randomBatch([kh, kw, 3, 4], seed++) as tf.Tensor4D;
        const dy = randomBatch(tf.conv2d(x, kernel, strides, padding).shape, seed++);
        await withoutLeaks(() => {
          const fast = tf.grad((input: tf.Tensor) =>
            tf.sum(tf.mul(conv2dInputGradFriendly(input as tf.Tensor4D, kernel, strides, padding, [1, 1]), dy)),
          )(x);
          const plain = tf.grad((input: tf.Tensor) =>
            tf.sum(tf.mul(tf.conv2d(input as tf.Tensor4D, kernel, strides, padding), dy)),
          )(x);
          const values = conv2dInputGradFriendly(x, kernel, strides, padding, [1, 1]);
          const reference = tf.conv2d(x, kernel, strides, padding);
          const what = `${kh}×${kw} ${padding} stride ${strides.join('×')}`;
          assertClose(flat(values), flat(reference), 2e-6, 1e-6, `${what} forward`);
          assertClose(flat(fast), flat(plain), 2e-6, 1e-6, `${what} input gradient`);
          [fast, plain, values, reference].forEach((t) => t.dispose());
        });
        [x, kernel, dy].forEach((t) => t.dispose());
      }
    }
  }
});

test('1-D: input gradients equal tf.conv1d', async () => {
  let seed = 300;
  for (const k of [1, 2, 3, 5]) {
    for (const padding of ['same', 'valid'] as const) {
      const x = randomBatch([3, 11, 2], seed++) as tf.Tensor3D;
      const kernel = randomBatch([k, 2, 5], seed++) as tf.Tensor3D;
      const dy = randomBatch(tf.conv1d(x, kernel, 1, padding).shape, seed++);
      const fast = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(conv1dInputGradFriendly(input as tf.Tensor3D, kernel, 1, padding, 1), dy)),
      )(x);
      const plain = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv1d(input as tf.Tensor3D, kernel, 1, padding), dy)),
      )(x);
      assertClose(flat(fast), flat(plain), 2e-6, 1e-6, `k ${k} ${padding}`);
      [x, kernel, dy, fast, plain].forEach((t) => t.dispose());
    }
  }
});

test('depthwise: forward values equal tf.depthwiseConv2d and input gradients equal the cpu backend, for strides, paddings and multipliers', async () => {
  let seed = 400;
  for (const [k, strides, padding, multiplier] of [
    [3, [1, 1], 'same', 1],
    [3, [2, 2], 'same', 1],
    [3, [2, 1], 'valid', 2],
    [2, [1, 1], 'same', 3],
    [5, [2, 2], 'same', 1],
  ] as [number, [number, number], 'same' | 'valid', number][]) {
    const x = randomBatch([2, 9, 8, 3], seed++) as tf.Tensor4D;
    const kernel = randomBatch([k, k, 3, multiplier], seed++) as tf.Tensor4D;
    const reference = tf.depthwiseConv2d(x, kernel, strides, padding);
    const dy = randomBatch(reference.shape, seed++);
    const fastValues = depthwiseConv2dInputGradFriendly(x, kernel, strides, padding, [1, 1]);
    const what = `${k}×${k} ${padding} stride ${strides.join('×')} multiplier ${multiplier}`;
    assertClose(flat(fastValues), flat(reference), 2e-6, 1e-6, `${what} forward`);
    const fast = tf.grad((input: tf.Tensor) =>
      tf.sum(tf.mul(depthwiseConv2dInputGradFriendly(input as tf.Tensor4D, kernel, strides, padding, [1, 1]), dy)),
    )(x);
    await tf.setBackend('cpu');
    let plain: tf.Tensor;
    try {
      plain = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(tf.depthwiseConv2d(input as tf.Tensor4D, kernel, strides, padding), dy)),
      )(x);
      assertClose(flat(fast), flat(plain), 2e-6, 1e-6, `${what} input gradient`);
      plain.dispose();
    } finally {
      await tf.setBackend('wasm');
    }
    [x, kernel, reference, dy, fastValues, fast].forEach((t) => t.dispose());
  }
});
