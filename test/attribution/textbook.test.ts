/**
 * Every method against a slow textbook version on tiny dense and conv models (1-D and 2-D): gradients, saliency,
 * input × gradient and integrated gradients; and Grad-CAM, guided Grad-CAM, DeepLIFT and LRP with hand-derived
 * answers, their invariants (Grad-CAM of a layer whose output is the input; DeepLIFT completeness; LRP-0 = input ×
 * gradient; folded batch norm = batch norm as its own layer under ε), batched = one by one, errors and leaks; and
 * Grad-CAM's arithmetic against hand-derived values: channel weights, ReLU of the weighted sum, half-pixel resizing.
 * Occlusion against a slow one-window-at-a-time version (Captum's definition), invariants, batching, errors and leaks.
 * GradientSHAP (expected gradients) and DeepLIFT-SHAP: exact on a linear model, GradientSHAP with one background input
 * converging to integrated gradients (a Monte-Carlo path integral), DeepLIFT-SHAP equal to DeepLIFT averaged over the
 * background, complete; seeded, leak-free, and a clear error without a background.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradients } from '../../src/attribution/gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { inputXGradient } from '../../src/attribution/input-x-gradient.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { integrationPoints } from '../../src/attribution/integral-approximation.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { assertClose, flat, useWasm, rejectsWithoutLeaks, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dNet, denseNet, mobileNetLike, randomBatch, linearNet, seedWeights } from '../tiny-models.js';
import { gradCam } from '../../src/attribution/grad-cam.js';
import { guidedGradCam } from '../../src/attribution/guided-grad-cam.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { lrp } from '../../src/attribution/lrp.js';
import { gradCamMap, repeatOverChannels, resizeMap } from '../../src/attribution/grad-cam-map.js';
import { occlusion, windowStarts } from '../../src/attribution/occlusion.js';
import { gradientShap } from '../../src/attribution/gradient-shap.js';
import { deepliftShap } from '../../src/attribution/deeplift-shap.js';

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

async function values<T>(result: Promise<AttributionResult>, pick: (r: AttributionResult) => T): Promise<T> {
  const r = await result;
  try {
    return pick(r);
  } finally {
    disposeAttribution(r);
  }
}

test('Grad-CAM on conv → global average pooling → dense equals the class activation map ReLU(Σ_c W_ct A_c)/N (Zhou et al. 2016)', async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 4, 2], filters: 3, kernelSize: 3, padding: 'same', name: 'features' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 2, name: 'scores' }),
    ],
  });
  seedWeights(model, 71);
  const x = randomBatch([2, 5, 4, 2], 72);
  const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('features').output as tf.SymbolicTensor });
  const a = (features.predict(x) as tf.Tensor).arraySync() as number[][][][];
  const w = model.getLayer('scores').getWeights()[0].arraySync() as number[][];
  const result = await gradCam(model, x, { target: [0, 1] });
  const expected = a.map((example, e) =>
    example.map((row) => row.map((cell) => Math.max(0, cell.reduce((s, v, c) => s + v * w[c][e], 0) / 20))),
  );
  assertClose(flat(result.layerMap as tf.Tensor), expected.flat(2), 1e-6, 1e-5, 'layerMap');
  // Same resolution as the input: the attributions are the map itself, on every channel.
  assertClose(
    flat(tf.slice(result.attributions, [0, 0, 0, 1], [-1, -1, -1, 1])),
    expected.flat(2),
    1e-6,
    1e-5,
    'attributions',
  );
  assert.equal(result.layer, 'features');
  disposeAttribution(result);
  x.dispose();
  model.dispose();
});

test('Grad-CAM of a layer whose output is the input: ReLU(Σ_c mean_i(∂f/∂x_ic) · x_ic), with the default layer being the last convolution', async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.activation({ inputShape: [12, 2], activation: 'linear', name: 'same_as_input' }),
      tf.layers.conv1d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'last_conv' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 74);
  const x = randomBatch([3, 12, 2], 75);
  const g = await values(gradients(model, x), (r) => r.attributions.arraySync() as number[][][]);
  const xs = x.arraySync() as number[][][];
  const expected = xs.map((example, e) => {
    const weights = [0, 1].map((c) => g[e].reduce((s, row) => s + row[c], 0) / 12);
    return example.map((row) => Math.max(0, row[0] * weights[0] + row[1] * weights[1]));
  });
  const cam = await gradCam(model, x, { layer: 'same_as_input' });
  assertClose(flat(cam.layerMap as tf.Tensor), expected.flat(), 1e-6, 1e-5, 'map');
  assertClose(flat(tf.slice(cam.attributions, [0, 0, 0], [-1, -1, 1])), expected.flat(), 1e-6, 1e-5, 'attributions');
  disposeAttribution(cam);
  const byDefault = await gradCam(model, x);
  assert.equal(byDefault.layer, 'last_conv');
  assert.deepEqual(byDefault.layerMap?.shape, [3, 12]);
  disposeAttribution(byDefault);
  x.dispose();
  model.dispose();
});

test('guided Grad-CAM = guided backprop ⊙ the upsampled Grad-CAM map', async () => {
  const model = conv2dNet(76);
  const x = randomBatch([2, 6, 5, 2], 77);
  const guided = await values(guidedBackprop(model, x), (r) => flat(r.attributions));
  const cam = await values(gradCam(model, x, { layer: model.layers[4].name }), (r) => flat(r.attributions));
  const both = await guidedGradCam(model, x, { layer: model.layers[4].name });
  assertClose(
    flat(both.attributions),
    guided.map((v, i) => v * cam[i]),
    1e-6,
    1e-5,
    'product',
  );
  assert.deepEqual(both.layerMap?.shape, [2, 2, 1]);
  disposeAttribution(both);
  x.dispose();
  model.dispose();
});

test('DeepLIFT on a dense ReLU net equals the hand-computed rescale multipliers, and is complete', async () => {
  const model = denseNet(78);
  const [w1, b1, w2, b2] = model.getWeights().map((t) => Array.from(t.dataSync()));
  const x = randomBatch([4, 4], 79);
  const baseline = [0.3, -0.2, 0.1, 0.5];
  const result = await deeplift(model, x, { baseline });
  const hidden = (v: number[]): number[] => b1.map((b, j) => b + v.reduce((s, vi, i) => s + vi * w1[i * 6 + j], 0));
  const h0 = hidden(baseline);
  (x.arraySync() as number[][]).forEach((row, e) => {
    const t = result.targets[e];
    const h = hidden(row);
    const m = h.map((hj, j) =>
      Math.abs(hj - h0[j]) < 1e-10 ? (hj > 0 ? 1 : 0) : (Math.max(0, hj) - Math.max(0, h0[j])) / (hj - h0[j]),
    );
    const expected = row.map(
      (xi, i) => (xi - baseline[i]) * m.reduce((s, mj, j) => s + w1[i * 6 + j] * mj * w2[j * 3 + t], 0),
    );
    assertClose((result.attributions.arraySync() as number[][])[e], expected, 1e-6, 1e-5, `example ${e}`);
    const f = (v: number[]): number => b2[t] + hidden(v).reduce((s, hj, j) => s + Math.max(0, hj) * w2[j * 3 + t], 0);
    assert.ok(Math.abs(expected.reduce((s, v) => s + v, 0) - (f(row) - f(baseline))) < 1e-9, 'hand completeness');
    assert.ok(Math.abs((result.delta as number[])[e]) < 1e-5, `delta ${(result.delta as number[])[e]}`);
  });
  disposeAttribution(result);
  x.dispose();
  model.dispose();
});

test('DeepLIFT completeness at float32 rounding on ReLU / max-pool / batch-norm nets, for logits and probabilities; linear nets give (x − x₀) ⊙ W', async () => {
  for (const [model, shape] of [
    [conv1dNet(80), [3, 12, 2]],
    [conv2dNet(81), [3, 6, 5, 2]],
  ] as const) {
    const x = randomBatch([...shape], 82);
    for (const scores of ['logits', 'probabilities'] as const) {
      const result = await deeplift(model, x, { scores, baseline: 0.25 });
      const scale = Math.max(...(result.predictions.arraySync() as number[][]).flat().map(Math.abs), 1);
      for (const gap of result.delta as number[]) assert.ok(Math.abs(gap) < 3e-6 * scale, `${scores}: delta ${gap}`);
      disposeAttribution(result);
    }
    x.dispose();
    model.dispose();
  }
  const linear = linearNet(5, 83);
  const x = randomBatch([2, 5], 84);
  const dl = await values(deeplift(linear, x, { target: [1, 2] }), (r) => flat(r.attributions));
  const ig = await values(integratedGradients(linear, x, { target: [1, 2], steps: 2 }), (r) => flat(r.attributions));
  assertClose(dl, ig, 1e-6, 1e-6, 'linear');
  x.dispose();
  linear.dispose();
});

test('LRP-ε on a dense ReLU net equals the slow layer-by-layer relevance; LRP-0 equals input × gradient on ReLU nets', async () => {
  const model = denseNet(85);
  const [w1, b1, w2, b2] = model.getWeights().map((t) => Array.from(t.dataSync()));
  const x = randomBatch([3, 4], 86);
  const epsilon = 0.01;
  const stab = (z: number): number => z + epsilon * (z >= 0 ? 1 : -1);
  const result = await lrp(model, x, { epsilon });
  (x.arraySync() as number[][]).forEach((row, e) => {
    const t = result.targets[e];
    const z1 = b1.map((b, j) => b + row.reduce((s, xi, i) => s + xi * w1[i * 6 + j], 0));
    const a = z1.map((z) => Math.max(0, z));
    const z2 = b2[t] + a.reduce((s, aj, j) => s + aj * w2[j * 3 + t], 0);
    const hiddenRelevance = a.map((aj, j) => (aj * w2[j * 3 + t] * z2) / stab(z2));
    const expected = row.map((xi, i) =>
      z1.reduce((s, zj, j) => s + (xi * w1[i * 6 + j] * hiddenRelevance[j]) / stab(zj), 0),
    );
    assertClose((result.attributions.arraySync() as number[][])[e], expected, 1e-6, 1e-5, `example ${e}`);
  });
  disposeAttribution(result);
  for (const [net, shape] of [
    [denseNet(87), [3, 4]],
    [conv1dNet(88), [3, 12, 2]],
    [conv2dNet(89), [3, 6, 5, 2]],
  ] as const) {
    const input = randomBatch([...shape], 90);
    const lrp0 = await values(lrp(net, input, { epsilon: 0 }), (r) => flat(r.attributions));
    const ixg = await values(inputXGradient(net, input), (r) => flat(r.attributions));
    assertClose(lrp0, ixg, 1e-5, 1e-4, `LRP-0 vs input × gradient, input ${shape.join('×')}`);
    input.dispose();
    net.dispose();
  }
  x.dispose();
  model.dispose();
});

test('LRP: folding batch norm equals batch norm as its own layer under ε; z-plus = alpha-beta(1, 0); every rule batched = one by one', async () => {
  const model = conv2dNet(91);
  const x = randomBatch([3, 6, 5, 2], 92);
  const own = await values(lrp(model, x, { epsilon: 1e-9 }), (r) => flat(r.attributions));
  const folded = await values(lrp(model, x, { epsilon: 1e-9, foldBatchNorm: true }), (r) => flat(r.attributions));
  assertClose(folded, own, 1e-5, 1e-4, 'folded vs own');
  const zPlus = await values(lrp(model, x, { rule: 'z-plus' }), (r) => flat(r.attributions));
  const alphaOne = await values(lrp(model, x, { rule: 'alpha-beta', alpha: 1, beta: 0 }), (r) => flat(r.attributions));
  assert.deepEqual(zPlus, alphaOne);
  for (const rule of ['epsilon', 'gamma', 'alpha-beta', 'z-plus'] as const) {
    const all = await values(lrp(model, x, { rule, batchSize: 2 }), (r) => flat(r.attributions));
    for (let e = 0; e < 3; e++) {
      const one = tf.slice(x, e, 1);
      const single = await values(lrp(model, one, { rule }), (r) => flat(r.attributions));
      assertClose(single, all.slice(e * 60, (e + 1) * 60), 1e-6, 1e-5, `${rule} example ${e}`);
      one.dispose();
    }
  }
  x.dispose();
  model.dispose();
});

test('Grad-CAM and DeepLIFT: batched = one by one', async () => {
  const model = conv1dNet(93);
  const x = randomBatch([3, 12, 2], 94);
  for (const method of [gradCam, guidedGradCam, deeplift]) {
    const all = await values(method(model, x, { batchSize: 2, target: [0, 1, 2] }), (r) => flat(r.attributions));
    for (let e = 0; e < 3; e++) {
      const one = tf.slice(x, e, 1);
      const single = await values(method(model, one, { target: e }), (r) => flat(r.attributions));
      assertClose(single, all.slice(e * 24, (e + 1) * 24), 1e-6, 1e-5, `${method.name} example ${e}`);
      one.dispose();
    }
  }
  x.dispose();
  model.dispose();
});

test('new methods: leak-free on success and on error, with errors naming the argument', async () => {
  const model = conv1dNet(95);
  const x = randomBatch([2, 12, 2], 96);
  for (const method of [gradCam, guidedGradCam, deeplift, lrp])
    await withoutLeaks(() => method(model, x), disposeAttribution);
  await withoutLeaks(
    () => lrp(model, x, { rule: 'alpha-beta', foldBatchNorm: true, scores: 'probabilities' }),
    disposeAttribution,
  );
  await rejectsWithoutLeaks(
    () => gradCam(model, x, { layer: 'nope' }),
    /^Argument 'layer' passed to 'gradCam' must be the name of a layer of model .* \(convolutions: '.*'\) but got 'nope'\.$/,
  );
  await rejectsWithoutLeaks(
    () => lrp(model, x, { rule: 'flat' as 'epsilon' }),
    /^Argument 'rule' passed to 'lrp' must be one of 'epsilon', 'gamma', 'alpha-beta', 'z-plus' but got 'flat'\.$/,
  );
  await rejectsWithoutLeaks(
    () => lrp(model, x, { epsilon: -1 }),
    /Argument 'epsilon' passed to 'lrp' must be a number in \[0, 1000000\] but got -1\./,
  );
  await rejectsWithoutLeaks(
    () => deeplift(model, x, { baseline: [[1, 2]] }),
    /Argument 'baseline' passed to 'deeplift' must be/,
  );
  const dense = denseNet(97);
  await rejectsWithoutLeaks(
    () => gradCam(dense, [[1, 2, 3, 4]]),
    /'gradCam' found no convolution layer in model .*; pass the option 'layer'/,
  );
  dense.dispose();
  const mobile = mobileNetLike(98);
  const image = randomBatch([1, 10, 9, 3], 99);
  await rejectsWithoutLeaks(() => lrp(mobile, image), /'lrp' has no LRP rule for layer '.*' of class DepthwiseConv2D/);
  image.dispose();
  mobile.dispose();
  x.dispose();
  model.dispose();
});

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

/** Target logit of one example, one model call per input (no batching). */
function score(model: ExplainableModel, input: number[], shape: number[], target: number): number {
  return tf.tidy(() => model.run(tf.tensor(input, [1, ...shape])).dataSync()[target]);
}

