/**
 * Loading and disposing leaves no tensor behind: for every model file in ../shared/models (the wingbeats models, the
 * real models of wild/ and wild2/, TensorFlow.js folders; refused ones included), for tiny models written with the
 * project's own writers (an LSTM with `unit_forget_bias`, whose TensorFlow.js initializer left four tensors per
 * load), for copies of a model, and for loads that fail. The wingbeats `.h5` models are checked by reference.test.ts
 * and those of wild/ by wild-models.test.ts, on the one load each of them takes there (a real model's load costs
 * 0.1–0.3 s of CPU); the others here.
 * Broken and hostile model files: each fails with a WingbeatsError naming the problem, closes the HDF5 file and
 * leaves no tensor behind. Files are written into os.tmpdir().
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { copyExplainableModel } from '../../src/execution/model-copy.js';
import { rejectsWithoutLeaks, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { writeKerasH5 } from './write-keras-h5.js';
import { WingbeatsError } from '../../src/util/errors.js';
import { checkKerasConfig, normaliseKerasConfig } from '../../src/models/keras-config.js';
import { registerWingbeatsLayers } from '../../src/models/wingbeats-layers.js';

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-leaks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

/** Every model file under `root`: `.h5`, `.keras`, and the `model.json` of TensorFlow.js folders. */
function modelFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) out.push(...modelFiles(path));
    else if (/\.(h5|keras)$/i.test(name) || name === 'model.json') out.push(path);
  }
  return out;
}

/** Loads `path` (or fails to) and disposes it; returns how many tensors are left over. */
async function leftOver(load: () => Promise<{ dispose(): void }>): Promise<number> {
  const before = tf.memory().numTensors;
  try {
    (await load()).dispose();
  } catch {
    // refused files count too: a refusal must leave nothing behind either
  }
  return tf.memory().numTensors - before;
}

/** A Sequential Keras 2 config: input [5, 3] → LSTM(4, unit_forget_bias) → Dense(2, softmax). */
function lstmConfig(unitForgetBias: boolean, denseName: unknown = 'dense'): Record<string, unknown> {
  return {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 5, 3], dtype: 'float32' } },
        {
          class_name: 'LSTM',
          config: { name: 'lstm', units: 4, unit_forget_bias: unitForgetBias, return_sequences: false },
        },
        { class_name: 'Dense', config: { name: denseName, units: 2, activation: 'softmax' } },
      ],
    },
  };
}

const values = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 20 - 0.25);

async function writeLstm(path: string, unitForgetBias: boolean): Promise<void> {
  await writeKerasH5(
    path,
    [
      [
        'lstm',
        [
          { name: 'lstm/lstm_cell/kernel:0', shape: [3, 16], values: values(48) },
          { name: 'lstm/lstm_cell/recurrent_kernel:0', shape: [4, 16], values: values(64) },
          { name: 'lstm/lstm_cell/bias:0', shape: [16], values: values(16) },
        ],
      ],
      [
        'dense',
        [
          { name: 'dense/kernel:0', shape: [4, 2], values: values(8) },
          { name: 'dense/bias:0', shape: [2], values: values(2) },
        ],
      ],
    ],
    lstmConfig(unitForgetBias),
  );
}

describe('load and dispose leave no tensor behind', () => {
  const shared = modelFiles(join(sharedDir, 'models'));
  const wild = join(sharedDir, 'models', 'wild') + sep;
  /** Those whose own tests check their load and dispose: the `.h5` files outside wild/ and everything in wild/. */
  const checkedElsewhere = (path: string): boolean => path.startsWith(wild) || /\.h5$/i.test(path);
  test('every model file in ../shared/models', { skip: skipWithoutShared }, async () => {
    assert.ok(shared.length >= 30, `expected the shared models, found ${shared.length}`);
    const rest = shared.filter((path) => !checkedElsewhere(path));
    assert.ok(rest.length >= 5, `expected the models of wild2/, found ${rest.join(', ')}`);
    const leaks: string[] = [];
    for (const path of rest) {
      const n = await leftOver(() => loadModel(path));
      if (n !== 0) leaks.push(`${relative(sharedDir, path)}: ${n}`);
    }
    assert.deepEqual(leaks, [], 'tensors left after load + dispose');
  });

  for (const unitForgetBias of [true, false]) {
    test(`an LSTM with unit_forget_bias ${unitForgetBias}, loaded, copied and disposed ten times`, async () => {
      const path = join(dir, `lstm-${unitForgetBias}.h5`);
      await writeLstm(path, unitForgetBias);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 10; i++) {
        const model = await loadModel(path);
        const copy = await copyExplainableModel(model);
        const p = tf.tidy(() => Array.from(copy.run(tf.ones([1, 5, 3]), { scores: 'probabilities' }).dataSync()));
        assert.ok(Math.abs(p[0] + p[1] - 1) < 1e-6);
        copy.dispose();
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, before);
    });
  }

  test('failed loads: a layer named by an object, a number or a list; weights that do not fit', async () => {
    for (const name of [{ evil: 1 }, 17, ['a']]) {
      const json = JSON.stringify({ modelTopology: lstmConfig(true, name), format: 'layers-model' });
      await rejectsWithoutLeaks(
        () => loadModel(new TextEncoder().encode(json), { fileName: 'model.json' }),
        /'model\.json' has a layer whose name is not a string \(got (object|number|a list): /,
      );
    }
    const path = join(dir, 'lstm-bad.h5');
    await writeKerasH5(
      path,
      [
        [
          'lstm',
          [
            { name: 'lstm/lstm_cell/kernel:0', shape: [3, 16], values: values(48) },
            { name: 'lstm/lstm_cell/recurrent_kernel:0', shape: [4, 16], values: values(64) },
          ],
        ],
        ['dense', []],
      ],
      lstmConfig(true),
    );
    await rejectsWithoutLeaks(() => loadModel(path), /Weight 'lstm\/bias' of layer 'lstm' .* is missing/);
  });
});

