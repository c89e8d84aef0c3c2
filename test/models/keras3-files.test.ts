/**
 * Keras 3 `.keras` files written by this test: a Functional model with a nested Sequential, `inbound_nodes` in
 * `args`/`kwargs` form with `__keras_tensor__` entries, un-nested `input_layers`/`output_layers`, `module` and
 * `registered_name` on every object, dtype policy objects — predicting what a hand-written forward gives and exactly
 * what the same model saved as a Keras 2 `.h5` gives; refused and broken archives fail in one line without leaks.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WingbeatsError } from '../../src/util/errors.js';
import { loadModel } from '../../src/models/load-model.js';
import { kerasSnakeCase } from '../../src/models/keras-variable-paths.js';
import { assertClose, rejectsWithoutLeaks, useWasm } from '../helpers.js';
import { writeKerasArchive } from './write-keras-archive.js';
import { writeKerasH5 } from './write-keras-h5.js';

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-keras3-'));
after(() => process.env.KEEP_TEST_FILES === undefined && rmSync(dir, { recursive: true, force: true }));
before(useWasm);

type Json = Record<string, unknown>;
const POLICY = { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
const tensorRef = (layer: string, shape: (number | null)[]): Json => ({
  class_name: '__keras_tensor__',
  config: { shape, dtype: 'float32', keras_history: [layer, 0, 0] },
});
const layer = (className: string, config: Json, inbound: unknown[] | null, module = 'keras.layers'): Json => ({
  module,
  class_name: className,
  config: { trainable: true, dtype: POLICY, ...config },
  registered_name: className === 'Custom' ? 'my_package>Custom' : null,
  ...(inbound === null ? {} : { name: config.name, inbound_nodes: inbound }),
});
const dense = (name: string, units: number, activation: string, inbound: unknown[] | null): Json =>
  layer(
    'Dense',
    {
      name,
      units,
      activation,
      use_bias: true,
      kernel_initializer: {
        module: 'keras.initializers',
        class_name: 'OrthogonalInitializer',
        config: { gain: 1, seed: null },
        registered_name: null,
      },
      bias_initializer: { module: 'keras.initializers', class_name: 'Zeros', config: {}, registered_name: null },
      kernel_regularizer: {
        module: 'keras.regularizers',
        class_name: 'L2',
        config: { l2: 0.01 },
        registered_name: null,
      },
      bias_constraint: { module: 'keras.constraints', class_name: 'NonNeg', config: {}, registered_name: null },
    },
    inbound,
  );

/** x[6] → nested Sequential (inner_a 4 relu → inner_b 3) ⊕ skip (3) → Add → head (2, softmax). */
function functionalConfig(extra: Json[] = []): Json {
  const call = (...args: unknown[]): unknown[] => [{ args, kwargs: {} }];
  const nested = {
    module: 'keras',
    class_name: 'Sequential',
    registered_name: null,
    name: 'inner',
    inbound_nodes: call(tensorRef('features', [null, 6])),
    config: {
      name: 'inner',
      trainable: true,
      dtype: POLICY,
      layers: [
        layer('InputLayer', { batch_shape: [null, 6], name: 'inner_input', sparse: false }, null),
        dense('inner_a', 4, 'relu', null),
        dense('inner_b', 3, 'linear', null),
      ],
    },
  };
  let last = 'head';
  const layers: Json[] = [
    layer('InputLayer', { batch_shape: [null, 6], name: 'features', sparse: false }, []),
    nested,
    dense('skip', 3, 'linear', call(tensorRef('features', [null, 6]))),
    layer('Add', { name: 'add' }, [
      { args: [[tensorRef('inner', [null, 3]), tensorRef('skip', [null, 3])]], kwargs: {} },
    ]),
    dense('head', 2, 'softmax', call(tensorRef('add', [null, 3]))),
  ];
  for (const e of extra) {
    layers.push({ ...e, name: (e.config as Json).name, inbound_nodes: call(tensorRef(last, [null, 2])) });
    last = String((e.config as Json).name);
  }
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    registered_name: 'Functional',
    config: {
      name: 'two_paths',
      trainable: true,
      layers,
      input_layers: ['features', 0, 0],
      output_layers: [last, 0, 0],
    },
    build_config: { input_shape: null },
    compile_config: null,
  };
}

const values = (n: number, seed: number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 7.1 + i * 1.3) * 0.6));
const weights = {
  inner_a: [values(24, 1), values(4, 2)],
  inner_b: [values(12, 3), values(3, 4)],
  skip: [values(18, 5), values(3, 6)],
  head: [values(6, 7), values(2, 8)],
};
const shapes = { inner_a: [[6, 4], [4]], inner_b: [[4, 3], [3]], skip: [[6, 3], [3]], head: [[3, 2], [2]] } as const;

