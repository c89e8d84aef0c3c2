/**
 * The ONNX gradient graph (src/node/onnx) run by onnxruntime-node: scores and input gradients equal the library's
 * TensorFlow.js path (wasm, `targetGradients`) and float64 PyTorch (test/fixtures/onnx-gradient-reference.json, from
 * scripts/reference/onnx_gradient_reference.py) to float32 precision; unsupported models and bad arguments give one line.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { ExplainableModel, type ScoreKind } from '../../src/execution/explainable-model.js';
import { targetGradients } from '../../src/attribution/target-gradients.js';
import { loadModel } from '../../src/models/load-model.js';
import { CNN1D } from '../../src/models/wingbeats-layers.js';
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import {
  assertClose,
  rejectsWithoutLeaks,
  repoRoot,
  sharedDir,
  skipWithoutShared,
  useWasm,
  withoutLeaks,
} from '../helpers.js';
import {
  conv1dNet,
  conv2dNet,
  denseNet,
  unloweredNet,
  overlappingPoolNet,
  randomBatch,
  seedWeights,
  twoHeadNet,
} from '../tiny-models.js';
import { reference, tinyReferenceModel } from '../attribution/reference-models.js';

const torchReference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/onnx-gradient-reference.json'), 'utf8'),
) as { models: Record<string, { targets: number[]; gradient: unknown; sample?: number[]; sum?: number }> };

before(useWasm);

/** Largest |a - b| over the largest |b|. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

/** The TensorFlow.js path's scores and gradients of `targets` (default: each row's top class). */
function tfjsPath(model: ExplainableModel, x: tf.Tensor, scores: ScoreKind, targets?: number[]) {
  return tf.tidy(() => {
    const out = model.run(x, { outputIndex: 0, scores });
    const chosen = targets ?? Array.from(tf.argMax(out, 1).dataSync());
    const gradient = targetGradients(model, x, chosen, { outputIndex: 0, scores, batchSize: 64 });
    return { scores: out.dataSync(), gradient: gradient.dataSync(), targets: chosen };
  });
}

/** Compiles, runs and compares with the TensorFlow.js path; returns the ONNX gradient and the relative errors. */
async function compareWithTfjs(
  model: ExplainableModel,
  x: tf.Tensor,
  scores: ScoreKind = 'logits',
  targets?: number[],
) {
  const expected = tfjsPath(model, x, scores, targets);
  const session = await OnnxGradientSession.create(model, { scores });
  try {
    const input = x.dataSync() as Float32Array;
    const got = await session.gradients(input, expected.targets);
    const forward = await session.scores(input);
    // The forward-only graph pools without indices, which lets onnxruntime pick other (blocked-layout) kernels: the
    // same scores to float32 rounding, not bit for bit.
    const scale = (values: ArrayLike<number>) => Math.max(...Array.from(values, Math.abs));
    assertClose(forward, got.scores, 1e-6 * scale(got.scores), 0, 'forward-only graph vs gradient graph scores');
    assertClose(got.scores, expected.scores, 2e-6 * scale(expected.scores), 1e-5, 'scores');
    assertClose(got.gradient, expected.gradient, 2e-6 * scale(expected.gradient), 1e-5, 'gradient');
    return {
      gradient: got.gradient,
      scoreError: relativeError(got.scores, expected.scores),
      gradientError: relativeError(got.gradient, expected.gradient),
    };
  } finally {
    await session.release();
  }
}