const hostileDir = mkdtempSync(join(tmpdir(), 'wingbeats-models-'));
after(() => rmSync(hostileDir, { recursive: true, force: true }));

/** A Functional Keras config: input [4] → Dense 'dense_1' (3 units, softmax), plus `extra` layers after it. */
function functionalConfig(
  extra: { class_name: string; config: Record<string, unknown> }[] = [],
): Record<string, unknown> {
  const layers: Record<string, unknown>[] = [
    {
      class_name: 'InputLayer',
      name: 'x',
      config: { name: 'x', batch_input_shape: [null, 4], dtype: 'float32' },
      inbound_nodes: [],
    },
    {
      class_name: 'Dense',
      name: 'dense_1',
      config: { name: 'dense_1', units: 3, activation: 'softmax', use_bias: true },
      inbound_nodes: [[['x', 0, 0, {}]]],
    },
  ];
  let last = 'dense_1';
  for (const layer of extra) {
    layers.push({ ...layer, name: layer.config.name, inbound_nodes: [[[last, 0, 0, {}]]] });
    last = String(layer.config.name);
  }
  return {
    class_name: 'Functional',
    config: { name: 'tiny', layers, input_layers: [['x', 0, 0]], output_layers: [[last, 0, 0]] },
  };
}

const denseWeights = (kernelShape = [4, 3]) => [
  {
    name: 'dense_1/kernel:0',
    shape: kernelShape,
    values: Float32Array.from({ length: kernelShape[0] * kernelShape[1] }, (_, i) => (i % 5) / 10 - 0.2),
  },
  { name: 'dense_1/bias:0', shape: [3], values: Float32Array.from([0.1, -0.1, 0]) },
];

