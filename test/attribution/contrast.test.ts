/**
 * Contrastive explanations: score(target) − score(contrast). Checked against independent textbook versions — the same
 * method run on a "margin model" whose class 0 IS s_target − s_contrast (a function model, or for the layer-wise
 * methods a network ending in a linear layer that computes the margin) — and against target minus contrast
 * attributions, on 1-D (PSD-like) and 2-D (spectrogram-like) tiny models, to float32 rounding.
 * On the real Potamitis PSD and spectrogram models of ../shared: `contrast: B` equals the target's attributions minus
 * class B's for gradients, input × gradient and integrated gradients (linear in the score) to float32 rounding, and
 * the gradient of the margin equals a textbook tf.grad of s_target − s_B through the model. Inputs: real recordings of
 * ../shared/data/recordings turned into features by the models' presets: two on the PSD model, one (and 4 IG steps)
 * on the spectrogram model, whose passes cost far more: the identities hold row by row and for any step count (two
 * rows sharing a batch are checked on the PSD model, and on the tiny 1-D and 2-D CNNs above).
 */
import { before, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { contrastiveAttribution, resolveContrasts } from '../../src/attribution/contrast.js';
import { attributionMethods, type AttributionMethodName } from '../../src/attribution/registry.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { conv1dNet, conv2dNet, randomBatch, seedWeights } from '../tiny-models.js';
import {
  assertClose,
  flat,
  rejectsWithoutLeaks,
  useWasm,
  withoutLeaks,
  sharedDir,
  skipWithoutShared,
} from '../helpers.js';
import { resolve } from 'node:path';
import { loadModel } from '../../src/models/load-model.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import type { FeaturePresetName } from '../../src/signal/presets.js';
import { readWavFile } from '../../src/node/read-wav-file.js';

before(useWasm);

/** A function model whose class 0 is s_t − s_c of `model` (the same rows), class 1 zero. */
function marginModel(model: ExplainableModel, t: number, c: number, classes: number): (x: tf.Tensor) => tf.Tensor {
  const weights = new Float32Array(classes * 2);
  weights[t * 2] = 1;
  weights[c * 2] = -1;
  return (x) => tf.tidy(() => tf.matMul(model.run(x), tf.tensor2d(weights, [classes, 2])));
}

async function values(result: Promise<AttributionResult>): Promise<{ a: number[]; delta?: number[] }> {
  const r = await result;
  const out = { a: flat(r.attributions), delta: r.delta };
  disposeAttribution(r);
  return out;
}

const cases: [string, () => tf.LayersModel, number[]][] = [
  ['PSD-like 1-D CNN', () => conv1dNet(21), [3, 12, 2]],
  ['spectrogram-like 2-D CNN', () => conv2dNet(22), [3, 6, 5, 2]],
];

for (const [label, build, shape] of cases) {
  test(`contrast on the ${label}: gradients, input × gradient, IG, saliency, SmoothGrad and occlusion explain the margin`, async () => {
    const model = ExplainableModel.from(build());
    const x = randomBatch(shape, 23);
    const t = 0;
    const c = 2;
    const margin = marginModel(model, t, c, 3);
    const methods: [AttributionMethodName, Record<string, unknown>][] = [
      ['gradients', {}],
      ['input-x-gradient', {}],
      ['integrated-gradients', { steps: 16 }],
      ['saliency', {}],
      ['smoothgrad', { noiseSamples: 4 }],
      ['occlusion', { window: shape.length === 3 ? [3] : [2, 2] }],
    ];
    for (const [name, options] of methods) {
      const run = attributionMethods[name].run;
      const got = await withoutLeaks(() =>
        values(contrastiveAttribution(name, model, x, { ...options, target: t, contrast: c, seed: 5 })),
      );
      const textbook = await values(run(margin, x, { ...options, target: 0, seed: 5 }));
      const scale = Math.max(1e-3, ...textbook.a.map(Math.abs));
      assertClose(got.a, textbook.a, 2e-6 * scale, 0, `${name}: margin`);
      if (name === 'gradients' || name === 'input-x-gradient' || name === 'integrated-gradients') {
        const target = await values(run(model, x, { ...options, target: t, seed: 5 }));
        const contrast = await values(run(model, x, { ...options, target: c, seed: 5 }));
        assertClose(
          got.a,
          target.a.map((v, i) => Math.fround(v - contrast.a[i])),
          0,
          0,
          `${name}: target minus contrast`,
        );
        if (name === 'integrated-gradients') {
          assertClose(got.delta ?? [], textbook.delta ?? [], 1e-5, 0, 'completeness gap of the margin');
        }
      }
    }
    x.dispose();
    model.dispose();
  });
}

test('contrast of DeepLIFT and LRP equals the method on a network whose last linear layer computes the margin', async () => {
  const base = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [5], units: 7, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: 3, name: 'scores' }),
    ],
  });
  seedWeights(base, 31);
  const withMargin = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [5], units: 7, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: 3, name: 'scores' }),
      tf.layers.dense({ units: 2, useBias: false, name: 'margin' }),
    ],
  });
  const m = tf.tensor2d([1, 0, 0, 0, -1, 0], [3, 2]);
  withMargin.setWeights([...base.getWeights(), m]);
  m.dispose();
  const x = randomBatch([4, 5], 32);
  for (const [name, options] of [
    ['deeplift', {}],
    ['lrp', { rule: 'epsilon', epsilon: 1e-9 }],
  ] as [AttributionMethodName, Record<string, unknown>][]) {
    const got = await withoutLeaks(() =>
      values(contrastiveAttribution(name, base, x, { ...options, target: 0, contrast: 2 })),
    );
    const textbook = await values(attributionMethods[name].run(withMargin, x, { ...options, target: 0 }));
    assertClose(got.a, textbook.a, 1e-5, 1e-4, `${name}: margin`);
  }
  x.dispose();
  base.dispose();
  withMargin.dispose();
});

