/**
 * GradientSHAP (expected gradients) and DeepLIFT-SHAP: exact on a linear model, GradientSHAP with one background input
 * converging to integrated gradients (a Monte-Carlo path integral), DeepLIFT-SHAP equal to DeepLIFT averaged over the
 * background, complete; seeded, leak-free, and a clear error without a background.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradientShap } from '../../src/attribution/gradient-shap.js';
import { deepliftShap } from '../../src/attribution/deeplift-shap.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { assertClose, flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, linearNet, randomBatch } from '../tiny-models.js';

before(useWasm);

async function read<T>(promise: Promise<AttributionResult>, fn: (r: AttributionResult) => T): Promise<T> {
  const r = await promise;
  try {
    return fn(r);
  } finally {
    disposeAttribution(r);
  }
}

test('gradient-shap on a linear model: w ⊙ (x − mean background) exactly; delta 0', async () => {
  const model = ExplainableModel.from(linearNet(5, 61));
  const x = randomBatch([2, 5], 62);
  const background = randomBatch([3, 5], 63);
  const kernel = flat(model.layersModel?.getWeights()[0] as tf.Tensor);
  const r = await read(gradientShap(model, x, { background, noiseSamples: 300, seed: 1, target: [0, 2] }), (res) => ({
    a: flat(res.attributions),
    delta: res.delta ?? [],
  }));
  // Expected value: w_t ⊙ (x − E[b]); the sample mean of the drawn baselines differs from E[b] by sampling only,
  // so check completeness (exact for every draw of a linear model) and closeness to the expectation.
  r.delta.forEach((d) => assert.ok(Math.abs(d) < 1e-4, `delta ${d}`));
  const xs = flat(x);
  const mean = [0, 1, 2, 3, 4].map(
    (i) => (flat(background)[i] + flat(background)[5 + i] + flat(background)[10 + i]) / 3,
  );
  const expected = [0, 2].flatMap((t, e) => [0, 1, 2, 3, 4].map((i) => kernel[i * 3 + t] * (xs[e * 5 + i] - mean[i])));
  assertClose(r.a, expected, 0.35, 0, 'close to w ⊙ (x − E[b])');
  x.dispose();
  background.dispose();
});

test('gradient-shap with one background input is Monte-Carlo integrated gradients', async () => {
  const model = ExplainableModel.from(conv1dNet(64));
  const x = randomBatch([1, 12, 2], 65);
  const b = randomBatch([1, 12, 2], 66);
  const ig = await read(integratedGradients(model, x, { baseline: b, steps: 256, target: 1 }), (r) =>
    flat(r.attributions),
  );
  const gs = await read(gradientShap(model, x, { background: b, noiseSamples: 4000, seed: 2, target: 1 }), (r) => ({
    a: flat(r.attributions),
    delta: r.delta?.[0] ?? NaN,
  }));
  const scale = Math.max(...ig.map(Math.abs));
  assertClose(gs.a, ig, 0.08 * scale, 0, 'expected gradients vs integrated gradients');
  assert.ok(Math.abs(gs.delta) < 0.1 * scale * 12, `delta ${gs.delta}`);
  // Seeded: the same seed gives the same numbers.
  const again = await read(
    gradientShap(model, x, { background: b, noiseSamples: 50, seed: 3, target: 1, batchSize: 7 }),
    (r) => flat(r.attributions),
  );
  const once = await read(
    gradientShap(model, x, { background: b, noiseSamples: 50, seed: 3, target: 1, batchSize: 1000 }),
    (r) => flat(r.attributions),
  );
  assertClose(again, once, 1e-6, 0, 'batching and seed');
  x.dispose();
  b.dispose();
});

test('gradient-shap: within 4 standard errors of integrated gradients (one background input); errors shrink as 1/√n', async () => {
  const model = ExplainableModel.from(conv1dNet(73));
  const x = randomBatch([1, 12, 2], 74);
  const b = randomBatch([1, 12, 2], 75);
  const ig = await read(
    integratedGradients(model, x, { baseline: b, steps: 512, integration: 'gauss-legendre', target: 0 }),
    (r) => flat(r.attributions),
  );
  const fit = (noiseSamples: number, seed: number): Promise<{ a: number[]; se: number[] }> =>
    read(gradientShap(model, x, { background: b, noiseSamples, seed, target: 0 }), (r) => ({
      a: flat(r.attributions),
      se: r.standardErrors?.[0] ?? [],
    }));
  const small = await fit(200, 5);
  const large = await fit(800, 6);
  for (const s of [small, large]) {
    const z = s.a.map((v, i) => Math.abs(v - ig[i]) / Math.max(s.se[i], 1e-6));
    assert.ok(z.filter((v) => v > 4).length <= 1, `|error|/SE: ${z.map((v) => v.toFixed(1)).join(' ')}`);
  }
  const ratio = large.se.reduce((p, q) => p + q, 0) / small.se.reduce((p, q) => p + q, 0);
  assert.ok(ratio > 0.35 && ratio < 0.7, `SE ratio 800 vs 200 draws ${ratio} (expected about 0.5)`);
  x.dispose();
  b.dispose();
});

test('deeplift-shap = DeepLIFT averaged over the background; complete (delta at float32 rounding)', async () => {
  const model = ExplainableModel.from(conv1dNet(67));
  const x = randomBatch([2, 12, 2], 68);
  const background = randomBatch([3, 12, 2], 69);
  const got = await read(deepliftShap(model, x, { background, target: [0, 2] }), (r) => {
    r.delta?.forEach((d) => assert.ok(Math.abs(d) < 1e-4, `delta ${d}`));
    return flat(r.attributions);
  });
  const parts: number[][] = [];
  for (let k = 0; k < 3; k++) {
    const b = tf.slice(background, k, 1);
    parts.push(await read(deeplift(model, x, { baseline: b, target: [0, 2] }), (r) => flat(r.attributions)));
    b.dispose();
  }
  assertClose(
    got,
    got.map((_, i) => (parts[0][i] + parts[1][i] + parts[2][i]) / 3),
    1e-5,
    1e-5,
  );
  x.dispose();
  background.dispose();
});

test('no leaks; a missing background names the argument', async () => {
  const model = ExplainableModel.from(conv1dNet(70));
  const x = randomBatch([1, 12, 2], 71);
  const background = randomBatch([2, 12, 2], 72);
  await withoutLeaks(() => gradientShap(model, x, { background, noiseSamples: 4 }), disposeAttribution);
  await withoutLeaks(() => deepliftShap(model, x, { background }), disposeAttribution);
  await rejectsWithoutLeaks(
    () => gradientShap(model, x),
    /^Argument 'background' passed to 'gradientShap' must be a set of reference inputs/,
  );
  await rejectsWithoutLeaks(() => deepliftShap(model, x, { background: [[1, 2]] }), /background/);
  x.dispose();
  background.dispose();
});