/**
 * Textbook occlusion on one example: loop over Captum's window starts along every non-channel axis (1 + ceil((n − w)/s)
 * starts k·s; a window running past the end is cut there), one forward per window; accumulate f(x) − f(occluded) on the covered positions, divide by coverage.
 */
function slowOcclusion(
  model: ExplainableModel,
  input: number[],
  shape: number[],
  target: number,
  window: number[],
  stride: number[],
  baseline: number[],
): number[] {
  const spatial = shape.length === 1 ? shape : shape.slice(0, -1);
  const channels = shape.length === 1 ? 1 : shape[shape.length - 1];
  const positions = spatial.reduce((a, b) => a * b, 1);
  const sum = new Array<number>(positions).fill(0);
  const count = new Array<number>(positions).fill(0);
  const f0 = score(model, input, shape, target);
  const starts = spatial.map((n, a) => {
    const s: number[] = [];
    for (let k = 0; k <= Math.ceil((n - window[a]) / stride[a]); k++) s.push(k * stride[a]);
    return s;
  });
  const combos = starts.reduce<number[][]>((acc, axis) => acc.flatMap((p) => axis.map((s) => [...p, s])), [[]]);
  for (const start of combos) {
    const occluded = input.slice();
    const covered: number[] = [];
    for (let p = 0; p < positions; p++) {
      const index = spatial.length === 1 ? [p] : [Math.floor(p / spatial[1]), p % spatial[1]];
      if (index.every((i, a) => i >= start[a] && i < start[a] + window[a])) {
        covered.push(p);
        for (let c = 0; c < channels; c++) occluded[p * channels + c] = baseline[p * channels + c];
      }
    }
    const drop = f0 - score(model, occluded, shape, target);
    covered.forEach((p) => {
      sum[p] += drop;
      count[p] += 1;
    });
  }
  return sum.flatMap((s, p) => new Array<number>(channels).fill(count[p] > 0 ? s / count[p] : 0));
}