test("contrast 'rival' is each example's runner-up; bad contrasts and non-linear methods are refused naming the option", async () => {
  const rows = [
    [3, 1, 2],
    [0, 5, 4],
  ];
  assert.deepEqual(resolveContrasts('f', 'rival', rows, undefined, [0, 1]), [2, 2]);
  assert.deepEqual(resolveContrasts('f', 'rival', rows, undefined, [2, 2]), [0, 1]);
  assert.deepEqual(resolveContrasts('f', 'b', rows, ['a', 'b', 'c'], [0, 0]), [1, 1]);
  assert.throws(
    () => resolveContrasts('f', 0, rows, undefined, [0, 1]),
    /'contrast'.*other than the target \(0\) of example 0/,
  );
  assert.throws(() => resolveContrasts('f', 'x', rows, ['a', 'b', 'c'], [0, 1]), /'contrast'.*one of the class names/);
  const model = ExplainableModel.from(conv1dNet(24));
  const x = randomBatch([2, 12, 2], 25);
  const rival = await contrastiveAttribution('gradients', model, x, { contrast: 'rival' });
  const scores = rival.predictions.arraySync();
  rival.contrasts.forEach((c, e) => {
    const order = scores[e].map((_, k) => k).sort((p, q) => scores[e][q] - scores[e][p]);
    assert.equal(rival.targets[e], order[0]);
    assert.equal(c, order[1]);
  });
  disposeAttribution(rival);
  await rejectsWithoutLeaks(
    () => contrastiveAttribution('guided-backprop', model, x, { contrast: 'rival' }),
    /'contrast' of 'guided-backprop' is not supported/,
  );
  await rejectsWithoutLeaks(
    () => contrastiveAttribution('gradients', model, x, { target: 1, contrast: 1 }),
    /contrast/,
  );
  x.dispose();
  model.dispose();
});

const recordings = ['Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav', 'Cx.Quin_1F_6D_25C_SmallCylinder_cut31.wav'];

