/**
 * Model files as users bring them (issue 23): `.keras` archives written on Windows (backslashes in the weight paths),
 * Keras 3 variable names (DepthwiseConv2D's `kernel`), TensorFlow.js converter folders of Keras 3 models (weight names
 * prefixed with the model's name, `output_layers` as an object), and inputs with free axes explained at the shape of
 * the given input. Tiny models written with the project's own writers; the real files of ../shared/models/wild2 too.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { gradients } from '../../src/attribution/gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { encodeNpy } from '../../src/io/npy.js';
import { itemsToBatch, readInputSource } from '../../src/pipeline/input-sources.js';
import { assertClose, flat, sharedDir, skipWithoutShared, useWasm, withoutLeaks } from '../helpers.js';
import { runCli, saveModelJson } from '../cli/cli-helpers.js';
import { writeKerasH5 } from './write-keras-h5.js';
import { writeKerasArchive } from './write-keras-archive.js';

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-formats-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

const values = (n: number, seed = 0): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => (((i + seed) * 37) % 17) / 17 - 0.45);

/** Runs a model on `x` (probabilities) and returns the values. */
function predict(model: { run(x: tf.Tensor, o: { scores: 'probabilities' }): tf.Tensor }, x: tf.Tensor): number[] {
  return tf.tidy(() => Array.from(model.run(x, { scores: 'probabilities' }).dataSync()));
}

