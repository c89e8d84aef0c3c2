/**
 * Contrastive explanations on the real Potamitis PSD and spectrogram models of ../shared: `contrast: B` equals the
 * target's attributions minus class B's for gradients, input × gradient and integrated gradients (linear in the score)
 * to float32 rounding, and the gradient of the margin equals a textbook tf.grad of s_target − s_B through the model.
 * Inputs: real recordings of ../shared/data/recordings turned into features by the models' presets: two on the PSD
 * model, one (and 4 IG steps) on the spectrogram model, whose passes cost far more: the identities hold row by row
 * and for any step count (two rows sharing a batch are checked on the PSD model, and on the tiny 1-D and 2-D CNNs of
 * contrast.test.ts).
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { contrastiveAttribution } from '../../src/attribution/contrast.js';
import { attributionMethods, type AttributionMethodName } from '../../src/attribution/registry.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModel } from '../../src/models/load-model.js';
import type { ExplainableModel } from '../../src/execution/explainable-model.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import type { FeaturePresetName } from '../../src/signal/presets.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { assertClose, flat, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';

before(useWasm);

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