async function inputs(preset: FeaturePresetName, count = recordings.length): Promise<tf.Tensor> {
  const features = await Promise.all(
    recordings
      .slice(0, count)
      .map(async (name) =>
        featuresFromRecording(await readWavFile(resolve(sharedDir, 'data/recordings', name)), preset),
      ),
  );
  const shape = features[0].shape;
  const data = new Float32Array(features.length * features[0].data.length);
  features.forEach((f, i) => data.set(f.data, i * f.data.length));
  return tf.tensor(data, [features.length, ...shape]);
}

async function attributions(
  run: Promise<{ attributions: tf.Tensor; delta?: number[] } & Parameters<typeof disposeAttribution>[0]>,
): Promise<{ a: number[]; delta?: number[] }> {
  const r = await run;
  try {
    return { a: flat(r.attributions), delta: r.delta };
  } finally {
    disposeAttribution(r);
  }
}

/** ∂(s_t − s_c)/∂x by tf.grad through the model (TensorFlow.js, no method code). */
function textbookMarginGradient(model: ExplainableModel, x: tf.Tensor, t: number, c: number): number[] {
  return tf.tidy(() => {
    const classes = model.run(x).shape[1] as number;
    const w = new Float32Array(classes);
    w[t] = 1;
    w[c] = -1;
    const grad = tf.grad((input: tf.Tensor) => tf.sum(tf.matMul(model.run(input), tf.tensor2d(w, [classes, 1]))));
    return Array.from(grad(x).dataSync());
  });
}

async function check(model: ExplainableModel, x: tf.Tensor, steps: number): Promise<void> {
  const scores = tf.tidy(() => model.run(x).arraySync() as number[][]);
  const t = 0;
  const c = scores[0].length - 1;
  const methods: [AttributionMethodName, Record<string, unknown>][] = [
    ['gradients', {}],
    ['input-x-gradient', {}],
    ['integrated-gradients', { steps }],
  ];
  for (const [name, options] of methods) {
    const run = attributionMethods[name].run;
    const got = await attributions(contrastiveAttribution(name, model, x, { ...options, target: t, contrast: c }));
    const target = await attributions(run(model, x, { ...options, target: t }));
    const contrast = await attributions(run(model, x, { ...options, target: c }));
    const difference = target.a.map((v, i) => Math.fround(v - contrast.a[i]));
    const scale = Math.max(...difference.map(Math.abs));
    assert.ok(scale > 0, `${name}: a non-zero margin map`);
    // Two runs of the same method; their difference rounded once to float32.
    assertClose(got.a, difference, 2 ** -23 * scale, 0, `${name}: contrast = target − class ${c}`);
    if (name === 'integrated-gradients')
      assertClose(
        got.delta ?? [],
        (target.delta ?? []).map((d, e) => d - (contrast.delta ?? [])[e]),
        1e-6,
        0,
        'completeness gap of the margin',
      );
    if (name === 'gradients') {
      const textbook = textbookMarginGradient(model, x, t, c);
      // Another engine's float32 arithmetic through the whole network: relative float32 tolerance.
      assertClose(got.a, textbook, 1e-5 * Math.max(...textbook.map(Math.abs)), 0, 'gradients: ∇(s_t − s_c) by tf.grad');
    }
  }
}

describe('contrast on the real models of ../shared', { skip: skipWithoutShared }, () => {
  test('Potamitis PSD model (Mosquito_CNN_PSD): gradients, input × gradient, IG of the margin', async () => {
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
    const x = await inputs('potamitis-psd');
    const before = tf.memory().numTensors;
    await check(model, x, 32);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    x.dispose();
    model.dispose();
  });

  test('Potamitis spectrogram model (SimpleCls): gradients, input × gradient, IG of the margin', async () => {
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'));
    const x = await inputs('potamitis-spectrogram', 1);
    await check(model, x, 4);
    x.dispose();
    model.dispose();
  });
});
