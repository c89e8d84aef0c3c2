/**
 * Grad-CAM and guided Grad-CAM on ONNX files exported by PyTorch (issue 23), on the native engine: the default layer is
 * the last Conv/ConvTranspose node the scores depend on (PyTorch's forward hooks name the same module); the layer map
 * (channels-first activations, weights = mean gradient over the non-channel axes), the map resized to the input and
 * guided Grad-CAM equal PyTorch's float64 numbers (scripts/reference/onnx-files.py) to float32 tolerance on 1-D and 2-D
 * CNNs (ConvTranspose, a skip 1×1 convolution and a conv whose output is longer than the input among them); a node's
 * name and its output value give the same maps; batching equals no batching; a wrong name gets one line with the
 * nearest names; the interpreter and a file without convolutions refuse in one line; the command line runs it end to
 * end; nothing leaks on success or error. A tf2onnx-style file (channels-last input transposed around its Conv) gives
 * the maps of the same network exported channels first, by default and for its channels-last value. On a Keras model, guided Grad-CAM's guided part runs on the native engine too
 * (its `'gradients'` tasks with guided propagation) and equals guided backprop × Grad-CAM on TensorFlow.js.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
// What the Node entry point registers, without its chart and dataset modules (0.8 s of CPU to import).
import '../../src/node/register-engines.js';
import { onnxEngine } from '../../src/node/onnx/onnx-backend.js';
import { registerEngine } from '../../src/session/engines.js';
import { loadModel } from '../../src/models/load-model.js';
import { gradCam, lastConvolutionLayer } from '../../src/attribution/grad-cam.js';
import { guidedGradCam } from '../../src/attribution/guided-grad-cam.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { asExplainableModel } from '../../src/execution/explainable-model.js';
import { encodeNpy } from '../../src/io/npy.js';
import {
  channelsLast,
  floats,
  loadOnnxFixture,
  onnxBytes,
  onnxFixtures,
  onnxReference,
  wave,
} from './onnx-fixtures.js';
import { flat, relativeError, useWasm, withoutLeaks } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { conv2dNet, randomBatch } from '../tiny-models.js';

const fixtures = onnxFixtures;
interface GradCamReference {
  module: string;
  layerMap: number[][];
  map: number[][];
  guided: number[][];
}
interface Reference {
  inputs: number[][];
  targets: number[];
  gradCam?: GradCamReference;
}
const reference = onnxReference<Reference>();
/** The files with a convolution, and the op of their last one. */
const FILES = [
  ['psd', 'Conv'],
  ['spectrogram', 'Conv'],
  ['ops', 'Conv'],
  ['upsample1d', 'ConvTranspose'],
  ['upsample2d', 'Conv'],
] as const;

before(async () => {
  await useWasm();
  registerEngine('onnx', onnxEngine);
});
after(() => registerEngine('onnx', null));

const inputsOf = (name: string): tf.Tensor => tf.tidy(() => channelsLast(tf.tensor(reference[name].inputs)));
const load = loadOnnxFixture;

/** {@link relativeError}, against a reference that is not all zeros. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.ok(
    Array.from(b).some((v) => v !== 0),
    'the reference is not all zeros',
  );
  return relativeError(a, b);
}

interface Numbers {
  layerMap: number[];
  attributions: number[];
  engine: string;
  layer: string;
}

/** The numbers of a call, checked to leave no tensor behind once its result is disposed. */
async function numbers(call: () => Promise<AttributionResult>): Promise<Numbers> {
  let out: Numbers | undefined;
  await withoutLeaks(call, (result) => {
    out = {
      layerMap: result.layerMap === undefined ? [] : flat(result.layerMap),
      attributions: flat(result.attributions),
      engine: result.engine,
      layer: result.layer ?? '',
    };
    disposeAttribution(result);
  });
  return out!;
}

/** The resized map `[N, ...spatial]` repeated over `channels` (channels last), as the attributions hold it. */
function repeated(map: number[][], channels: number): number[] {
  return tf.tidy(() => {
    const m = tf.tensor(map);
    return flat(tf.tile(tf.expandDims(m, -1), [...m.shape.map(() => 1), channels]));
  });
}

const TOLERANCE = 1e-6;