describe('ONNX gradient graph on tiny models (always runs)', () => {
  for (const name of ['tiny1d', 'tiny2d'] as const) {
    test(`${name}: gradients equal float64 PyTorch and the TensorFlow.js path`, async () => {
      const model = ExplainableModel.from(tinyReferenceModel(name));
      const x = tf.tensor(reference.models[name].inputs as number[][]);
      const { targets, gradient } = torchReference.models[name];
      const got = await withoutLeaks(() => compareWithTfjs(model, x, 'logits', targets));
      const expected = (gradient as number[]).flat(Infinity) as number[];
      assertClose(got.gradient, expected, 1e-6, 1e-5, `${name} gradient vs PyTorch`);
      x.dispose();
      model.dispose();
    });
  }

  const cases: [string, () => tf.LayersModel, number[], ScoreKind][] = [
    ['Conv1D(relu) → MaxPool → Flatten → Dropout → Dense(softmax), logits', () => conv1dNet(), [12, 2], 'logits'],
    ['the same, probabilities (softmax backward)', () => conv1dNet(), [12, 2], 'probabilities'],
    [
      'Conv2D → BatchNorm → ReLU → MaxPool → valid Conv2D → GAP → Dense → Softmax',
      () => conv2dNet(),
      [6, 5, 2],
      'logits',
    ],
    ['Dense(relu) → Dense(softmax), probabilities', () => denseNet(1, true), [4], 'probabilities'],
    [
      'strided and dilated convolutions, overlapping same-padded max pooling (ConvTranspose, ScatterElements)',
      () => overlappingPoolNet(),
      [9, 8, 2],
      'logits',
    ],
    [
      'the wingbeats CNN1D composite (BN → 5 × [Conv1D → BN → ReLU → MaxPool] → Flatten → Dropout) → Dense',
      () => {
        const model = tf.sequential({
          layers: [new CNN1D({ dropRate: 0.5, inputShape: [32, 1] } as never), tf.layers.dense({ units: 3 })],
        });
        seedWeights(model, 8, 0.3);
        return model;
      },
      [32, 1],
      'logits',
    ],
  ];
  for (const [title, build, shape, scores] of cases) {
    test(title, async () => {
      const model = ExplainableModel.from(build());
      const x = randomBatch([3, ...shape], 11);
      await withoutLeaks(() => compareWithTfjs(model, x, scores));
      x.dispose();
      model.dispose();
    });
  }

  test('tied maxima: the first element of a window takes the gradient, as in TensorFlow and the library', async () => {
    // tfjs-wasm's own MaxPoolGrad differs (on ties the last element; windows with a maximum <= 0 get nothing, seen with
    // tfjs-backend-wasm 4.22); the library's max-pool fast path and the ONNX graph follow TensorFlow's first winner.
    const layers = tf.sequential({
      layers: [
        tf.layers.maxPooling1d({ inputShape: [8, 2], poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(layers, 9);
    const model = ExplainableModel.from(layers);
    const rows = [
      [1, 2],
      [1, 2],
      [3, 0],
      [3, 0],
      [-1, 5],
      [-1, 5],
      [0, 0],
      [0, 0],
    ];
    const kernel = layers.layers[2].getWeights()[0].arraySync() as number[][];
    const expected = rows.flatMap((_, position) =>
      [0, 1].map((channel) => (position % 2 === 0 ? kernel[(position / 2) * 2 + channel][1] : 0)),
    );
    const session = await OnnxGradientSession.create(model);
    const got = await session.gradients(Float32Array.from(rows.flat()), [1]);
    await session.release();
    assertClose(got.gradient, expected, 0, 0, 'first-winner gradient');
    const x = tf.tensor3d([rows]);
    const library = tf.tidy(() =>
      targetGradients(model, x, [1], { outputIndex: 0, scores: 'logits', batchSize: 1 }).dataSync(),
    );
    assertClose(library, expected, 0, 0, 'the library path (fast paths on)');
    x.dispose();
    model.dispose();
  });

  test('unsupported models and bad arguments: one line each, no tensor leaks', async () => {
    const twoHeads = ExplainableModel.from(twoHeadNet());
    await rejectsWithoutLeaks(
      () => OnnxGradientSession.create(twoHeads, { outputIndex: 2 }),
      /Argument 'outputIndex' passed to 'OnnxGradientSession.create' must be a head index in \[0, 2\) but got 2/,
    );
    const mobile = ExplainableModel.from(unloweredNet());
    await rejectsWithoutLeaks(
      () => OnnxGradientSession.create(mobile),
      /Layer '.*' \(GaussianNoise\) cannot be compiled to ONNX/,
    );
    const fn = ExplainableModel.from((x: tf.Tensor) => tf.sum(x, 1, true));
    await rejectsWithoutLeaks(() => OnnxGradientSession.create(fn), /A function model cannot be compiled to ONNX/);
    const model = ExplainableModel.from(conv1dNet());
    await rejectsWithoutLeaks(
      () => OnnxGradientSession.create(model, { threads: 0 }),
      /Argument 'threads' passed to 'OnnxGradientSession.create' must be an integer in \[1, 256\] but got 0/,
    );
    const session = await OnnxGradientSession.create(model);
    try {
      await rejectsWithoutLeaks(
        () => session.gradients(new Float32Array(24), [3]),
        /Argument 'targets' passed to 'OnnxGradientSession.gradients' must be 1 class indices in \[0, 3\)/,
      );
      await rejectsWithoutLeaks(
        () => session.scores(new Float32Array(25)),
        /Argument 'x' passed to 'OnnxGradientSession.scores' must be a non-empty Float32Array of whole rows of 24 values/,
      );
    } finally {
      await session.release();
    }
    [twoHeads, mobile, model].forEach((m) => m.dispose());
  });
});

describe('ONNX gradient graph on the real models of ../shared', { skip: skipWithoutShared }, () => {
  test('Potamitis PSD CNN (Mosquito_CNN_PSD): equal to the TensorFlow.js path and float64 PyTorch', async () => {
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
    const x = tf.tensor(reference.models['potamitis-psd'].inputs as unknown as number[][][]);
    const { targets, gradient } = torchReference.models['potamitis-psd'];
    const got = await compareWithTfjs(model, x, 'logits', targets);
    const expected = (gradient as number[]).flat(Infinity) as number[];
    const torchError = relativeError(got.gradient, expected);
    assert.ok(torchError < 1e-5, `gradient vs PyTorch: relative error ${torchError}`);
    console.log(
      `PSD: relative error vs tfjs scores ${got.scoreError}, gradient ${got.gradientError}; vs PyTorch ${torchError}`,
    );
    x.dispose();
    model.dispose();
  });

  test('Potamitis spectrogram CNN (SimpleCls, 129×113×3): equal to the TensorFlow.js path and float64 PyTorch', async () => {
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'));
    const channel = (
      JSON.parse(readFileSync(resolve(sharedDir, 'reference/spectrogram/b_wingbeat_8k.json'), 'utf8')) as {
        model_input_channel: number[][];
      }
    ).model_input_channel;
    const x = tf.tidy(() =>
      tf.tile(tf.tensor(Float32Array.from(channel.flat()), [1, channel.length, channel[0].length, 1]), [1, 1, 1, 3]),
    );
    const entry = torchReference.models['potamitis-spectrogram'];
    const got = await compareWithTfjs(model, x, 'logits', entry.targets);
    const sampled = entry.sample!.map((i) => got.gradient[i]);
    const torchError = relativeError(sampled, entry.gradient as number[]);
    assert.ok(torchError < 1e-5, `gradient vs PyTorch: relative error ${torchError}`);
    const sum = got.gradient.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - entry.sum!) < 1e-4 * Math.abs(entry.sum!) + 1e-5, `gradient sum ${sum} vs ${entry.sum}`);
    console.log(
      `spectrogram: relative error vs tfjs scores ${got.scoreError}, gradient ${got.gradientError}; vs PyTorch ${torchError}`,
    );
    x.dispose();
    model.dispose();
  });
});
