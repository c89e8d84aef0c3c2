/**
 * Models with several inputs: a two-input Functional `.keras` file written by this test (a signal [5,2] through a
 * Conv1D, side data [3] through a Dense, concatenated, a softmax head). Inputs go in as an array, one per model input;
 * attributions come back per input, equal to float64 finite differences of a hand-written forward; integrated gradients
 * are complete over both inputs; wrong inputs fail in one line without leaks.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gradients } from '../../src/attribution/gradients.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { assertClose, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { writeKerasArchive } from './write-keras-archive.js';
import { runCli } from '../cli/cli-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-multi-input-'));
after(() => process.env.KEEP_TEST_FILES === undefined && rmSync(dir, { recursive: true, force: true }));

type Json = Record<string, unknown>;
const ref = (layer: string): Json => ({
  class_name: '__keras_tensor__',
  config: { shape: null, dtype: 'float32', keras_history: [layer, 0, 0] },
});
const entry = (className: string, config: Json, args: unknown[] | null): Json => ({
  module: 'keras.layers',
  class_name: className,
  registered_name: null,
  name: config.name,
  config: {
    trainable: true,
    dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null },
    ...config,
  },
  inbound_nodes: args === null ? [] : [{ args, kwargs: {} }],
});

const config = {
  module: 'keras.src.models.functional',
  class_name: 'Functional',
  registered_name: 'Functional',
  config: {
    name: 'two_inputs',
    trainable: true,
    layers: [
      entry('InputLayer', { name: 'signal', batch_shape: [null, 5, 2] }, null),
      entry('InputLayer', { name: 'meta', batch_shape: [null, 3] }, null),
      entry(
        'Conv1D',
        {
          name: 'conv',
          filters: 2,
          kernel_size: [3],
          strides: [1],
          padding: 'same',
          dilation_rate: [1],
          activation: 'tanh',
          use_bias: true,
        },
        [ref('signal')],
      ),
      entry('Flatten', { name: 'flat' }, [ref('conv')]),
      entry('Dense', { name: 'meta_dense', units: 4, activation: 'relu', use_bias: true }, [ref('meta')]),
      entry('Concatenate', { name: 'concat', axis: -1 }, [[ref('flat'), ref('meta_dense')]]),
      entry('Dense', { name: 'head', units: 3, activation: 'softmax', use_bias: true }, [ref('concat')]),
    ],
    input_layers: [
      ['signal', 0, 0],
      ['meta', 0, 0],
    ],
    output_layers: ['head', 0, 0],
  },
};

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.fround(Math.cos(seed * 3.7 + i * 0.9) * 0.7));
const w = {
  conv: [values(12, 1), values(2, 2)], // kernel [3, 2, 2], bias [2]
  meta: [values(12, 3), values(4, 4)], // [3, 4], [4]
  head: [values(42, 5), values(3, 6)], // [14, 3], [3]
};
// Keras 3 paths: the root's layers by class: input_layer, input_layer_1, conv1d, flatten, dense, concatenate, dense_1.
const variables = [
  { path: 'layers/conv1d/vars/0', shape: [3, 2, 2], values: w.conv[0] },
  { path: 'layers/conv1d/vars/1', shape: [2], values: w.conv[1] },
  { path: 'layers/dense/vars/0', shape: [3, 4], values: w.meta[0] },
  { path: 'layers/dense/vars/1', shape: [4], values: w.meta[1] },
  { path: 'layers/dense_1/vars/0', shape: [14, 3], values: w.head[0] },
  { path: 'layers/dense_1/vars/1', shape: [3], values: w.head[1] },
];

/** Hand-written float64 logits of one example: signal [5][2] (flat, row-major), meta [3]. */
function logits(signal: number[], meta: number[]): number[] {
  const conv: number[] = [];
  for (let t = 0; t < 5; t++) {
    for (let o = 0; o < 2; o++) {
      let z = w.conv[1][o];
      for (let k = 0; k < 3; k++) {
        const s = t + k - 1; // 'same' with kernel 3: one step of zero padding each side
        if (s < 0 || s >= 5) continue;
        for (let c = 0; c < 2; c++) z += signal[s * 2 + c] * w.conv[0][(k * 2 + c) * 2 + o];
      }
      conv.push(Math.tanh(z));
    }
  }
  const dense = Array.from({ length: 4 }, (_, j) =>
    Math.max(
      0,
      meta.reduce((z, m, i) => z + m * w.meta[0][i * 4 + j], w.meta[1][j]),
    ),
  );
  const features = [...conv, ...dense];
  return Array.from({ length: 3 }, (_, j) => features.reduce((z, f, i) => z + f * w.head[0][i * 3 + j], w.head[1][j]));
}

