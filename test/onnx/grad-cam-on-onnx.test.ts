/**
 * Grad-CAM on ONNX Runtime through the layer-gradient primitive: the compiled graph gives a layer's activations and
 * the gradient of the target score with respect to them, and the maps equal the TensorFlow.js path's to float32
 * rounding (1e-6 of the largest value) on tiny Conv1D and Conv2D networks (batch norm, max pooling with tied windows:
 * rows of zeros make every window of ReLU outputs a tie, where both engines route the gradient to the first maximum),
 * and on the Potamitis PSD and spectrogram CNNs when ../shared is present; each row alone equals its row of the batch;
 * the default layer and an explicit `layer` both run natively; results say `engine: 'onnx'`; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExplainableModel, type AttributionResult } from '../../src/index.js';
import '../../src/node.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { gradCam } from '../../src/attribution/grad-cam.js';
import { guidedGradCam } from '../../src/attribution/guided-grad-cam.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { loadModel } from '../../src/models/load-model.js';
import { relativeError, sharedDir, skipWithoutShared, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dNet, randomBatch, seedWeights } from '../tiny-models.js';
import { maxAbs, reference, tinyReferenceModel } from '../attribution/reference-models.js';

before(useWasm);

let accelerated = 0;
const originalRun = OnnxTaskRunner.prototype.run;
before(() => {
  OnnxTaskRunner.prototype.run = function (this: OnnxTaskRunner, ...args: Parameters<typeof originalRun>) {
    if (args[0].kind === 'grad-cam') accelerated++;
    return originalRun.apply(this, args);
  };
});
after(() => {
  OnnxTaskRunner.prototype.run = originalRun;
});

interface Numbers {
  layerMap: Float32Array;
  attributions: Float32Array;
  engine: string;
  layer: string;
}

type Method = typeof gradCam;

async function numbers(call: () => Promise<AttributionResult>): Promise<Numbers> {
  let out: Numbers | undefined;
  await withoutLeaks(call, (result) => {
    out = {
      layerMap: result.layerMap!.dataSync() as Float32Array,
      attributions: result.attributions.dataSync() as Float32Array,
      engine: result.engine,
      layer: result.layer!,
    };
    disposeAttribution(result);
  });
  return out!;
}

/** PSD-like: Conv1D → BatchNorm → ReLU → MaxPool1D twice, Flatten, Dense(softmax). */
function psdLikeNet(seed = 41): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [16, 1], filters: 4, kernelSize: 3, padding: 'same', name: 'first_conv' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu', name: 'first_relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.conv1d({ filters: 6, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** `rows` random rows with row 0 all zeros (every pooling window of ReLU outputs of a bias is then a tie). */
function batchWithTies(model: ExplainableModel, rows: number, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const shape = model.inputShape as number[];
    const random = randomBatch([rows - 1, ...shape], seed);
    return tf.concat([tf.zeros([1, ...shape]), random], 0);
  });
}

/** Grad-CAM on TensorFlow.js and on ONNX Runtime: the same maps (1e-6 of the largest value), the engine named. */
async function agree(
  model: ExplainableModel,
  x: tf.Tensor,
  options: Record<string, unknown>,
  method: Method = gradCam,
  tolerance = 1e-6,
): Promise<Numbers> {
  const expected = await numbers(() => method(model, x, { workers: 1, ...options, engine: 'tfjs' }));
  assert.equal(expected.engine, 'tfjs');
  const before = accelerated;
  const got = await numbers(() => method(model, x, { workers: 1, ...options }));
  assert.ok(accelerated > before, 'the Grad-CAM tasks ran on onnxruntime');
  assert.match(got.engine, /onnx/);
  assert.equal(got.layer, expected.layer);
  const mapError = relativeError(got.layerMap, expected.layerMap);
  const error = relativeError(got.attributions, expected.attributions);
  if (process.env.GRAD_CAM_DEBUG !== undefined) console.log('DEBUG', JSON.stringify(options), mapError, error);
  assert.ok(Math.max(...expected.layerMap) > 0, 'the maps are not all zero');
  assert.ok(mapError <= tolerance, `layer maps differ by ${mapError} of their largest value`);
  assert.ok(error <= tolerance, `attributions differ by ${error} of their largest value`);
  return got;
}

/** Each row explained alone equals its row of the batch (ONNX Runtime). */
async function rowsAlone(model: ExplainableModel, x: tf.Tensor, options: Record<string, unknown>) {
  const batch = await numbers(() => gradCam(model, x, { workers: 1, ...options }));
  assert.equal(batch.engine, 'onnx');
  const size = batch.attributions.length / x.shape[0];
  for (let r = 0; r < x.shape[0]; r++) {
    const row = tf.slice(x, r, 1);
    const alone = await numbers(() => gradCam(model, row, { workers: 1, ...options }));
    row.dispose();
    const error = relativeError(alone.attributions, batch.attributions.subarray(r * size, (r + 1) * size));
    assert.ok(error <= 1e-6, `row ${r} alone differs from the batch by ${error}`);
  }
}

