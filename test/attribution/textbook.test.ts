/** Every method against a slow textbook version on tiny dense and conv models (1-D and 2-D). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradients } from '../../src/attribution/gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { inputXGradient } from '../../src/attribution/input-x-gradient.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { integrationPoints } from '../../src/attribution/integral-approximation.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { assertClose, flat, useWasm } from '../helpers.js';
import { conv1dNet, conv2dNet, denseNet, mobileNetLike, randomBatch } from '../tiny-models.js';

before(useWasm);

/** Float64 forward of denseNet: W2·relu(W1·x + b1) + b2. */
function denseForward64(weights: number[][], x: number[], target: number): number {
  const [w1, b1, w2, b2] = weights;
  const hidden = b1.map((b, j) => Math.max(0, b + x.reduce((s, xi, i) => s + xi * w1[i * b1.length + j], 0)));
  return b2[target] + hidden.reduce((s, h, j) => s + h * w2[j * b2.length + target], 0);
}

test('gradients of a dense ReLU net equal float64 central finite differences', async () => {
  const model = denseNet(11);
  const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
  const x = randomBatch([5, 4], 12);
  const rows = x.arraySync() as number[][];
  const result = await gradients(model, x);
  const got = result.attributions.arraySync() as number[][];
  rows.forEach((row, e) => {
    const t = result.targets[e];
    const h = 1e-6;
    const fd = row.map((_, i) => {
      const up = row.slice();
      const down = row.slice();
      up[i] += h;
      down[i] -= h;
      return (denseForward64(weights, up, t) - denseForward64(weights, down, t)) / (2 * h);
    });
    assertClose(got[e], fd, 1e-5, 1e-5, `example ${e}`);
  });
  disposeAttribution(result);
  x.dispose();
  model.dispose();
});

/** Textbook gradient through tfjs-layers' own implementation (model.apply) on the cpu backend. */
async function layersGradient(model: tf.LayersModel, x: tf.Tensor, targets: number[]): Promise<number[]> {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return tf.tidy(() => {
      const mask = tf.oneHot(tf.tensor1d(targets, 'int32'), model.outputs[0].shape[1] as number);
      const g = tf.grad((input: tf.Tensor) =>
        tf.sum(tf.mul(model.apply(input, { training: false }) as tf.Tensor, mask)),
      )(x);
      return Array.from(g.dataSync());
    });
  } finally {
    await tf.setBackend(previous);
  }
}

for (const [name, build, shape] of [
  ['Conv1D', conv1dNet, [4, 12, 2]],
  ['Conv2D + BatchNorm', conv2dNet, [3, 6, 5, 2]],
  ['strided, depthwise and separable Conv2D', mobileNetLike, [3, 10, 9, 3]],
] as const) {
  test(`gradients, saliency and input×gradient of a ${name} net equal tfjs-layers' own gradient (cpu)`, async () => {
    const model = build();
    const x = randomBatch([...shape], 21);
    const targets = [0, 1, 2, 1].slice(0, shape[0]);
    const reference = await layersGradient(model, x, targets);
    assert.ok(
      reference.filter((v) => Math.abs(v) > 1e-4).length > reference.length / 4,
      'the test model must not be dead',
    );
    const plain = await gradients(model, x, { target: targets, scores: 'probabilities' });
    assertClose(flat(plain.attributions), reference, 1e-6, 1e-5, 'gradients');
    const sal = await saliency(model, x, { target: targets, scores: 'probabilities' });
    assertClose(flat(sal.attributions), reference.map(Math.abs), 1e-6, 1e-5, 'saliency');
    const ixg = await inputXGradient(model, x, { target: targets, scores: 'probabilities' });
    const xs = flat(x);
    assertClose(
      flat(ixg.attributions),
      reference.map((g, i) => g * xs[i]),
      1e-6,
      1e-5,
      'input x gradient',
    );
    [plain, sal, ixg].forEach(disposeAttribution);
    x.dispose();
    model.dispose();
  });
}

test('integrated gradients equals a hand-written weighted sum of gradients along the path', async () => {
  const model = conv2dNet(31);
  const x = randomBatch([2, 6, 5, 2], 32);
  const baseline = randomBatch([1, 6, 5, 2], 33);
  for (const method of ['trapezoid', 'riemann-left', 'riemann-right', 'riemann-middle', 'gauss-legendre'] as const) {
    const steps = 7;
    const result = await integratedGradients(model, x, {
      baseline,
      steps,
      integration: method,
      target: [2, 0],
      batchSize: 5,
    });
    const { alphas, weights } = integrationPoints(steps, method);
    const xs = x.arraySync() as number[][][][];
    const bs = (baseline.arraySync() as number[][][][])[0];
    const expected: number[] = [];
    for (let e = 0; e < 2; e++) {
      const xe = xs[e].flat(2);
      const be = bs.flat(2);
      const integral = new Array<number>(xe.length).fill(0);
      for (let k = 0; k < alphas.length; k++) {
        const point = tf.tensor([xe.map((v, i) => be[i] + alphas[k] * (v - be[i]))]).reshape([1, 6, 5, 2]);
        const g = await gradients(model, point, { target: [2, 0][e] });
        flat(g.attributions).forEach((v, i) => (integral[i] += weights[k] * v));
        disposeAttribution(g);
        point.dispose();
      }
      expected.push(...integral.map((v, i) => v * (xe[i] - be[i])));
    }
    assert.ok(
      expected.some((v) => Math.abs(v) > 1e-3),
      'the test model must not be dead',
    );
    assertClose(flat(result.attributions), expected, 1e-6, 1e-5, method);
    disposeAttribution(result);
  }
  x.dispose();
  baseline.dispose();
  model.dispose();
});

test('logits are the pre-softmax scores and the user model is left untouched', async () => {
  const withSoftmax = denseNet(41, true);
  const linear = denseNet(41, false);
  const x = randomBatch([3, 4], 42);
  const em = ExplainableModel.from(withSoftmax);
  const logits = tf.tidy(() => em.run(x, { scores: 'logits' }));
  const reference = linear.predict(x) as tf.Tensor;
  assertClose(flat(logits), flat(reference), 1e-6, 1e-6, 'logits');
  const probabilities = tf.tidy(() => em.run(x, { scores: 'probabilities' }));
  const predicted = withSoftmax.predict(x) as tf.Tensor;
  assertClose(flat(probabilities), flat(predicted), 1e-7, 1e-6, 'probabilities');
  const a = await gradients(withSoftmax, x);
  const b = await gradients(linear, x);
  assertClose(flat(a.attributions), flat(b.attributions), 1e-7, 1e-6, 'logit gradients');
  [logits, reference, probabilities, predicted].forEach((t) => t.dispose());
  [a, b].forEach(disposeAttribution);
  x.dispose();
  withSoftmax.dispose();
  linear.dispose();
});

test('gradients through 2-D convolutions agree between the wasm and cpu backends', async () => {
  const model = conv2dNet(51);
  const x = randomBatch([2, 6, 5, 2], 52);
  const onWasm = await gradients(model, x, { target: [1, 2] });
  await tf.setBackend('cpu');
  try {
    const onCpu = await gradients(model, x, { target: [1, 2] });
    assertClose(flat(onWasm.attributions), flat(onCpu.attributions), 1e-6, 1e-5, 'wasm vs cpu');
    disposeAttribution(onCpu);
  } finally {
    await tf.setBackend('wasm');
  }
  disposeAttribution(onWasm);
  x.dispose();
  model.dispose();
});
