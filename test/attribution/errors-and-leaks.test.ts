/** Clear errors naming the argument, and no tensor leaks on success or on error, for every public method. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { attributionMethods, attributionMethodNames } from '../../src/attribution/registry.js';
import { gradients } from '../../src/attribution/gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { smoothGrad } from '../../src/attribution/smooth-grad.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, denseNet, twoHeadNet } from '../tiny-models.js';

before(useWasm);

test('no method leaks a tensor on success (the result is the only thing left, and it is freed by disposeAttribution)', async () => {
  const model = conv1dNet(81);
  const x = tf.randomNormal([2, 12, 2], 0, 1, 'float32', 1);
  const background = (x.arraySync() as number[][][]).map((row) => row.map((v) => v.map((c) => c / 2)));
  for (const name of attributionMethodNames) {
    await withoutLeaks(
      () =>
        attributionMethods[name].run(model, x, { noiseSamples: 2, steps: 4, seed: 1, background, groups: 'bands:3' }),
      disposeAttribution,
    );
  }
  await withoutLeaks(
    () => attributionMethods.saliency.run(model, (x.arraySync() as number[][][])[0]),
    disposeAttribution,
  );
  x.dispose();
  model.dispose();
});

test('targets: out of range, wrong count, unknown class name, non-integer — clear errors, no leaks', async () => {
  const model = denseNet(82, true);
  const x = [[1, 2, 3, 4]];
  await rejectsWithoutLeaks(
    () => integratedGradients(model, x, { target: 12 }),
    /^Argument 'target' passed to 'integratedGradients' must be in \[0, 3\) \(number of classes\) but got 12\.$/,
  );
  await rejectsWithoutLeaks(
    () => saliency(model, x, { target: [0, 1] }),
    /Argument 'target' passed to 'saliency' must be one target per example \(1\) but got 2 targets\./,
  );
  await rejectsWithoutLeaks(
    () => gradients(model, x, { target: 1.5 }),
    /Argument 'target' passed to 'gradients' must be an integer class index but got 1\.5\./,
  );
  await rejectsWithoutLeaks(
    () => gradients(model, x, { target: 'Ae_aegypti' }),
    /must be a class index \(this head has no class names\) but got 'Ae_aegypti'/,
  );
  const labelled = ExplainableModel.from(model, { labels: ['a', 'b', 'c'] });
  await rejectsWithoutLeaks(
    () => gradients(labelled, x, { target: 'd' }),
    /must be one of the class names 'a', 'b', 'c' but got 'd'/,
  );
  const byName = await gradients(labelled, x, { target: 'c' });
  assert.deepEqual(byName.targets, [2]);
  assert.deepEqual(byName.targetNames, ['c']);
  disposeAttribution(byName);
  model.dispose();
});

test('inputs: wrong shape, NaN, Infinity, empty batch, not an array — errors name the argument and what came', async () => {
  const model = denseNet(83);
  await rejectsWithoutLeaks(
    () => gradients(model, [[1, 2, 3, 4, 5]]),
    /^Argument 'inputs' passed to 'gradients' must be of shape \[batch,4\] for model '.*' with input \[4\] and head .* but got shape \[1,5\]\.$/,
  );
  await rejectsWithoutLeaks(
    () => gradients(model, [[1, 2, NaN, 4]]),
    /Argument 'inputs' passed to 'gradients' must be finite but got NaN or Infinity at index \[0,2\]\./,
  );
  const infinite = tf.tensor2d([[1, 2, 3, Infinity]]);
  const empty = tf.zeros([0, 4]);
  await rejectsWithoutLeaks(() => saliency(model, infinite), /must be finite but got NaN or Infinity at index \[0,3\]/);
  await rejectsWithoutLeaks(
    () => saliency(model, empty),
    /must be a batch of at least one example but got an empty batch/,
  );
  infinite.dispose();
  empty.dispose();
  await rejectsWithoutLeaks(
    () => saliency(model, 'abc' as never),
    /must be a tf\.Tensor or nested arrays of numbers but got 'abc'/,
  );
  await rejectsWithoutLeaks(
    () => saliency(model, [[1, 2], [3]] as never),
    /must be a rectangular nested array of numbers/,
  );
  model.dispose();
});

test('heads, scores, batchSize, steps, integration rule, baseline, noise: clear errors, no leaks', async () => {
  const model = twoHeadNet(84);
  const x = [[1, 2, 3, 4, 5]];
  await rejectsWithoutLeaks(
    () => saliency(model, x, { output: 'family' }),
    /^Argument 'output' passed to 'saliency' must be one of 'genus', 'species' \(or an index\) but got 'family'\.$/,
  );
  await rejectsWithoutLeaks(() => saliency(model, x, { output: 2 }), /must be an integer in \[0, 2\)/);
  await rejectsWithoutLeaks(
    () => saliency(model, x, { scores: 'softmax' as never }),
    /Argument 'scores' passed to 'saliency' must be 'logits' or 'probabilities' but got 'softmax'/,
  );
  await rejectsWithoutLeaks(
    () => saliency(model, x, { batchSize: 0 }),
    /Argument 'batchSize' passed to 'saliency' must be a positive integer but got 0/,
  );
  await rejectsWithoutLeaks(
    () => integratedGradients(model, x, { steps: 0 }),
    /Argument 'steps' passed to 'integratedGradients' must be an integer in \[1, 100000\] but got 0/,
  );
  await rejectsWithoutLeaks(
    () => integratedGradients(model, x, { integration: 'simpson' as never }),
    /Argument 'integration' passed to 'integratedGradients' must be one of 'trapezoid'.* but got 'simpson'/,
  );
  await rejectsWithoutLeaks(
    () => integratedGradients(model, x, { baseline: [[1, 2, 3]] }),
    /Argument 'baseline' passed to 'integratedGradients' must be of shape \[batch,5\].* but got shape \[1,3\]/,
  );
  await rejectsWithoutLeaks(
    () => integratedGradients(model, x, { baseline: NaN }),
    /Argument 'baseline' passed to 'integratedGradients' must be a finite number but got NaN/,
  );
  await rejectsWithoutLeaks(
    () => integratedGradients(model, x, { baseline: () => tf.fill([1, 5], NaN) }),
    /Argument 'baseline' passed to 'integratedGradients' must be finite/,
  );
  await rejectsWithoutLeaks(
    () => smoothGrad(saliency)(model, x, { noiseSamples: 0 }),
    /Argument 'noiseSamples' passed to 'smoothGrad' must be an integer in \[1, 100000\] but got 0/,
  );
  await rejectsWithoutLeaks(
    () => smoothGrad(saliency)(model, x, { noiseStdev: -1 }),
    /Argument 'noiseStdev' passed to 'smoothGrad' must be a number in \[0, 10\] but got -1/,
  );
  await rejectsWithoutLeaks(
    () => guidedBackprop((t: tf.Tensor) => t, x),
    /Gradient rules \(guided backprop\) need a tf\.LayersModel/,
  );
  await rejectsWithoutLeaks(
    () => saliency({} as never, x),
    /Argument 'model' passed to 'saliency' must be a tf\.LayersModel, a function \(x\) => scores, or an ExplainableModel but got an object of type Object/,
  );
  model.dispose();
});

test('multi-output models: heads by name or index give the same result; probabilities sum to 1', async () => {
  const model = twoHeadNet(85);
  const x = [
    [1, -2, 3, 0.5, 5],
    [0, 1, 0, 1, 0],
  ];
  const byName = await saliency(model, x, { output: 'species' });
  const byIndex = await saliency(model, x, { output: 1 });
  assert.deepEqual(flat(byName.attributions), flat(byIndex.attributions));
  assert.equal(byName.output, 'species');
  assert.deepEqual(byName.predictions.shape, [2, 4]);
  const sums = tf.tidy(() => Array.from(tf.sum(byName.probabilities as tf.Tensor, 1).dataSync()));
  sums.forEach((s) => assert.ok(Math.abs(s - 1) < 1e-6));
  // Without `output`, the finest classifier head is explained (species, not the first head).
  const fallback = await saliency(model, x);
  assert.equal(fallback.output, 'species');
  assert.deepEqual(flat(fallback.attributions), flat(byName.attributions));
  const genus = await saliency(model, x, { output: 'genus' });
  assert.equal(genus.output, 'genus');
  assert.deepEqual(genus.predictions.shape, [2, 2]);
  [byName, byIndex, fallback, genus].forEach(disposeAttribution);
  model.dispose();
});

test('a method that fails inside the model (forward or under the gradient) leaks nothing', async () => {
  const failing = (input: tf.Tensor): tf.Tensor => {
    if (input.shape[0] > 0) throw new WingbeatsError('UNSUPPORTED_MODEL', 'boom');
    return input;
  };
  await rejectsWithoutLeaks(() => saliency(failing, [[1, 2]]), /boom/);
  let calls = 0;
  const failsSecondTime = (input: tf.Tensor): tf.Tensor => {
    calls += 1;
    const hidden = tf.relu(tf.mul(input, 2));
    if (calls > 1) throw new WingbeatsError('UNSUPPORTED_MODEL', 'boom under the gradient');
    return hidden;
  };
  await rejectsWithoutLeaks(() => integratedGradients(failsSecondTime, [[1, 2]]), /boom under the gradient/);
});

test('a plain function model works for every method but guided backprop', async () => {
  const w = tf.tensor2d([
    [1, -1],
    [2, 0.5],
    [-1, 3],
  ]);
  const fn = (input: tf.Tensor): tf.Tensor => tf.matMul(input as tf.Tensor2D, w);
  const x = [[1, 2, 3]];
  const g = await gradients(fn, x, { target: 1 });
  assert.deepEqual(flat(g.attributions), [-1, 0.5, 3]);
  const ig = await integratedGradients(fn, x, { target: 1 });
  assert.ok(Math.abs((ig.delta as number[])[0]) < 1e-5);
  [g, ig].forEach(disposeAttribution);
  w.dispose();
});