/** Where Keras 3 stores each variable: the root's layers by class (input_layer, sequential, dense, add, dense_1). */
const archiveVariables = [
  ['layers/sequential/layers/dense/vars', 'inner_a'],
  ['layers/sequential/layers/dense_1/vars', 'inner_b'],
  ['layers/dense/vars', 'skip'],
  ['layers/dense_1/vars', 'head'],
].flatMap(([path, name]) =>
  [0, 1].map((i) => ({
    path: `${path}/${i}`,
    shape: [...shapes[name as keyof typeof shapes][i]],
    values: weights[name as keyof typeof weights][i],
  })),
);

/** The same model's weights as an `.h5` file stores them (the nested model's under its own group). */
const h5Layers = (): [string, { name: string; shape: number[]; values: Float32Array }[]][] => [
  ['features', []],
  [
    'inner',
    [
      { name: 'inner_a/kernel:0', shape: [6, 4], values: weights.inner_a[0] },
      { name: 'inner_a/bias:0', shape: [4], values: weights.inner_a[1] },
      { name: 'inner_b/kernel:0', shape: [4, 3], values: weights.inner_b[0] },
      { name: 'inner_b/bias:0', shape: [3], values: weights.inner_b[1] },
    ],
  ],
  [
    'skip',
    [
      { name: 'skip/kernel:0', shape: [6, 3], values: weights.skip[0] },
      { name: 'skip/bias:0', shape: [3], values: weights.skip[1] },
    ],
  ],
  ['add', []],
  [
    'head',
    [
      { name: 'head/kernel:0', shape: [3, 2], values: weights.head[0] },
      { name: 'head/bias:0', shape: [2], values: weights.head[1] },
    ],
  ],
];

/** Textbook forward in float64: softmax(head(inner_b(relu(inner_a x)) + skip x)). */
function textbook(x: number[]): number[] {
  const affine = (v: number[], [k, b]: Float32Array[], units: number): number[] =>
    Array.from({ length: units }, (_, j) => v.reduce((s, vi, i) => s + vi * k[i * units + j], b[j]));
  const a = affine(x, weights.inner_a, 4).map((v) => Math.max(v, 0));
  const sum = affine(a, weights.inner_b, 3).map((v, i) => v + affine(x, weights.skip, 3)[i]);
  const logits = affine(sum, weights.head, 2);
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  return e.map((v) => v / e.reduce((s, t) => s + t, 0));
}