describe('model formats, round two', () => {
  test('a .keras archive written on Windows (backslashes in the weight paths) loads and predicts as its weights say', async () => {
    const config = {
      class_name: 'Sequential',
      config: {
        name: 'sequential',
        layers: [
          { class_name: 'InputLayer', config: { name: 'input_1', batch_input_shape: [null, 4] } },
          { class_name: 'Dense', config: { name: 'dense', units: 3, activation: 'softmax' } },
        ],
      },
    };
    const kernel = values(12);
    const bias = Float32Array.from([0.1, -0.2, 0.05]);
    const path = join(dir, 'windows.keras');
    await writeKerasArchive(path, config, [
      { path: 'layers\\dense/vars/0', shape: [4, 3], values: kernel },
      { path: 'layers\\dense/vars/1', shape: [3], values: bias },
    ]);
    const model = await loadModel(path);
    try {
      const x = [0.5, -1, 2, 0.25];
      const z = [0, 1, 2].map((j) => bias[j] + x.reduce((s, xi, i) => s + xi * kernel[i * 3 + j], 0));
      const e = z.map((v) => Math.exp(v - Math.max(...z)));
      const p = e.map((v) => v / e.reduce((a, b) => a + b, 0));
      assertClose(predict(model, tf.tensor([x])), p, 1e-6, 0, 'probabilities');
    } finally {
      model.dispose();
    }
  });

  test("Keras 3's DepthwiseConv2D weight 'kernel' is placed as TensorFlow.js's depthwise_kernel", async () => {
    const config = (name: string) => ({
      class_name: 'Sequential',
      config: {
        name,
        layers: [
          {
            class_name: 'DepthwiseConv2D',
            config: {
              name: 'depthwise_conv2d',
              kernel_size: [2, 2],
              use_bias: true,
              batch_input_shape: [null, 3, 3, 2],
            },
          },
          { class_name: 'Flatten', config: { name: 'flatten' } },
        ],
      },
    });
    const weights = (kernelName: string) => [
      { name: `depthwise_conv2d/${kernelName}:0`, shape: [2, 2, 2, 1], values: values(8) },
      { name: 'depthwise_conv2d/bias:0', shape: [2], values: Float32Array.from([0.5, -0.5]) },
    ];
    const keras3 = join(dir, 'depthwise-keras3.h5');
    const keras2 = join(dir, 'depthwise-keras2.h5');
    await writeKerasH5(keras3, [['depthwise_conv2d', weights('kernel')]], config('sequential'));
    await writeKerasH5(keras2, [['depthwise_conv2d', weights('depthwise_kernel')]], config('sequential'));
    const a = await loadModel(keras3);
    const b = await loadModel(keras2);
    try {
      const x = tf.tensor(values(18, 3), [1, 3, 3, 2]);
      const [ya, yb] = tf.tidy(() => [a.run(x, { scores: 'logits' }), b.run(x, { scores: 'logits' })]);
      const got = Array.from(ya.dataSync());
      // Output (0,0) of channel 0: the 2×2 window of channel 0 times its kernel, plus bias.
      const xs = values(18, 3);
      const k = values(8);
      const by = (r: number, c: number, ch: number) => xs[(r * 3 + c) * 2 + ch];
      const first = 0.5 + by(0, 0, 0) * k[0] + by(0, 1, 0) * k[2] + by(1, 0, 0) * k[4] + by(1, 1, 0) * k[6];
      assertClose([got[0]], [first], 1e-6, 0, 'depthwise output');
      assertClose(got, yb.dataSync(), 0, 0, 'Keras 3 and Keras 2 names');
      tf.dispose([x, ya, yb]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test('a TensorFlow.js folder from a Keras 3 model: weight names with the model prefix, output_layers as an object', async () => {
    const input = tf.input({ shape: [4], name: 'x' });
    const hidden = tf.layers.dense({ units: 5, activation: 'relu', name: 'hidden' }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.dense({ units: 3, activation: 'softmax', name: 'head_a' }).apply(hidden) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 2, activation: 'softmax', name: 'head_b' }).apply(hidden) as tf.SymbolicTensor;
    const original = tf.model({ inputs: input, outputs: [a, b], name: 'functional' });
    const folder = join(dir, 'tfjs-keras3');
    const file = await saveModelJson(original, folder);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    for (const spec of json.weightsManifest[0].weights) spec.name = `functional/${spec.name}`;
    const config = json.modelTopology.config;
    config.output_layers = { a: config.output_layers[0], b: config.output_layers[1] };
    writeFileSync(file, JSON.stringify(json));
    const x = tf.tensor([[0.3, -0.7, 1.2, 0.1]]);
    try {
      const model = await loadModel(file);
      try {
        assert.deepEqual(model.outputNames, ['head_a', 'head_b']);
        for (const [i, head] of ['head_a', 'head_b'].entries()) {
          const want = tf.tidy(() => Array.from((original.predict(x) as tf.Tensor[])[i].dataSync()));
          const got = tf.tidy(() => Array.from(model.run(x, { scores: 'probabilities', output: head }).dataSync()));
          assertClose(got, want, 1e-6, 0, head);
        }
      } finally {
        model.dispose();
      }
    } finally {
      x.dispose();
      original.dispose();
    }
  });

  test('a model with a free time axis is explained at the shape of the given input (one, a list, two files)', async () => {
    const input = tf.input({ shape: [null, 3], name: 'frames' });
    const conv = tf.layers
      .conv1d({ filters: 4, kernelSize: 2, activation: 'tanh', name: 'conv' })
      .apply(input) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling1d({ name: 'pool' }).apply(conv) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 2, activation: 'softmax', name: 'out' }).apply(pooled) as tf.SymbolicTensor;
    const original = tf.model({ inputs: input, outputs: out });
    const file = await saveModelJson(original, join(dir, 'free-axis'));
    original.dispose();
    const one = join(dir, 'one.npy');
    const list = join(dir, 'list.npy');
    writeFileSync(one, encodeNpy(values(30), [10, 3]));
    writeFileSync(list, encodeNpy(values(42, 5), [2, 7, 3]));
    const model = await loadModel(file);
    try {
      for (const [path, shape, n] of [
        [one, [10, 3], 1],
        [list, [7, 3], 2],
      ] as const) {
        const { code, stdout, stderr } = await withoutLeaks(() =>
          runCli(['explain', '--model', file, '--input', path, '--method', 'gradients', '--json', '--quiet']),
        );
        assert.equal(code, 0, stderr);
        const results = JSON.parse(stdout).results as { attributions: number[][]; target: number }[];
        assert.equal(results.length, n);
        const x = tf.tensor(path === one ? values(30) : values(42, 5), [n, ...shape]);
        const api = await gradients(model, x, { target: results.map((r) => r.target) });
        assert.deepEqual([results[0].attributions.length, results[0].attributions[0].length], shape);
        assertClose(
          results.flatMap((r) => r.attributions.flat()),
          flat(api.attributions),
          1e-7,
          0,
          'gradients',
        );
        disposeAttribution(api);
        x.dispose();
      }
      const items = [one, list].flatMap((path) =>
        readInputSource({ name: path, bytes: new Uint8Array(readFileSync(path)) }, model),
      );
      assert.throws(
        () => itemsToBatch(items),
        /Inputs 'one\.npy' \[10,3\] and 'list\.npy#0' \[7,3\] differ in shape; a model with free input axes explains inputs of one shape per run\./,
      );
      writeFileSync(join(dir, 'bad.npy'), encodeNpy(values(40), [10, 4]));
      const bad = await runCli(['explain', '--model', file, '--input', join(dir, 'bad.npy'), '--json']);
      assert.notEqual(bad.code, 0);
      assert.match(
        bad.stderr,
        /^wingbeats-xai: Input '.*bad\.npy' has shape \[10,4\] but the model takes \[\?,3\] \(one input, any size at '\?'\) or \[n,\?,3\] \(a list\)\.\n$/,
      );
    } finally {
      model.dispose();
    }
  });
});

describe('the real files of ../shared/models/wild2', () => {
  const wild2 = (name: string) => join(sharedDir, 'models', 'wild2', name);
  for (const file of [
    '02_hvl_bilstm.keras',
    '05_cat2people_rescaling.keras',
    '12_cdt406_emg_lstm.keras',
    '16_tolvia_yesno_tfjs/model.json',
  ]) {
    test(
      `${file} loads, names its classes 'class k', predicts finite probabilities`,
      { skip: skipWithoutShared },
      async () => {
        const model = await loadModel(wild2(file));
        try {
          assert.equal(model.info.labelSource, 'class-index');
          const shape = model.inputShape as number[];
          const x = tf.tensor(values(shape.reduce((a, b) => a * b, 1)), [1, ...shape]);
          const p = predict(model, x);
          x.dispose();
          assert.ok(p.every(Number.isFinite), `${file}: ${p.join(', ')}`);
        } finally {
          model.dispose();
        }
      },
    );
  }
});
