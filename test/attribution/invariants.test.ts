/** Invariants: completeness, batching, SmoothGrad with zero noise, quadrature exactness, rule removal. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { attributionMethods, attributionMethodNames } from '../../src/attribution/registry.js';
import { gradients } from '../../src/attribution/gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import {
  integralApproximation,
  integrationMethods,
  integrationPoints,
} from '../../src/attribution/integral-approximation.js';
import { interpolate } from '../../src/attribution/interpolate.js';
import { smoothGrad } from '../../src/attribution/smooth-grad.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { assertClose, flat, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dNet, linearNet, randomBatch } from '../tiny-models.js';

before(useWasm);

test('integrated gradients is complete on a linear model to 1e-5, for every rule', async () => {
  const model = linearNet(10);
  const x = randomBatch([4, 10], 61);
  for (const method of integrationMethods) {
    const result = await integratedGradients(model, x, {
      baseline: 0.3,
      steps: 5,
      integration: method,
      target: [0, 1, 2, 0],
    });
    assert.equal(result.delta?.length, 4);
    for (const d of result.delta ?? []) assert.ok(Math.abs(d) < 1e-5, `${method}: completeness gap ${d}`);
    disposeAttribution(result);
  }
  x.dispose();
  model.dispose();
});

test('the completeness gap of integrated gradients shrinks with more steps on a non-linear model', async () => {
  const model = conv2dNet(62);
  const x = randomBatch([1, 6, 5, 2], 63);
  const gaps: number[] = [];
  for (const steps of [2, 16, 256]) {
    const r = await integratedGradients(model, x, { steps, integration: 'gauss-legendre', target: 0 });
    gaps.push(Math.abs(r.delta?.[0] ?? NaN));
    disposeAttribution(r);
  }
  assert.ok(gaps[0] > 1e-3, `the 2-node gap should be visible: ${gaps.join(', ')}`);
  assert.ok(gaps[2] < gaps[0] / 20, `gaps ${gaps.join(', ')}`);
  x.dispose();
  model.dispose();
});

test('every registered method: batched equals one by one, and batchSize does not change results', async () => {
  const model = conv1dNet(64);
  const x = randomBatch([3, 12, 2], 65);
  const backgroundTensor = randomBatch([2, 12, 2], 66);
  const background = backgroundTensor.arraySync() as number[][][];
  backgroundTensor.dispose();
  // Sampled methods draw from one seeded stream over the batch: batched and one by one draw differently.
  const sampled = new Set(['smoothgrad', 'shapley-sampling', 'kernel-shap', 'lime', 'gradient-shap']);
  for (const name of attributionMethodNames) {
    const run = attributionMethods[name].run;
    const options = { target: [0, 2, 1], seed: 7, noiseSamples: 3, steps: 6, background, groups: 'bands:4' };
    const whole = await run(model, x, options);
    const small = await run(model, x, { ...options, batchSize: 1 });
    assertClose(flat(small.attributions), flat(whole.attributions), 1e-7, 1e-5, `${name} batchSize`);
    const singles: number[] = [];
    for (let e = 0; e < 3; e++) {
      const one = tf.slice(x, e, 1);
      const r = await run(model, one, { ...options, target: options.target[e] });
      singles.push(...flat(r.attributions));
      disposeAttribution(r);
      one.dispose();
    }
    if (!sampled.has(name)) assertClose(singles, flat(whole.attributions), 1e-7, 1e-5, `${name} one by one`);
    assert.deepEqual(whole.heatmaps.shape, [3, 12]);
    assert.equal(whole.method, name === 'smoothgrad' ? 'saliency+smoothgrad' : name);
    disposeAttribution(whole);
    disposeAttribution(small);
  }
  x.dispose();
  model.dispose();
});

test('SmoothGrad with zero noise equals its inner method; seeds reproduce; variants behave', async () => {
  const model = conv2dNet(66);
  const x = randomBatch([2, 6, 5, 2], 67);
  for (const inner of [saliency, integratedGradients]) {
    const plain = await inner(model, x, { target: [0, 1] });
    const smooth = await smoothGrad(inner, { noiseSamples: 3, noiseStdev: 0 })(model, x, { target: [0, 1] });
    assertClose(flat(smooth.attributions), flat(plain.attributions), 1e-7, 1e-6, 'zero noise');
    disposeAttribution(plain);
    disposeAttribution(smooth);
  }
  const net = conv1dNet(64);
  const xs = randomBatch([3, 12, 2], 65);
  const a = await smoothGrad(gradients, { noiseSamples: 4, seed: 3 })(net, xs);
  const b = await smoothGrad(gradients, { noiseSamples: 4, seed: 3 })(net, xs);
  const c = await smoothGrad(gradients, { noiseSamples: 4, seed: 4 })(net, xs);
  assert.deepEqual(flat(a.attributions), flat(b.attributions));
  assert.notDeepEqual(flat(a.attributions), flat(c.attributions));
  const sq = await smoothGrad(gradients, { noiseSamples: 4, seed: 3, kind: 'smoothgrad-sq' })(net, xs);
  const vg = await smoothGrad(gradients, { noiseSamples: 4, seed: 3, kind: 'vargrad' })(net, xs);
  // mean of squares = variance + square of mean
  const mean = flat(a.attributions);
  assertClose(
    flat(sq.attributions),
    flat(vg.attributions).map((v, i) => v + mean[i] * mean[i]),
    1e-6,
    1e-5,
    'sq = var + mean²',
  );
  [a, b, c, sq, vg].forEach(disposeAttribution);
  x.dispose();
  xs.dispose();
  model.dispose();
  net.dispose();
});

test('guided backprop attaches its rule for one call only', async () => {
  const model = conv2dNet(68);
  const x = randomBatch([2, 6, 5, 2], 69);
  const before1 = await gradients(model, x);
  const guided = await guidedBackprop(model, x);
  const after = await gradients(model, x);
  assert.deepEqual(flat(after.attributions), flat(before1.attributions));
  assert.notDeepEqual(flat(guided.attributions), flat(before1.attributions));
  [before1, guided, after].forEach(disposeAttribution);
  x.dispose();
  model.dispose();
});

test('quadrature: weights sum to 1, Gauss-Legendre is exact for degree 2n−1, trapezoid is the mean of neighbouring pairs', () => {
  for (const method of integrationMethods) {
    const { alphas, weights } = integrationPoints(9, method);
    assert.ok(Math.abs(weights.reduce((s, w) => s + w, 0) - 1) < 1e-14, method);
    alphas.forEach((a) => assert.ok(a >= 0 && a <= 1));
  }
  const { alphas, weights } = integrationPoints(5, 'gauss-legendre');
  const integral = alphas.reduce((s, a, k) => s + weights[k] * a ** 9, 0);
  assert.ok(Math.abs(integral - 0.1) < 1e-14, `∫x⁹ = ${integral}`);
  const grads = randomBatch([11, 3, 2], 70);
  const approx = integralApproximation(grads, { method: 'trapezoid' });
  const rows = grads.arraySync() as number[][][];
  const expected: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 2; j++) {
      let s = 0;
      for (let k = 0; k < 10; k++) s += (rows[k][i][j] + rows[k + 1][i][j]) / 2;
      expected.push(s / 10);
    }
  }
  assertClose(flat(approx), expected, 1e-6, 0, 'trapezoid');
  approx.dispose();
  grads.dispose();
});

test('interpolate goes from the baseline to the input', async () => {
  await withoutLeaks(() => {
    const input = tf.tensor([
      [1, 2],
      [3, 4],
    ]);
    const baseline = tf.zerosLike(input);
    const path = interpolate(baseline, input, [0, 0.5, 1]);
    assert.deepEqual(path.shape, [3, 2, 2]);
    assert.deepEqual(flat(path), [0, 0, 0, 0, 0.5, 1, 1.5, 2, 1, 2, 3, 4]);
    [input, baseline, path].forEach((t) => t.dispose());
  });
});