describe('Grad-CAM on ONNX Runtime', () => {
  test('Conv1D networks: default and explicit layers equal the TensorFlow.js path, ties included', async () => {
    for (const [build, layers] of [
      [() => conv1dNet(), [undefined]],
      [() => psdLikeNet(), [undefined, 'first_conv', 'first_relu']],
    ] as const) {
      const model = ExplainableModel.from(build());
      const x = batchWithTies(model, 5, 51);
      for (const layer of layers) {
        const got = await agree(model, x, layer === undefined ? {} : { layer });
        assert.equal(got.engine, 'onnx');
        for (const target of [0, 2]) await agree(model, x, { ...(layer === undefined ? {} : { layer }), target });
        await agree(model, x, { ...(layer === undefined ? {} : { layer }), scores: 'probabilities' });
      }
      await rowsAlone(model, x, { layer: layers.at(-1) });
      x.dispose();
      model.dispose();
    }
  });

  test('Conv2D network (batch norm, ReLU, max pooling): default and explicit layers; guided Grad-CAM', async () => {
    const model = ExplainableModel.from(conv2dNet());
    const x = batchWithTies(model, 4, 52);
    const first = model.layersModel!.layers[0].name;
    const relu = model.layersModel!.layers[2].name;
    await agree(model, x, {});
    await agree(model, x, { layer: first });
    await agree(model, x, { layer: relu, batchSize: 3 });
    await agree(model, x, { layer: relu, batchSize: 1, workers: 2 });
    await rowsAlone(model, x, { layer: relu });
    // guided Grad-CAM: the guided part runs on the engine too (guided backprop's own pass); the product agrees to float32 rounding
    await agree(model, x, { layer: relu }, guidedGradCam, 1e-5);
    x.dispose();
    model.dispose();
  });

  test('a layer applied twice falls back to TensorFlow.js with the same maps', async () => {
    const input = tf.input({ shape: [8, 2] });
    const conv = tf.layers.conv1d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'shared' });
    const twice = conv.apply(conv.apply(input)) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(twice)) as tf.SymbolicTensor;
    const layersModel = tf.model({ inputs: input, outputs: out });
    seedWeights(layersModel, 53);
    assert.throws(() => compileGradientGraph(layersModel, { scores: 'logits', layer: 'shared' }), /applied 2 times/);
    const model = ExplainableModel.from(layersModel);
    const x = randomBatch([3, 8, 2], 54);
    const onTfjs = await numbers(() => gradCam(model, x, { workers: 1, engine: 'tfjs' }));
    const before = accelerated;
    const auto = await numbers(() => gradCam(model, x, { workers: 1 }));
    assert.equal(accelerated, before, 'no Grad-CAM task ran on onnxruntime');
    assert.match(auto.engine, /tfjs/);
    assert.deepEqual(auto.attributions, onTfjs.attributions);
    x.dispose();
    model.dispose();
  });
});

/**
 * The real CNNs' maps sum w_c·A_c over all channels of the layer, each factor already a float32 sum over thousands of
 * terms that the engines order differently: measured 1.08e-6 of the largest value on the PSD CNN (8 random rows) and
 * 5.8e-7 on the spectrogram CNN (2 rows); the tiny networks agree within 1e-6.
 */
const REAL_MODEL_TOLERANCE = 2e-6;

/** The ONNX maps against the float64 PyTorch reference (Captum's LayerGradCam, test/fixtures/attribution-reference.json). */
async function matchesReference(model: ExplainableModel, x: tf.Tensor, name: string, tolerance: number) {
  const entry = reference.models[name];
  for (const g of entry.gradCam) {
    const got = await numbers(() => gradCam(model, x, { workers: 1, target: entry.targets, layer: g.layer }));
    assert.equal(got.engine, 'onnx');
    const expected = (g.layerMap as unknown[]).flat(Infinity) as number[];
    assert.equal(got.layerMap.length, expected.length);
    const bound = tolerance * Math.max(1, maxAbs(expected));
    const worst = Math.max(...expected.map((v, i) => Math.abs(got.layerMap[i] - v)));
    assert.ok(worst <= bound, `${name} ${g.layer}: layer map ${worst} from PyTorch (bound ${bound})`);
  }
}

test('tiny reference networks: the ONNX maps equal the float64 PyTorch reference', async () => {
  for (const name of ['tiny1d', 'tiny2d'] as const) {
    const model = ExplainableModel.from(tinyReferenceModel(name));
    const x = tf.tensor(reference.models[name].inputs as number[][]);
    await matchesReference(model, x, name, 2e-6);
    x.dispose();
    model.dispose();
  }
});

describe('Grad-CAM on ONNX Runtime: Potamitis CNNs', { skip: skipWithoutShared }, () => {
  test('PSD CNN (8 rows) and spectrogram CNN (2 rows) equal the TensorFlow.js path and the PyTorch reference', async () => {
    const psd = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
    const px = randomBatch([8, ...(psd.inputShape as number[])], 55);
    await agree(psd, px, {}, gradCam, REAL_MODEL_TOLERANCE);
    px.dispose();
    const rx = tf.tensor(reference.models['potamitis-psd'].inputs as unknown as number[][][]);
    await matchesReference(psd, rx, 'potamitis-psd', 2e-5);
    rx.dispose();
    psd.dispose();
    const spectro = await loadModel(
      resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'),
    );
    const channel = (
      JSON.parse(readFileSync(resolve(sharedDir, 'reference/spectrogram/b_wingbeat_8k.json'), 'utf8')) as {
        model_input_channel: number[][];
      }
    ).model_input_channel;
    const sx = tf.tidy(() => {
      const one = tf.tile(
        tf.tensor(Float32Array.from(channel.flat()), [1, channel.length, channel[0].length, 1]),
        [1, 1, 1, 3],
      );
      return tf.concat([one, tf.reverse(one, 1)], 0);
    });
    await agree(spectro, sx, {}, gradCam, REAL_MODEL_TOLERANCE);
    const first = tf.slice(sx, 0, 1);
    await matchesReference(spectro, first, 'potamitis-spectrogram', 2e-5);
    first.dispose();
    sx.dispose();
    spectro.dispose();
  });
});
