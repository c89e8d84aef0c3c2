/** Grad-CAM's arithmetic against hand-derived values: channel weights, ReLU of the weighted sum, half-pixel resizing. */
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { gradCamMap, repeatOverChannels, resizeMap } from '../../src/attribution/grad-cam-map.js';
import { assertClose, flat, useWasm, withoutLeaks } from '../helpers.js';

before(useWasm);

test('gradCamMap: weights are gradients averaged over positions; map = ReLU(Σ_c w_c A_c), not normalised', async () => {
  // Two positions, two channels. Gradients: channel 0 → (1, 3) mean 2; channel 1 → (−1, −3) mean −2.
  // A = [[1, 2], [4, 1]]: position 0 → 2·1 − 2·2 = −2 → ReLU 0; position 1 → 2·4 − 2·1 = 6.
  const a = tf.tensor3d([
    [
      [1, 2],
      [4, 1],
    ],
  ]);
  const g = tf.tensor3d([
    [
      [1, -1],
      [3, -3],
    ],
  ]);
  const map = await withoutLeaks(
    () => gradCamMap(a, g),
    (m) => m.dispose(),
  );
  const again = gradCamMap(a, g);
  assertClose(flat(again), [0, 6], 0, 0, 'map');
  again.dispose();
  // A [batch, units] layer: the weights are the gradients themselves, one number per example: ReLU(1·2 + 0.5·(−2)) = 1.
  const dense = gradCamMap(tf.tensor2d([[2, -2]]), tf.tensor2d([[1, 0.5]]));
  assertClose(flat(dense), [1], 0, 0, 'dense layer');
  void map;
  tf.dispose([a, g, dense]);
});

test('resizeMap: linear with half-pixel centres, clamped at the edges (hand values; same as torch interpolate, align_corners=False)', () => {
  // n = 4 → N = 10: cell i samples (i + 0.5)·0.4 − 0.5 = −0.3, 0.1, 0.5, 0.9, 1.3, 1.7, 2.1, 2.5, 2.9, 3.3.
  const map = tf.tensor2d([[1, 2, 4, 8]]);
  const up = resizeMap(map, [10]);
  assertClose(flat(up), [1, 1.1, 1.5, 1.9, 2.6, 3.4, 4.4, 6, 7.6, 8], 1e-6, 0, '1-D');
  // Downsampling 4 → 2 samples 0.5 and 2.5: (1 + 2)/2 and (4 + 8)/2.
  const down = resizeMap(map, [2]);
  assertClose(flat(down), [1.5, 6], 1e-6, 0, '1-D down');
  tf.dispose([map, up, down]);
});

test('resizeMap: bilinear in 2-D with half-pixel centres (hand values)', () => {
  // [[1,2,3],[4,5,6]] → 5 × 7. Rows sample (r + 0.5)·0.4 − 0.5, columns (c + 0.5)·3/7 − 0.5.
  const map = tf.tensor3d([
    [
      [1, 2, 3],
      [4, 5, 6],
    ],
  ]);
  const up = resizeMap(map, [5, 7]);
  const v = up.arraySync() as number[][][];
  const at = (r: number, c: number): number => {
    const y = Math.min(Math.max((r + 0.5) * 0.4 - 0.5, 0), 1);
    const x = Math.min(Math.max((c + 0.5) * (3 / 7) - 0.5, 0), 2);
    const x0 = Math.floor(x);
    const x1 = Math.min(x0 + 1, 2);
    const row = (i: number): number =>
      [1, 2, 3, 4, 5, 6][i * 3 + x0] * (1 - (x - x0)) + [1, 2, 3, 4, 5, 6][i * 3 + x1] * (x - x0);
    return row(0) * (1 - y) + row(1) * y;
  };
  assertClose(
    v[0].flat(),
    Array.from({ length: 35 }, (_, k) => at(Math.floor(k / 7), k % 7)),
    1e-5,
    0,
    '2-D',
  );
  assertClose([v[0][2][3], v[0][0][0], v[0][4][6]], [3.5, 1, 6], 1e-6, 0, 'centre and corners');
  // A map without axes is constant over the input.
  const constant = resizeMap(tf.tensor1d([2.5]), [3, 2]);
  assertClose(flat(constant), [2.5, 2.5, 2.5, 2.5, 2.5, 2.5], 0, 0, 'constant');
  tf.dispose([map, up, constant]);
});

test('repeatOverChannels: the same values as tf.tile over a new channel axis (1-D and 2-D maps), no tensor left', async () => {
  for (const [shape, channels] of [
    [[2, 5], 3],
    [[2, 3, 4], 1],
    [[1, 3, 4], 2],
  ] as [number[], number][]) {
    const map = tf.tensor(
      Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.37 - 1),
      shape,
    );
    const repeated = await withoutLeaks(
      () => repeatOverChannels(map, channels),
      (r) => r.dispose(),
    );
    const again = repeatOverChannels(map, channels);
    const tiled = tf.tile(tf.expandDims(map, -1), [...shape.map(() => 1), channels]);
    assert.deepEqual(again.shape, tiled.shape);
    assertClose(flat(again), flat(tiled), 0, 0, `shape ${shape.join('×')} × ${channels}`);
    void repeated;
    tf.dispose([map, again, tiled]);
  }
});
