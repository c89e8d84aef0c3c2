/**
 * Keras 2's `SlicingOpLambda` (`x[:, a:b]` in a functional model) read as Python reads a slice: negative starts,
 * stops and indices count from the end (a stop of −1 leaves the last element out), an omitted stop runs to the end.
 * Checked against slices worked out by hand on a [1, 6, 2] input holding 0…11.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { registerTensorOpLayer, TensorOpLayer } from '../../src/models/tensor-op-layer.js';
import { useWasm } from '../helpers.js';

before(useWasm);

const all = { start: null, stop: null, step: null };
const range = (start: number | null, stop: number | null) => ({ start, stop, step: null });

/** Rows of the input [1, 6, 2] (row r holds 2r, 2r + 1) that a slice of the time axis keeps, as Python keeps them. */
const CASES: { spec: unknown[]; rows: number[]; squeezed?: true }[] = [
  { spec: [all, range(1, -1)], rows: [1, 2, 3, 4] },
  { spec: [all, range(-3, null)], rows: [3, 4, 5] },
  { spec: [all, range(null, -2)], rows: [0, 1, 2, 3] },
  { spec: [all, range(2, 100)], rows: [2, 3, 4, 5] },
  { spec: [all, -1], rows: [5], squeezed: true },
  { spec: [all, 0], rows: [0], squeezed: true },
  { spec: ['Ellipsis', range(-1, null)], rows: [0, 1, 2, 3, 4, 5] },
];

test('TensorOpLayer slices as Python does (negative stops and indices, open ends)', () => {
  registerTensorOpLayer();
  const before = tf.memory().numTensors;
  const x = tf.tensor3d(
    Array.from({ length: 12 }, (_, i) => i),
    [1, 6, 2],
  );
  for (const { spec, rows, squeezed } of CASES) {
    const layer = new TensorOpLayer({ tensorOp: 'slice', opKwargs: { slice_spec: spec } as never });
    const y = layer.apply(x) as tf.Tensor;
    const lastAxisOnly = spec[0] === 'Ellipsis';
    const expected = lastAxisOnly
      ? rows.map((r) => [2 * r + 1])
      : squeezed
        ? [2 * rows[0], 2 * rows[0] + 1]
        : rows.map((r) => [2 * r, 2 * r + 1]);
    assert.deepEqual(y.arraySync(), [expected], JSON.stringify(spec));
    assert.deepEqual(
      layer.computeOutputShape([null, 6, 2]),
      y.shape.map((d, i) => (i === 0 ? null : d)),
    );
    y.dispose();
  }
  x.dispose();
  assert.equal(tf.memory().numTensors, before);
});