test('occlusion equals the slow one-window-at-a-time version (1-D conv net, overlapping windows, a baseline)', async () => {
  const model = ExplainableModel.from(conv1dNet(31));
  const x = randomBatch([3, 12, 2], 32);
  const baseline = randomBatch([12, 2], 33);
  const result = await occlusion(model, x, { window: 3, stride: 2, baseline: baseline.arraySync() as number[][] });
  const rows = x.arraySync() as number[][][];
  const got = result.attributions.arraySync() as number[][][];
  rows.forEach((row, e) => {
    const expected = slowOcclusion(model, row.flat(), [12, 2], result.targets[e], [3], [2], flat(baseline));
    assertClose(got[e].flat(), expected, 1e-5, 1e-5, `example ${e}`);
  });
  // Stride 2 with window 3 over 12 positions: Captum adds a window at 10 cut to 10–11, so position 11 is covered.
  assert.notDeepEqual(got[0][11], [0, 0]);
  disposeAttribution(result);
  x.dispose();
  baseline.dispose();
});

test('windowStarts places windows as Captum does: 129 bins, window 8, stride 4 end with a cut window at 124', () => {
  const starts = windowStarts(129, 8, 4);
  assert.equal(starts.length, 32);
  assert.equal(starts[starts.length - 1], 124);
  assert.deepEqual(windowStarts(12, 4, 4), [0, 4, 8]);
  assert.deepEqual(windowStarts(5, 5, 3), [0]);
  assert.deepEqual(windowStarts(12, 3, 2), [0, 2, 4, 6, 8, 10]);
});

