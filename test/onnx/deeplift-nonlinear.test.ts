/**
 * DeepLIFT's rescale rule on every elementwise nonlinearity (named activations and activation layers), on both engines:
 * summation-to-delta holds, TensorFlow.js and ONNX Runtime give the same numbers, the activations of recurrent cells
 * keep their gradient, and a float64 NumPy textbook DeepLIFT (scripts/reference/deeplift_rescale_reference.py) agrees.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { inputXGradient, type AttributionResult } from '../../src/index.js';
import '../../src/node.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { KerasELU, KerasReLU } from '../../src/models/keras-activation-layers.js';
import { repoRoot, useWasm, withoutLeaks, relativeError } from '../helpers.js';
import { randomBatch, seedWeights } from '../tiny-models.js';

before(useWasm);

interface Numbers {
  attributions: Float32Array;
  delta: number[];
  engine: string;
}

async function numbers(call: () => Promise<AttributionResult>): Promise<Numbers> {
  let out: Numbers | undefined;
  await withoutLeaks(call, (result) => {
    out = { attributions: result.attributions.dataSync() as Float32Array, delta: result.delta!, engine: result.engine };
    disposeAttribution(result);
  });
  return out!;
}

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor) => layer.apply(x) as tf.SymbolicTensor;

/** Dense(6, activation) → Conv-free Dense(5, activation) → Dense(3) logits, on 8 features. */
function denseWith(activation: string, seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [8], units: 6, activation: activation as 'tanh' }),
      tf.layers.dense({ units: 5, activation: activation as 'tanh' }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, seed, 0.8);
  return model;
}

/** Conv1D(4, 3, activation) → MaxPool1D(2) → Flatten → Dense(3), on [10, 2]. */
function convWith(activation: string, seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [10, 2], filters: 4, kernelSize: 3, activation: activation as 'tanh' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, seed, 0.8);
  return model;
}

/** Conv2D(3, 2×2) → activation layer → Flatten → Dense(4) → activation layer → Dense(3), on [4, 4, 2]. */
function layerNet(make: () => tf.layers.Layer, seed: number): tf.LayersModel {
  const x = tf.input({ shape: [4, 4, 2] });
  const a = apply(make(), apply(tf.layers.conv2d({ filters: 3, kernelSize: 2 }), x));
  const b = apply(make(), apply(tf.layers.dense({ units: 4 }), apply(tf.layers.flatten(), a)));
  const model = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 3 }), b) });
  seedWeights(model, seed, 0.8);
  return model;
}

/**
 * SimpleRNN(4, relu, backwards) → Dense(3), on [5, 2]: the cell's ReLU takes the rescale rule at every step (on ONNX
 * inside the Scan's body), so summation-to-delta holds through the recurrence.
 */
function reluRnn(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.simpleRNN({ inputShape: [5, 2], units: 4, activation: 'relu', goBackwards: true }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, seed, 0.8);
  return model;
}

const MODELS: [string, () => tf.LayersModel][] = [
  ...['tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'swish', 'gelu'].map((a, i): [string, () => tf.LayersModel] => [
    `Dense (${a})`,
    () => denseWith(a, 40 + i),
  ]),
  ...['tanh', 'sigmoid', 'swish', 'gelu'].map((a, i): [string, () => tf.LayersModel] => [
    `Conv1D (${a})`,
    () => convWith(a, 50 + i),
  ]),
  ['LeakyReLU layers', () => layerNet(() => tf.layers.leakyReLU({ alpha: 0.2 }), 60)],
  [
    'PReLU layers',
    () => layerNet(() => tf.layers.prelu({ alphaInitializer: tf.initializers.constant({ value: 0.3 }) }), 61),
  ],
  ['ELU layers', () => layerNet(() => tf.layers.elu(), 62)],
  ['SimpleRNN (relu cell, backwards)', () => reluRnn(65)],
  ['KerasELU layers (α 0.5)', () => layerNet(() => new KerasELU({ alpha: 0.5 }), 63)],
  [
    'KerasReLU layers (threshold, slope, max value)',
    () => layerNet(() => new KerasReLU({ threshold: 0.1, negativeSlope: 0.2, maxValue: 1.5 }), 64),
  ],
];

/** Summation-to-delta: |delta| ≤ 1e-5 · max(1, Σ|attributions|) per row. */
function assertCompleteness(label: string, got: Numbers) {
  const size = got.attributions.length / got.delta.length;
  got.delta.forEach((d, r) => {
    const terms = got.attributions.subarray(r * size, (r + 1) * size).reduce((s, v) => s + Math.abs(v), 0);
    assert.ok(Math.abs(d) <= 1e-5 * Math.max(1, terms), `${label} row ${r}: delta ${d} (Σ|attributions| ${terms})`);
  });
}