describe('Grad-CAM on ONNX files = PyTorch float64', () => {
  for (const [name, op] of FILES)
    for (const opset of [13, 17])
      test(`${name} (opset ${opset}): default layer, layer map, resized map and guided Grad-CAM`, async () => {
        const r = reference[name];
        const ref = r.gradCam!;
        const model = await load(name, opset);
        const x = inputsOf(name);
        try {
          const channels = x.shape[x.rank - 1];
          const node = `/${ref.module}/${op}`;
          assert.equal(lastConvolutionLayer(model, 'test'), node, 'the last convolution PyTorch calls');
          const cam = await numbers(() => gradCam(model, x, { target: r.targets }));
          assert.equal(cam.engine, 'onnx');
          assert.equal(cam.layer, node);
          assert.ok(relative(cam.layerMap, flat(ref.layerMap)) < TOLERANCE, `${name} layer map`);
          assert.ok(relative(cam.attributions, repeated(ref.map, channels)) < TOLERANCE, `${name} resized map`);
          const guided = await numbers(() => guidedGradCam(model, x, { target: r.targets }));
          assert.equal(guided.engine, 'onnx');
          const expected = tf.tidy(() => flat(channelsLast(tf.tensor(ref.guided))));
          assert.ok(relative(guided.attributions, expected) < TOLERANCE, `${name} guided Grad-CAM`);
          assert.deepEqual(guided.layerMap, cam.layerMap);
        } finally {
          x.dispose();
          model.dispose();
        }
      });
});