test('occlusion covers every position: window 8, stride 4 on 129 positions gives the last one its cut window', async () => {
  const weights = Array.from({ length: 129 }, (_, i) => (i % 7) - 3 + 0.5);
  const model = ExplainableModel.from((t: tf.Tensor) =>
    tf.tidy(() =>
      tf.concat(
        [
          tf.matMul(tf.reshape(t, [-1, 129]), tf.tensor2d(weights, [129, 1])),
          tf.zerosLike(tf.slice(tf.reshape(t, [-1, 129]), [0, 0], [-1, 1])),
        ],
        1,
      ),
    ),
  );
  const x = tf.ones([1, 129, 1]);
  const result = await occlusion(model, x, { window: 8, stride: 4, target: 0 });
  const got = flat(result.attributions);
  // Linear model: a window's drop is Σ its weights; bin 128 is covered only by the cut window 124–128.
  const cut = weights.slice(124).reduce((a, b) => a + b, 0);
  assertClose([got[128]], [cut], 1e-5, 1e-5, 'last bin');
  disposeAttribution(result);
  x.dispose();
});

test('occlusion on a 2-D model: per-axis windows and strides, all channels of a position equal', async () => {
  const model = ExplainableModel.from(conv2dNet(34));
  const x = randomBatch([2, 6, 5, 2], 35);
  const result = await occlusion(model, x, { window: [2, 3], stride: [2, 1], target: [0, 2] });
  const rows = x.arraySync() as number[][][][];
  const got = flat(result.attributions);
  const perExample = 6 * 5 * 2;
  rows.forEach((row, e) => {
    const expected = slowOcclusion(
      model,
      row.flat(2),
      [6, 5, 2],
      [0, 2][e],
      [2, 3],
      [2, 1],
      new Array<number>(60).fill(0),
    );
    assertClose(got.slice(e * perExample, (e + 1) * perExample), expected, 1e-5, 1e-5, `example ${e}`);
  });
  disposeAttribution(result);
  x.dispose();
});

