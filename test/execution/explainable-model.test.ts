/** The explainable-model adapter: heads, logits, Monte-Carlo dropout, and no leaks from its public calls. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { heatmapOf } from '../../src/attribution/heatmap.js';
import { integralApproximation } from '../../src/attribution/integral-approximation.js';
import { interpolate } from '../../src/attribution/interpolate.js';
import { assertClose, flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, randomBatch, twoHeadNet } from '../tiny-models.js';

before(useWasm);

test('predict: deterministic by default; Monte-Carlo dropout gives a seeded mean and std, then switches itself off', async () => {
  const model = ExplainableModel.from(conv1dNet(101));
  const x = randomBatch([3, 12, 2], 102);
  const start = tf.memory().numTensors;
  const plain = model.predict(x, { scores: 'probabilities' });
  assert.equal(tf.memory().numTensors, start + 1, 'only the scores are left');
  const again = model.predict(x, { scores: 'probabilities' });
  assert.deepEqual(flat(plain.scores), flat(again.scores));
  assert.equal(plain.std, undefined);
  const before = tf.memory().numTensors;
  const mc = model.predict(x, { samples: 200, seed: 5, scores: 'probabilities' });
  assert.equal(tf.memory().numTensors, before + 2, 'only the mean and std are left');
  const mc2 = model.predict(x, { samples: 200, seed: 5, scores: 'probabilities' });
  assert.deepEqual(flat(mc.scores), flat(mc2.scores), 'same seed, same samples');
  assert.ok(
    flat(mc.std as tf.Tensor).some((s) => s > 1e-3),
    'dropout makes samples differ',
  );
  // Dropout sits right before the last Dense, so the expected logits under dropout equal the deterministic logits.
  const logits = model.predict(x);
  const mcLogits = model.predict(x, { samples: 400, seed: 6 });
  const scale = Math.max(...flat(logits.scores).map(Math.abs));
  assertClose(
    flat(mcLogits.scores),
    flat(logits.scores),
    0.1 * scale,
    0,
    'the MC mean of the logits is near the deterministic logits',
  );
  [logits.scores, mcLogits.scores, mcLogits.std].forEach((t) => t?.dispose());
  const after = model.predict(x, { scores: 'probabilities' });
  assert.deepEqual(flat(after.scores), flat(plain.scores), 'dropout is off again');
  [plain.scores, again.scores, mc.scores, mc.std, mc2.scores, mc2.std, after.scores].forEach((t) => t?.dispose());
  assert.throws(
    () => model.predict(x, { samples: 0 }),
    /Argument 'samples' passed to 'predict' must be a positive integer but got 0\./,
  );
  x.dispose();
});

test('heads are chosen by name or index; names and describe() say what the model is', () => {
  const model = ExplainableModel.from(twoHeadNet(103), { labels: { species: ['a', 'b', 'c', 'd'] } });
  assert.deepEqual(model.outputNames, ['genus', 'species']);
  assert.equal(model.resolveOutput('f', 'species'), 1);
  assert.equal(model.resolveOutput('f', 0), 0);
  assert.deepEqual(model.labels(1), ['a', 'b', 'c', 'd']);
  assert.equal(model.labels(0), undefined);
  assert.equal(model.endsInSoftmax(0), true);
  assert.match(model.describe(), /with input \[5\] and heads genus, species/);
  assert.throws(
    () => ExplainableModel.from(twoHeadNet(104), { outputNames: ['one'] }),
    /Argument 'outputNames' passed to 'ExplainableModel.from' must be a list of 2 names/,
  );
  assert.throws(
    () => ExplainableModel.from(42 as never),
    /must be a tf\.LayersModel, a function \(x\) => scores, or an ExplainableModel but got 42/,
  );
});

test('helpers leak nothing: heatmapOf, interpolate, integralApproximation', async () => {
  const a = randomBatch([2, 4, 3], 105);
  await withoutLeaks(
    () => heatmapOf(a, 'max-abs'),
    (h) => {
      assert.deepEqual(h.shape, [2, 4]);
      const values = flat(h);
      assert.equal(Math.min(...values), 0);
      assert.ok(Math.abs(Math.max(...values) - 1) < 1e-6);
      h.dispose();
    },
  );
  const constant = tf.ones([1, 4, 3]);
  await withoutLeaks(
    () => heatmapOf(constant, 'sum-abs'),
    (h) => {
      assert.deepEqual(flat(h), [0, 0, 0, 0], 'a constant map becomes zeros thanks to the 1e-16 guard');
      h.dispose();
    },
  );
  await withoutLeaks(
    () => integralApproximation(a, { method: 'riemann-left' }),
    (t) => t.dispose(),
  );
  const b = tf.zeros([4, 3]);
  const c = tf.ones([4, 2]);
  await rejectsWithoutLeaks(
    () => interpolate(b, c, [0, 1]),
    /Argument 'baseline' passed to 'interpolate' must be of the input's shape \[4,2\] but got shape \[4,3\]/,
  );
  [a, b, c, constant].forEach((t) => t.dispose());
});

test('a sigmoid head explains its probabilities (its outputs), not a softmax over one unit', async () => {
  const input = tf.input({ shape: [3] });
  const output = tf.layers
    .dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'ones', biasInitializer: 'zeros' })
    .apply(input) as tf.SymbolicTensor;
  const model = ExplainableModel.from(tf.model({ inputs: input, outputs: output }));
  const x = tf.tensor2d([[0.1, -0.4, 0.2]]);
  const p = tf.tidy(() => model.run(x, { scores: 'probabilities' }));
  assertClose(p.dataSync(), [1 / (1 + Math.exp(0.1))], 1e-7, 1e-6, 'probability');
  // d sigmoid(sum x) / dx = s (1 - s) for every input.
  const s = 1 / (1 + Math.exp(0.1));
  const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(model.run(t, { scores: 'probabilities' })))(x));
  assertClose(g.dataSync(), [s * (1 - s), s * (1 - s), s * (1 - s)], 1e-7, 1e-6, 'gradient of the probability');
  tf.dispose([x, p, g]);
  model.dispose();
});