describe('Keras 3 .keras files', () => {
  test('the variable paths follow Keras class naming', () => {
    assert.equal(kerasSnakeCase('BatchNormalization'), 'batch_normalization');
    assert.equal(kerasSnakeCase('Conv1D'), 'conv1d');
    assert.equal(kerasSnakeCase('GlobalAveragePooling2D'), 'global_average_pooling2d');
    assert.equal(kerasSnakeCase('LSTM'), 'lstm');
    assert.equal(kerasSnakeCase('InputLayer'), 'input_layer');
  });

  test('a Functional model with a nested Sequential predicts as the textbook forward and as its .h5 copy', async () => {
    const archive = join(dir, 'two-paths.keras');
    await writeKerasArchive(archive, functionalConfig(), archiveVariables);
    const h5 = join(dir, 'two-paths.h5');
    await writeKerasH5(h5, h5Layers(), functionalConfig());
    const a = await loadModel(archive);
    const b = await loadModel(h5);
    try {
      assert.equal(a.info.format, 'keras');
      assert.equal(a.info.kerasVersion, '3.4.1');
      assert.deepEqual(a.inputShape, [6]);
      const rows = [
        [0.5, -1, 2, 0, 0.25, -0.75],
        [1, 1, 1, 1, 1, 1],
      ];
      const x = tf.tensor2d(rows);
      const pa = tf.tidy(() => a.run(x, { scores: 'probabilities' }));
      const pb = tf.tidy(() => b.run(x, { scores: 'probabilities' }));
      assertClose(pa.dataSync(), rows.flatMap(textbook), 1e-6, 1e-6, 'probabilities');
      assert.deepEqual(Array.from(pa.dataSync()), Array.from(pb.dataSync()));
      tf.dispose([x, pa, pb]);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  test('a Lambda layer in a .keras file is refused in one line', async () => {
    const path = join(dir, 'lambda.keras');
    const lambda = layer(
      'Lambda',
      { name: 'scale', function: { class_name: '__lambda__', config: { value: ['4wEAAAAA', null, null] } } },
      null,
    );
    await writeKerasArchive(path, functionalConfig([lambda]), archiveVariables);
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /^'lambda\.keras' contains a Keras Lambda layer \(layer 'scale'\)[^\n]*never runs[^\n]*$/,
    );
  });

  test('an unregistered custom layer is named with how to register it', async () => {
    const path = join(dir, 'custom.keras');
    await writeKerasArchive(
      path,
      functionalConfig([layer('Custom', { name: 'mine' }, null, 'my_package')]),
      archiveVariables,
    );
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /^Layer class 'Custom' is not registered: layer 'mine'[^\n]*tf\.serialization\.registerClass\(YourLayer\) with static className 'Custom'[^\n]*$/,
    );
    await assert.rejects(
      () => loadModel(path),
      (e: WingbeatsError) => e.code === 'UNKNOWN_LAYER',
    );
  });

  test('broken archives: truncated, without weights, with weights no layer owns, with weights that do not fit', async () => {
    const good = join(dir, 'good.keras');
    await writeKerasArchive(good, functionalConfig(), archiveVariables);
    const bytes = readFileSync(good);
    const truncated = join(dir, 'truncated.keras');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await rejectsWithoutLeaks(
      () => loadModel(truncated),
      /'truncated\.keras' could not be read as a \.keras \(zip\) file .*truncated or damaged/,
    );

    const noWeights = join(dir, 'no-weights.keras');
    await writeKerasArchive(noWeights, functionalConfig(), [], { 'model.weights.h5': null });
    await rejectsWithoutLeaks(
      () => loadModel(noWeights),
      /'no-weights\.keras' cannot be loaded: it has no 'model\.weights\.h5'/,
    );

    const stray = join(dir, 'stray.keras');
    await writeKerasArchive(stray, functionalConfig(), [
      ...archiveVariables,
      { path: 'layers/dense_7/vars/0', shape: [2], values: Float32Array.from([1, 2]) },
    ]);
    await rejectsWithoutLeaks(
      () => loadModel(stray),
      /'stray\.keras' stores variables that no layer of its config owns: 'layers\/dense_7'/,
    );

    const misfit = join(dir, 'misfit.keras');
    await writeKerasArchive(
      misfit,
      functionalConfig(),
      archiveVariables.map((v) => (v.path === 'layers/dense/vars/0' ? { ...v, shape: [3, 6] } : v)),
    );
    await rejectsWithoutLeaks(
      () => loadModel(misfit),
      /Weight 'skip\/kernel' of layer 'skip' does not fit: the model expects shape \[6,3\] but 'misfit\.keras' holds 'skip\/kernel' with shape \[3,6\]/,
    );
  });
});

describe('settings wingbeats-xai cannot run are named in one line', () => {
  const cases: [string, Json, RegExp][] = [
    [
      'mish.keras',
      layer('Activation', { name: 'act', activation: 'mish' }, null),
      /^layer 'act' \(Activation\) of 'mish\.keras' uses activation 'mish', which wingbeats-xai cannot run \(supported: [^\n]*\)\.$/,
    ],
    [
      'grouped.keras',
      layer('Conv1D', { name: 'grouped', filters: 4, kernel_size: [3], groups: 2, activation: 'relu' }, null),
      /^layer 'grouped' \(Conv1D\) of 'grouped\.keras' is a grouped convolution \(groups=2\)/,
    ],
  ];
  for (const [file, extra, pattern] of cases) {
    test(file, async () => {
      const path = join(dir, file);
      await writeKerasArchive(path, functionalConfig([extra]), archiveVariables);
      await rejectsWithoutLeaks(() => loadModel(path), pattern);
      await assert.rejects(
        () => loadModel(path),
        (e: WingbeatsError) => e.code === 'UNSUPPORTED_MODEL',
      );
    });
  }
});

test("Keras 3's hard_sigmoid is refused rather than computed in its Keras 2 form", async () => {
  const path = join(dir, 'hard-sigmoid.keras');
  await writeKerasArchive(
    path,
    functionalConfig([layer('Activation', { name: 'gate', activation: 'hard_sigmoid' }, null)]),
    archiveVariables,
  );
  await rejectsWithoutLeaks(
    () => loadModel(path),
    /^layer 'gate' \(Activation\) of 'hard-sigmoid\.keras' uses Keras 3's hard_sigmoid \(relu6\(x \+ 3\) \/ 6\)[^\n]*$/,
  );
});