test('occlusion with window 1 equals one-at-a-time differences f(x) − f(x with feature i set to the baseline)', async () => {
  const model = ExplainableModel.from(denseNet(36));
  const x = randomBatch([2, 4], 37);
  const result = await occlusion(model, x, { window: 1, stride: 1, baseline: 0.5 });
  const rows = x.arraySync() as number[][];
  rows.forEach((row, e) => {
    const t = result.targets[e];
    const expected = row.map((_, i) => {
      const changed = row.slice();
      changed[i] = 0.5;
      return score(model, row, [4], t) - score(model, changed, [4], t);
    });
    assertClose((result.attributions.arraySync() as number[][])[e], expected, 1e-6, 1e-6, `example ${e}`);
  });
  disposeAttribution(result);
  x.dispose();
});

test('occlusion: batched equals one by one, for any batchSize', async () => {
  const model = conv1dNet(38);
  const x = randomBatch([3, 12, 2], 39);
  const all = await occlusion(model, x, { window: 4, stride: 3, batchSize: 5 });
  const big = await occlusion(model, x, { window: 4, stride: 3, batchSize: 1000 });
  assertClose(flat(all.attributions), flat(big.attributions), 0, 0, 'batch sizes');
  for (let e = 0; e < 3; e++) {
    const one = tf.slice(x, e, 1);
    const single = await occlusion(model, one, { window: 4, stride: 3 });
    assertClose(
      flat(single.attributions),
      flat(all.attributions).slice(e * 24, (e + 1) * 24),
      1e-6,
      1e-6,
      `example ${e}`,
    );
    disposeAttribution(single);
    one.dispose();
  }
  disposeAttribution(all);
  disposeAttribution(big);
  x.dispose();
  model.dispose();
});