describe('DeepLIFT rescale on every elementwise nonlinearity', () => {
  for (const [label, make] of MODELS)
    test(`${label}: summation-to-delta on both engines; ONNX Runtime equals TensorFlow.js`, async () => {
      const model = make();
      const shape = model.inputs[0].shape.slice(1) as number[];
      const x = tf.tidy(() => tf.mul(randomBatch([3, ...shape], 7), 1.5));
      const baseline = randomBatch([3, ...shape], 8);
      for (const options of [{}, { baseline }]) {
        const js = await numbers(() => deeplift(model, x, { workers: 1, ...options, engine: 'tfjs' }));
        assert.equal(js.engine, 'tfjs');
        assertCompleteness(`${label} (tfjs)`, js);
        const onnx = await numbers(() => deeplift(model, x, { workers: 1, ...options }));
        assert.equal(onnx.engine, 'onnx');
        assertCompleteness(`${label} (onnx)`, onnx);
        const error = relativeError(onnx.attributions, js.attributions);
        assert.ok(error <= 1e-5, `${label}: engines differ by ${error} of the largest attribution`);
      }
      tf.dispose([x, baseline]);
      model.dispose();
    });

  test('LSTM and GRU gates keep their gradient: with no other nonlinearity DeepLIFT from zeros is input × gradient', async () => {
    for (const recurrent of [tf.layers.lstm({ units: 4 }), tf.layers.gru({ units: 3 })]) {
      const model = tf.sequential({
        layers: [tf.layers.inputLayer({ inputShape: [5, 2] }), recurrent, tf.layers.dense({ units: 3 })],
      });
      seedWeights(model, 70, 0.8);
      const x = randomBatch([2, 5, 2], 9);
      for (const engine of ['tfjs', 'onnx'] as const) {
        const dl = await numbers(() => deeplift(model, x, { workers: 1, engine }));
        const ixg = await numbers(() => inputXGradient(model, x, { workers: 1, engine }));
        assert.equal(dl.engine, engine);
        const error = relativeError(dl.attributions, ixg.attributions);
        assert.ok(
          error <= 1e-5,
          `${recurrent.getClassName()} on ${engine}: DeepLIFT differs from x·gradient by ${error}`,
        );
      }
      x.dispose();
      model.dispose();
    }
  });

  test('equals a float64 NumPy textbook DeepLIFT (tanh and sigmoid MLP) on both engines', async () => {
    const ref = JSON.parse(
      readFileSync(resolve(repoRoot, 'test/fixtures/deeplift-rescale-reference.json'), 'utf8'),
    ) as Record<string, any>;
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [6], units: 5, activation: 'tanh' }),
        tf.layers.dense({ units: 4, activation: 'sigmoid' }),
        tf.layers.dense({ units: 3 }),
      ],
    });
    model.layers.forEach((layer, i) => layer.setWeights([tf.tensor(ref.kernels[i]), tf.tensor(ref.biases[i])]));
    const x = tf.tensor(ref.inputs as number[][]);
    const baseline = tf.tensor(ref.baselines as number[][]);
    const expected = (ref.attributions as number[][]).flat();
    for (const engine of ['tfjs', 'onnx'] as const) {
      const got = await numbers(() => deeplift(model, x, { workers: 1, engine, baseline, target: ref.targets }));
      assert.equal(got.engine, engine);
      const error = relativeError(got.attributions, expected);
      assert.ok(error <= 1e-5, `${engine}: differs from NumPy by ${error} of the largest attribution`);
      got.delta.forEach((d) => assert.ok(Math.abs(d) <= 1e-5, `${engine}: delta ${d}`));
    }
    tf.dispose([x, baseline]);
    model.dispose();
  });

  test("where |Δx| < 1e-10 the multiplier is the activation's gradient on both engines (tanh; a cancelling unit)", async () => {
    // z = x₀ − x₁ + 0.3 is 0.3 for the input [1, 1] and the baseline [0, 0]: Δz = 0, so tanh passes tanh′(0.3)
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [2], units: 1, activation: 'tanh' }), tf.layers.dense({ units: 2 })],
    });
    model.layers[0].setWeights([tf.tensor([[1], [-1]]), tf.tensor([0.3])]);
    model.layers[1].setWeights([tf.tensor([[2, -1]]), tf.tensor([0, 0])]);
    const x = tf.tensor([[1, 1]]);
    const slope = 1 - Math.tanh(0.3) ** 2;
    for (const engine of ['tfjs', 'onnx'] as const) {
      const got = await numbers(() => deeplift(model, x, { workers: 1, engine, target: 0 }));
      assert.equal(got.engine, engine);
      assert.ok(relativeError(got.attributions, [2 * slope, -2 * slope]) <= 1e-6, `${engine}: ${got.attributions}`);
      assert.ok(Math.abs(got.delta[0]) <= 1e-6, `${engine}: delta ${got.delta[0]}`);
    }
    x.dispose();
    model.dispose();
  });
});