/** Central differences (float64) of logit `target` with respect to both inputs. */
function numericGradients(signal: number[], meta: number[], target: number): [number[], number[]] {
  const h = 1e-6;
  const along = (which: 0 | 1, i: number): number => {
    const up = [signal.slice(), meta.slice()];
    const down = [signal.slice(), meta.slice()];
    up[which][i] += h;
    down[which][i] -= h;
    return (logits(up[0], up[1])[target] - logits(down[0], down[1])[target]) / (2 * h);
  };
  return [signal.map((_, i) => along(0, i)), meta.map((_, i) => along(1, i))];
}

const signal = Array.from(values(10, 7), (v) => v * 2);
const meta = Array.from(values(3, 8), (v) => v + 0.5);
let model: ExplainableModel;
const modelPath = join(dir, 'two-inputs.keras');

before(async () => {
  await useWasm();
  await writeKerasArchive(modelPath, config, variables);
  model = await loadModel(modelPath);
});
after(() => model?.dispose());

describe('models with several inputs', () => {
  test('the model knows its inputs and predicts as the hand-written forward', () => {
    assert.deepEqual(model.inputNames, ['signal', 'meta']);
    assert.deepEqual(model.inputShapes, [[5, 2], [3]]);
    assert.match(model.describe(), /inputs signal \[5,2\], meta \[3\]/);
    const x = model.packInputs([tf.tensor(signal, [1, 5, 2]), tf.tensor(meta, [1, 3])]);
    const y = tf.tidy(() => model.run(x));
    assertClose(y.dataSync(), logits(signal, meta), 1e-6, 1e-6, 'logits');
    tf.dispose([x, y]);
  });

  test('gradients per input equal float64 finite differences', async () => {
    const target = 2;
    const [expectedSignal, expectedMeta] = numericGradients(signal, meta, target);
    const x = tf.tensor(signal, [1, 5, 2]);
    await withoutLeaks(
      () => gradients(model, [x, [meta]], { target }),
      (result) => {
        assert.equal(result.inputAttributions?.length, 2);
        const [a, b] = result.inputAttributions as tf.Tensor[];
        assert.deepEqual(a.shape, [1, 5, 2]);
        assert.deepEqual(b.shape, [1, 3]);
        assertClose(a.dataSync(), expectedSignal, 1e-6, 1e-4, 'signal gradient');
        assertClose(b.dataSync(), expectedMeta, 1e-6, 1e-4, 'meta gradient');
        assert.deepEqual(
          (result.inputHeatmaps as tf.Tensor[]).map((h) => h.shape),
          [
            [1, 5],
            [1, 3],
          ],
        );
        disposeAttribution(result);
      },
    );
    x.dispose();
  });

  test('integrated gradients are complete over both inputs; batches of several examples', async () => {
    const signals = tf.stack([tf.tensor(signal, [5, 2]), tf.mul(tf.tensor(signal, [5, 2]), -0.5)]);
    const metas = tf.tensor2d([meta, [0.2, -0.4, 0.9]]);
    await withoutLeaks(
      () => integratedGradients(model, [signals, metas], { steps: 512, integration: 'trapezoid' }),
      (result) => {
        for (const gap of result.delta ?? []) assert.ok(Math.abs(gap) < 1e-4, `completeness gap ${gap}`);
        const [a, b] = result.inputAttributions as tf.Tensor[];
        const total = tf.tidy(() => tf.add(tf.sum(a, [1, 2]), tf.sum(b, 1)).dataSync());
        const packed = tf.tidy(() => tf.sum(result.attributions, 1).dataSync());
        assertClose(total, packed, 1e-6, 1e-6, 'per-input attributions add up to the packed ones');
        disposeAttribution(result);
      },
    );
    tf.dispose([signals, metas]);
  });

  test('wrong inputs fail in one line naming the argument', async () => {
    const [one, two, meta1, meta4] = [tf.zeros([1, 5, 2]), tf.zeros([2, 5, 2]), tf.zeros([1, 3]), tf.zeros([1, 4])];
    await rejectsWithoutLeaks(
      () => saliency(model, one),
      /Argument 'inputs' passed to 'saliency' must be of shape \[batch,13\]/,
    );
    await rejectsWithoutLeaks(
      () => saliency(model, [[signal]]),
      /Argument 'inputs' passed to 'saliency' must be an array of 2 inputs, one per model input \(signal, meta\)/,
    );
    await rejectsWithoutLeaks(
      () => saliency(model, [one, meta4]),
      /Argument 'inputs\[1\]' passed to 'saliency' must be of shape \[batch,3\] for input 'meta'/,
    );
    await rejectsWithoutLeaks(
      () => saliency(model, [two, meta1]),
      /must be the same number of examples for every model input but got batches of 2, 1/,
    );
    tf.dispose([one, two, meta1, meta4]);
  });

  test('the command line takes one --input per model input (in order or by name) and pictures each', async () => {
    const signalFile = join(dir, 'signal.json');
    const metaFile = join(dir, 'meta.json');
    writeFileSync(
      signalFile,
      JSON.stringify([
        [0, 1],
        [1, 0],
        [0.5, 0.5],
        [-1, 2],
        [0.25, -0.5],
      ]),
    );
    writeFileSync(metaFile, JSON.stringify([0.3, -0.2, 0.8]));
    const out = join(dir, 'out');
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      modelPath,
      '--input',
      `meta=${metaFile}`,
      '--input',
      signalFile,
      '--method',
      'gradients',
      '--target',
      '1',
      '--out',
      out,
      '--json',
      '--quiet',
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout) as {
      model: { inputs: { name: string }[] };
      results: { inputs: string[]; attributions: number[][][] | number[][]; heatmap: unknown[] }[];
    };
    assert.deepEqual(
      document.model.inputs.map((i) => i.name),
      ['signal', 'meta'],
    );
    const [row] = document.results;
    assert.deepEqual(row.inputs, ['signal', 'meta']);
    const [expectedSignal, expectedMeta] = numericGradients(
      [0, 1, 1, 0, 0.5, 0.5, -1, 2, 0.25, -0.5],
      [0.3, -0.2, 0.8],
      1,
    );
    assertClose((row.attributions[0] as number[][]).flat(), expectedSignal, 1e-6, 1e-4, 'signal gradient (CLI)');
    assertClose(row.attributions[1] as number[], expectedMeta, 1e-6, 1e-4, 'meta gradient (CLI)');
    for (const input of ['signal', 'meta']) {
      for (const ext of ['attributions.npy', 'heatmap.npy', 'png', 'svg'])
        assert.ok(existsSync(join(out, `signal.json_meta.json.gradients.${input}.${ext}`)), `${input}.${ext} written`);
    }
    const one = await runCli(['explain', '--model', modelPath, '--input', signalFile, '--json']);
    assert.equal(one.code, 1);
    assert.match(
      one.stderr,
      /Option '--input' must be given once per model input \(signal, meta\), in that order or as name=file, but got 1 file\./,
    );
  });
});