test('occlusion reports progress, leaks nothing, and names bad window, stride and baseline arguments', async () => {
  const model = conv1dNet(40);
  const x = randomBatch([2, 12, 2], 41);
  const seen: number[][] = [];
  await withoutLeaks(
    () => occlusion(model, x, { window: 4, stride: 4, batchSize: 2, onProgress: (d, t) => seen.push([d, t]) }),
    disposeAttribution,
  );
  // Rows done after each task (the pool's task plan: at most batchSize rows per task), rising to the total.
  assert.ok(seen.length >= 3, 'one report per task of at most 2 rows');
  seen.forEach(([done, total], i) => {
    assert.equal(total, 6);
    assert.ok(done > (seen[i - 1]?.[0] ?? 0) && done - (seen[i - 1]?.[0] ?? 0) <= 2, `report ${i}: ${done}`);
  });
  assert.deepEqual(seen[seen.length - 1], [6, 6]);
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { window: 0 }),
    /^Argument 'window' passed to 'occlusion' must be a positive integer or 1 positive integers \(one per non-channel axis\) but got 0\.$/,
  );
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { window: 13 }),
    /Argument 'window' passed to 'occlusion' must be at most the input's size \[12\] along each non-channel axis but got 13\./,
  );
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { stride: [1, 2] }),
    /Argument 'stride' passed to 'occlusion' must be a positive integer or 1 positive integers/,
  );
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { baseline: [[1, 2]] }),
    /Argument 'baseline' passed to 'occlusion' must be/,
  );
  x.dispose();
  model.dispose();
});

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