describe('Grad-CAM on ONNX files: layers, batching, refusals', () => {
  test('a node name and its output value give the same maps; the result names what was asked for', async () => {
    const model = await load('psd', 17);
    const x = inputsOf('psd');
    try {
      const byNode = await numbers(() => gradCam(model, x, { layer: '/conv1/Conv' }));
      const byValue = await numbers(() => gradCam(model, x, { layer: '/conv1/Conv_output_0' }));
      assert.equal(byNode.layer, '/conv1/Conv');
      assert.equal(byValue.layer, '/conv1/Conv_output_0');
      assert.deepEqual(byValue.layerMap, byNode.layerMap);
      assert.equal(byNode.layerMap.length, 3 * 32, 'conv1 keeps the 32 positions');
      // after the ReLU the map differs from the conv's own output
      const relu = await numbers(() => gradCam(model, x, { layer: '/Relu' }));
      assert.equal(relu.engine, 'onnx');
      assert.notDeepEqual(relu.layerMap, byNode.layerMap);
      // a dense layer's output: one number per example, spread over the input
      const dense = await numbers(() => gradCam(model, x, { layer: '/fc/Gemm' }));
      assert.equal(dense.layerMap.length, 3);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('batching equals no batching (Grad-CAM and guided Grad-CAM)', async () => {
    const model = await load('spectrogram', 13);
    const x = inputsOf('spectrogram');
    try {
      for (const method of [gradCam, guidedGradCam]) {
        const whole = await numbers(() => method(model, x));
        const single = await numbers(() => method(model, x, { batchSize: 1 }));
        assert.ok(relative(single.attributions, whole.attributions) < 1e-6, method.name);
        assert.ok(relative(single.layerMap, whole.layerMap) < 1e-6, method.name);
      }
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('a wrong layer name: one line naming the nearest nodes and the convolutions, nothing leaks', async () => {
    const model = await load('psd', 17);
    const x = inputsOf('psd');
    try {
      const before = tf.memory().numTensors;
      for (const method of [gradCam, guidedGradCam])
        await assert.rejects(method(model, x, { layer: '/conv3/Conv' }), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'INVALID_ARGUMENT');
          assert.ok(!e.message.includes('\n'));
          assert.match(
            e.message,
            /^Argument 'layer' passed to '(gradCam|guidedGradCam)' must be the name of a node, or of its output value, on the way to the scores of .*psd-opset17.* \(nearest: '\/conv1\/Conv', '\/conv2\/Conv', .*; convolutions: '\/conv1\/Conv', '\/conv2\/Conv'\) but got '\/conv3\/Conv'\./,
          );
          return true;
        });
      assert.equal(tf.memory().numTensors, before, 'no leak on error');
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('the TensorFlow.js interpreter and a file without convolutions refuse in one line', async () => {
    const model = await load('psd', 17);
    const x = inputsOf('psd');
    const recurrent = await load('recurrent', 17);
    const sequence = tf.tensor(reference.recurrent.inputs);
    try {
      const before = tf.memory().numTensors;
      await assert.rejects(gradCam(model, x, { engine: 'tfjs' }), (e: Error) => {
        assert.ok(!e.message.includes('\n'));
        assert.match(e.message, /ONNX file on the TensorFlow\.js interpreter, where a layer's output cannot run/);
        return true;
      });
      await assert.rejects(gradCam(recurrent, sequence), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'UNSUPPORTED_MODEL');
        assert.ok(!e.message.includes('\n'));
        assert.match(
          e.message,
          /'gradCam' found no convolution node in .* whose output keeps a spatial or time axis; pass the option 'layer'/,
        );
        return true;
      });
      assert.equal(tf.memory().numTensors, before, 'no leak on error');
    } finally {
      x.dispose();
      sequence.dispose();
      model.dispose();
      recurrent.dispose();
    }
  });
});

test('wingbeats-xai explain --model x.onnx --method grad-cam|guided-grad-cam: the library numbers, end to end', async () => {
  const work = mkdtempSync(join(tmpdir(), 'wingbeats-onnx-grad-cam-'));
  const r = reference.upsample2d;
  const x = inputsOf('upsample2d');
  const inputFile = join(work, 'inputs.npy');
  writeFileSync(inputFile, encodeNpy(Float32Array.from(x.dataSync()), x.shape));
  const modelFile = join(fixtures, 'upsample2d-opset17.onnx');
  const model = await loadModel(modelFile);
  try {
    for (const [method, call] of [
      ['grad-cam', gradCam],
      ['guided-grad-cam', guidedGradCam],
    ] as const) {
      const { code, stdout, stderr } = await runCli([
        'explain',
        '--model',
        modelFile,
        '--input',
        inputFile,
        '--method',
        method,
        '--layer',
        '/up/ConvTranspose',
        '--json',
        '--quiet',
      ]);
      assert.equal(code, 0, stderr);
      const json = JSON.parse(stdout) as { results: { layer: string; layerMap: number[][]; attributions: number[] }[] };
      const api = await numbers(() => call(model, x, { layer: '/up/ConvTranspose' }));
      assert.deepEqual(
        json.results.map((row) => row.layer),
        r.targets.map(() => '/up/ConvTranspose'),
      );
      assert.equal(json.results[0].layerMap.length, 6, 'the ConvTranspose output: 6 × 8');
      assert.ok(
        relative(
          json.results.flatMap((row) => flat(row.layerMap)),
          api.layerMap,
        ) < 1e-6,
        `${method} map`,
      );
      assert.ok(
        relative(
          json.results.flatMap((row) => flat(row.attributions)),
          api.attributions,
        ) < 1e-6,
        method,
      );
    }
    const wrong = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--method',
      'grad-cam',
      '--layer',
      'up',
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(
      wrong.stderr,
      /^wingbeats-xai: Option '--layer' must be the name of a node, or of its output value, .* \(nearest: '\/up\/ConvTranspose', .*\) but got 'up'\.\n$/,
    );
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('guided Grad-CAM on a Keras model: both parts on the native engine, = guided backprop × Grad-CAM on TensorFlow.js', async () => {
  const kinds: string[] = [];
  const originalRun = OnnxTaskRunner.prototype.run;
  OnnxTaskRunner.prototype.run = function (this: OnnxTaskRunner, ...args: Parameters<typeof originalRun>) {
    kinds.push(args[0].kind);
    return originalRun.apply(this, args);
  };
  const model = conv2dNet(5);
  const x = randomBatch([3, 6, 5, 2], 6);
  try {
    const native = await numbers(() => guidedGradCam(model, x));
    assert.ok(kinds.includes('grad-cam') && kinds.includes('gradients'), `native tasks: ${kinds.join(', ')}`);
    assert.equal(native.engine, 'onnx');
    const guided = await numbers(() => guidedBackprop(model, x, { engine: 'tfjs' }));
    const cam = await numbers(() => gradCam(model, x, { engine: 'tfjs' }));
    const product = guided.attributions.map((v, i) => v * cam.attributions[i]);
    assert.ok(relative(native.attributions, product) < 1e-5, 'product');
  } finally {
    OnnxTaskRunner.prototype.run = originalRun;
    x.dispose();
    model.dispose();
  }
});

test('a tf2onnx-style file (NLC input, Transpose → Conv → Transpose) gives the maps of the channels-first export; a free input axis refuses in one line', async () => {
  const [length, channels, filters] = [8, 2, 3];
  const kernel = floats('k', [filters, channels, 3], wave(filters * channels * 3, 0.4));
  const bias = floats('kb', [filters], [0.1, -0.05, 0.2]);
  const conv = { op_type: 'Conv', attribute: [{ name: 'pads', type: 7, ints: [1, 1] }] };
  const dense = wave(2 * filters * length, 0.9); // [2, filters·length] over channels-first flattening (c·L + l)
  const denseLast = Array.from({ length: dense.length }, (_, i) => {
    const [o, rest] = [Math.floor(i / (filters * length)), i % (filters * length)];
    const [l, c] = [Math.floor(rest / filters), rest % filters];
    return dense[o * filters * length + c * length + l];
  });
  const gemm = { op_type: 'Gemm', attribute: [{ name: 'transB', type: 2, i: 1 }] };
  const perm = [{ name: 'perm', type: 7, ints: [0, 2, 1] }];
  const first = onnxBytes(
    [
      { ...conv, input: ['x', 'k', 'kb'], output: ['c'] },
      { op_type: 'Relu', input: ['c'], output: ['r'] },
      { op_type: 'Flatten', input: ['r'], output: ['f'] },
      { ...gemm, input: ['f', 'w'], output: ['y'] },
    ],
    [channels, length],
    [kernel, bias, floats('w', [2, filters * length], dense)],
  );
  const last = onnxBytes(
    [
      { op_type: 'Transpose', input: ['x'], output: ['xt'], attribute: perm },
      { ...conv, input: ['xt', 'k', 'kb'], output: ['c'] },
      { op_type: 'Relu', input: ['c'], output: ['r'] },
      { op_type: 'Transpose', input: ['r'], output: ['rt'], attribute: perm },
      { op_type: 'Flatten', input: ['rt'], output: ['f'] },
      { ...gemm, input: ['f', 'w'], output: ['y'] },
    ],
    [length, channels],
    [kernel, bias, floats('w', [2, filters * length], denseLast)],
  );
  const free = onnxBytes(
    [
      { ...conv, input: ['x', 'k', 'kb'], output: ['c'] },
      {
        op_type: 'ReduceMean',
        input: ['c'],
        output: ['y'],
        attribute: [
          { name: 'axes', type: 7, ints: [2] },
          { name: 'keepdims', type: 2, i: 0 },
        ],
      },
    ],
    [channels, 'L'],
    [kernel, bias],
  );
  const freeModel = await loadModel(free, { fileName: 'free-length.onnx' });
  const freeInput = randomBatch([1, length, channels], 13);
  try {
    await assert.rejects(gradCam(freeModel, freeInput), (e: Error) => {
      assert.ok(!e.message.includes('\n'));
      assert.match(
        e.message,
        /'gradCam' reads a node's output on the native engine, which needs every input size of 'free-length\.onnx' fixed/,
      );
      return true;
    });
  } finally {
    freeInput.dispose();
    freeModel.dispose();
  }
  const a = await loadModel(first, { fileName: 'channels-first.onnx' });
  const b = await loadModel(last, { fileName: 'tf2onnx-like.onnx' });
  const x = randomBatch([2, length, channels], 12);
  try {
    assert.deepEqual(a.inputShape, [length, channels]);
    assert.deepEqual(b.inputShape, [length, channels]);
    const expected = await numbers(() => gradCam(a, x, { target: [0, 1] }));
    assert.equal(expected.layer, 'n0');
    assert.equal(expected.layerMap.length, 2 * length);
    for (const layer of [undefined, 'rt', 'r']) {
      const got = await numbers(() => gradCam(b, x, { target: [0, 1], ...(layer === undefined ? {} : { layer }) }));
      assert.equal(got.engine, 'onnx');
      const reference =
        layer === undefined ? expected : await numbers(() => gradCam(a, x, { target: [0, 1], layer: 'r' }));
      assert.ok(relative(got.layerMap, reference.layerMap) < 1e-6, `layer ${String(layer)}`);
      assert.ok(relative(got.attributions, reference.attributions) < 1e-6, `layer ${String(layer)}`);
    }
  } finally {
    x.dispose();
    a.dispose();
    b.dispose();
  }
});

test('the default layer skips a last convolution whose output has no axis longer than 1 (Keras, as for ONNX files)', async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [12, 2], filters: 3, kernelSize: 3, padding: 'same', name: 'wide' }),
      tf.layers.maxPooling1d({ poolSize: 12 }),
      tf.layers.conv1d({ filters: 4, kernelSize: 1, name: 'pointwise_head' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  try {
    assert.equal(lastConvolutionLayer(asExplainableModel(model), 'test'), 'wide');
  } finally {
    model.dispose();
  }
});
