/** Input-range warnings from the first batch-norm layer's training statistics. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import {
  checkInputRange,
  inputRangeWarning,
  inputRangeWarnings,
  trainingInputStatistics,
} from '../../src/execution/input-range.js';
import { useWasm } from '../helpers.js';

/** Input [5, 2] → BatchNorm (moving mean [-95, -50], variance [81, 4]) → Flatten → Dense(3). */
function bnFirst(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.batchNormalization({ inputShape: [5, 2], name: 'bn_input' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  const bn = model.layers[0];
  bn.setWeights([tf.ones([2]), tf.zeros([2]), tf.tensor1d([-95, -50]), tf.tensor1d([81, 4])]);
  return model;
}

test('trainingInputStatistics reads the first batch norm; none when the model starts with another layer', async () => {
  await useWasm();
  const model = ExplainableModel.from(bnFirst());
  const stats = trainingInputStatistics(model);
  assert.ok(stats !== undefined);
  assert.equal(stats.layer, 'bn_input');
  assert.equal(stats.axis, 1);
  assert.deepEqual(Array.from(stats.mean), [-95, -50]);
  assert.deepEqual(Array.from(stats.std), [9, 2]);
  const dense = ExplainableModel.from(
    tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 }), tf.layers.batchNormalization()] }),
  );
  assert.equal(trainingInputStatistics(dense), undefined);
  assert.equal(trainingInputStatistics(ExplainableModel.from((x: tf.Tensor) => x)), undefined);
  assert.deepEqual(inputRangeWarnings(dense, [{ name: 'x', data: [1, 2, 3, 4] }]), []);
  model.dispose();
  dense.dispose();
});

test('checkInputRange: the figures by hand, and the warning names them', async () => {
  await useWasm();
  const model = ExplainableModel.from(bnFirst());
  const stats = trainingInputStatistics(model);
  assert.ok(stats !== undefined);
  // Positions 0..3: channel 0 at -95 + 36 = -59 (z 4), channel 1 at -50 + 8 = -42 (z 4) → position z 4.
  // Position 4: both channels at the training mean (z 0).
  const data = [-59, -42, -59, -42, -59, -42, -59, -42, -95, -50];
  const check = checkInputRange(stats, data, [5, 2]);
  assert.equal(check.positions, 5);
  assert.equal(check.above, 4);
  assert.equal(check.below, 0);
  assert.ok(Math.abs(check.deviation - 16 / 5) < 1e-12, `deviation ${check.deviation}`);
  assert.ok(Math.abs(check.inputMean - (4 * (-59 - 42) - 145) / 10) < 1e-12);
  assert.equal(check.trainingMean, -72.5);
  assert.equal(check.trainingStd, 5.5);
  assert.equal(check.farOff, true);
  const warning = inputRangeWarning('a.wav', check, 'dB');
  assert.equal(
    warning,
    "'a.wav': input mean -54.9 dB, 3.2 training standard deviations above the training mean (-72.5 dB, std 5.5 dB); 4 of 5 positions lie more than 3 standard deviations above it. The model was not trained on inputs like this: its prediction and explanation describe an extrapolation.",
  );
  const near = checkInputRange(stats, [-90, -49, -95, -50, -100, -51, -95, -50, -95, -50], [5, 2]);
  assert.equal(near.farOff, false);
  assert.equal(inputRangeWarning('b.wav', near), undefined);
  assert.deepEqual(
    inputRangeWarnings(model, [
      { name: 'a', data },
      { name: 'b', data: [-95, -50, -95, -50, -95, -50, -95, -50, -95, -50] },
    ]).length,
    1,
  );
  assert.throws(
    () => checkInputRange(stats, [1, 2, 3], [5, 2]),
    /Argument 'data' passed to 'checkInputRange' must be 10 values/,
  );
  model.dispose();
});