describe('hostile and broken files', () => {
  test('an empty file', async () => {
    const path = join(hostileDir, 'empty.h5');
    writeFileSync(path, new Uint8Array(0));
    await rejectsWithoutLeaks(() => loadModel(path), /'empty\.h5' is empty \(0 bytes\)/);
  });

  test('random bytes (not HDF5)', async () => {
    const path = join(hostileDir, 'random.h5');
    writeFileSync(
      path,
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251),
    );
    await rejectsWithoutLeaks(() => loadModel(path), /'random\.h5' is not an HDF5 file/);
    await assert.rejects(
      () => loadModel(path),
      (e: WingbeatsError) => e instanceof WingbeatsError && e.code === 'INVALID_FILE',
    );
  });

  test('a missing file', async () => {
    await rejectsWithoutLeaks(() => loadModel(join(hostileDir, 'nope.h5')), /The model '.*nope\.h5' does not exist\./);
  });

  test('truncated copies of a real .h5 (header kept, body cut)', { skip: skipWithoutShared }, async () => {
    const full = readFileSync(resolve(sharedDir, 'models', 'Potatamis/psd/SimpleCls/SimpleCls_psd_frozen.h5'));
    for (const size of [600, 20_000, Math.floor(full.length / 2), full.length - 1000]) {
      const path = join(hostileDir, `truncated-${size}.h5`);
      writeFileSync(path, full.subarray(0, size));
      await rejectsWithoutLeaks(
        () => loadModel(path),
        /could not be (opened as HDF5|read).*truncated or damaged|could not be read as a Keras HDF5/,
      );
    }
  });

  test('an HDF5 file that is not a Keras file', async () => {
    const path = join(hostileDir, 'plain.h5');
    await writeKerasH5(path, []);
    // A file with an empty layer list is a Keras weights file with nothing in it.
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /does not match a wingbeats architecture: no 'CNN_Blocks_\*' layer/,
    );
  });

  test('a config with a Keras Lambda layer is refused, never executed', async () => {
    const path = join(hostileDir, 'lambda.h5');
    const lambda = {
      class_name: 'Lambda',
      config: { name: 'evil', function: ['4wEAAAAAAAAA...', null, null], function_type: 'lambda' },
    };
    await writeKerasH5(
      path,
      [
        ['x', []],
        ['dense_1', denseWeights()],
        ['evil', []],
      ],
      functionalConfig([lambda]),
    );
    await rejectsWithoutLeaks(() => loadModel(path), /Keras Lambda layer \(layer 'evil'\).*never runs/);
    await assert.rejects(
      () => loadModel(path),
      (e: WingbeatsError) => e.code === 'UNSAFE_LAYER',
    );
  });

  test('a config naming an unknown layer class says how to register it', async () => {
    const path = join(hostileDir, 'unknown.h5');
    const fancy = { class_name: 'FancyLayer', config: { name: 'fancy' } };
    await writeKerasH5(
      path,
      [
        ['x', []],
        ['dense_1', denseWeights()],
        ['fancy', []],
      ],
      functionalConfig([fancy]),
    );
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /Layer class 'FancyLayer' is not registered: .*call registerWingbeatsLayers\(\).*tf\.serialization\.registerClass/,
    );
    await assert.rejects(
      () => loadModel(path),
      (e: WingbeatsError) => e.code === 'UNKNOWN_LAYER',
    );
  });

  test('weights whose shapes do not fit name layer, weight, expected and got', async () => {
    const path = join(hostileDir, 'mismatch.h5');
    await writeKerasH5(
      path,
      [
        ['x', []],
        ['dense_1', denseWeights([5, 3])],
      ],
      functionalConfig(),
    );
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /Weight 'dense_1\/kernel' of layer 'dense_1' does not fit: the model expects shape \[4,3\] but 'mismatch\.h5' holds 'dense_1\/kernel:0' with shape \[5,3\]/,
    );
    await assert.rejects(
      () => loadModel(path),
      (e: WingbeatsError) => e.code === 'WEIGHTS_MISMATCH',
    );
  });

  test('missing and left-over weights are errors too', async () => {
    const missing = join(hostileDir, 'missing.h5');
    await writeKerasH5(
      missing,
      [
        ['x', []],
        ['dense_1', denseWeights().slice(0, 1)],
      ],
      functionalConfig(),
    );
    await rejectsWithoutLeaks(
      () => loadModel(missing),
      /Weight 'dense_1\/bias' of layer 'dense_1' \(expected shape \[3\]\) is missing/,
    );
    const extra = join(hostileDir, 'extra.h5');
    const weights = [...denseWeights(), { name: 'dense_1/stray:0', shape: [2], values: Float32Array.from([1, 2]) }];
    await writeKerasH5(
      extra,
      [
        ['x', []],
        ['dense_1', weights],
      ],
      functionalConfig(),
    );
    await rejectsWithoutLeaks(() => loadModel(extra), /holds weights the model does not use: 'dense_1\/stray:0' \[2\]/);
  });

  test('a valid small full model loads and runs (the hostile cases above are not false alarms)', async () => {
    const path = join(hostileDir, 'ok.h5');
    await writeKerasH5(
      path,
      [
        ['x', []],
        ['dense_1', denseWeights()],
      ],
      functionalConfig(),
    );
    const model = await loadModel(path);
    const before = tf.memory().numTensors;
    const p = tf.tidy(() => Array.from(model.run(tf.ones([1, 4]), { scores: 'probabilities' }).dataSync()));
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-6);
    assert.deepEqual(model.outputNames, ['dense_1']);
    assert.equal(model.info.format, 'keras-h5');
    model.layersModel?.dispose();
  });
});

describe('config-level checks', () => {
  test('Lambda nested inside a Sequential inside a Functional is found', () => {
    const inner = {
      class_name: 'Sequential',
      config: { name: 'inner', layers: [{ class_name: 'Lambda', config: { name: 'hidden_lambda' } }] },
    };
    const config = functionalConfig([inner as never]);
    assert.throws(
      () => checkKerasConfig(config, 'nested.h5'),
      (e: WingbeatsError) => e.code === 'UNSAFE_LAYER' && /layer 'inner\/hidden_lambda'/.test(e.message),
    );
  });

  test('the wingbeats layers are unknown until registered; registration is idempotent', () => {
    registerWingbeatsLayers();
    registerWingbeatsLayers();
    const config = functionalConfig([{ class_name: 'L2_Norm', config: { name: 'embedding' } }]);
    assert.doesNotThrow(() => checkKerasConfig(config, 'x.h5'));
  });

  test('Sequential subclass names and list-valued axes are normalised (copy, original untouched)', () => {
    const original = {
      class_name: 'Mosquito_CNN_PSD',
      config: {
        name: 'm',
        layers: [
          { class_name: 'BatchNormalization', config: { name: 'bn', axis: [2], batch_input_shape: [null, 129, 1] } },
        ],
      },
    };
    const { config, originalClassName } = normaliseKerasConfig(original);
    assert.equal(originalClassName, 'Mosquito_CNN_PSD');
    assert.equal(config.class_name, 'Sequential');
    assert.equal((config.config as { layers: { config: { axis: unknown } }[] }).layers[0].config.axis, 2);
    assert.deepEqual(original.config.layers[0].config.axis, [2]);
  });
});
