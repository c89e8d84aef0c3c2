/**
 * Keras 3 `.keras` files written by this test: a Functional model with a nested Sequential, `inbound_nodes` in
 * `args`/`kwargs` form with `__keras_tensor__` entries, un-nested `input_layers`/`output_layers`, `module` and
 * `registered_name` on every object, dtype policy objects — predicting what a hand-written forward gives and exactly
 * what the same model saved as a Keras 2 `.h5` gives; refused and broken archives fail in one line without leaks.
 * Model files as users bring them (issue 23, "round two"): `.keras` archives written on Windows (backslashes in the
 * weight paths), Keras 3 variable names (DepthwiseConv2D's `kernel`), TensorFlow.js converter folders of Keras 3 models
 * (weight names prefixed with the model's name, `output_layers` as an object), and inputs with free axes explained at
 * the shape of the given input; tiny models written with the project's own writers, and the real files of
 * ../shared/models/wild2.
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
import {
  assertClose,
  rejectsWithoutLeaks,
  useWasm,
  flat,
  sharedDir,
  skipWithoutShared,
  withoutLeaks,
} from '../helpers.js';
import { writeKerasArchive } from './write-keras-archive.js';
import { writeKerasH5 } from './write-keras-h5.js';
import { gradients } from '../../src/attribution/gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { encodeNpy } from '../../src/io/npy.js';
import { itemsToBatch, readInputSource } from '../../src/pipeline/input-sources.js';
import { runCli, saveModelJson } from '../cli/cli-helpers.js';

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

const formatsDir = mkdtempSync(join(tmpdir(), 'wingbeats-formats-'));
after(() => rmSync(formatsDir, { recursive: true, force: true }));

const formatValues = (n: number, seed = 0): Float32Array =>
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
    const kernel = formatValues(12);
    const bias = Float32Array.from([0.1, -0.2, 0.05]);
    const path = join(formatsDir, 'windows.keras');
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
      { name: `depthwise_conv2d/${kernelName}:0`, shape: [2, 2, 2, 1], values: formatValues(8) },
      { name: 'depthwise_conv2d/bias:0', shape: [2], values: Float32Array.from([0.5, -0.5]) },
    ];
    const keras3 = join(formatsDir, 'depthwise-keras3.h5');
    const keras2 = join(formatsDir, 'depthwise-keras2.h5');
    await writeKerasH5(keras3, [['depthwise_conv2d', weights('kernel')]], config('sequential'));
    await writeKerasH5(keras2, [['depthwise_conv2d', weights('depthwise_kernel')]], config('sequential'));
    const a = await loadModel(keras3);
    const b = await loadModel(keras2);
    try {
      const x = tf.tensor(formatValues(18, 3), [1, 3, 3, 2]);
      const [ya, yb] = tf.tidy(() => [a.run(x, { scores: 'logits' }), b.run(x, { scores: 'logits' })]);
      const got = Array.from(ya.dataSync());
      // Output (0,0) of channel 0: the 2×2 window of channel 0 times its kernel, plus bias.
      const xs = formatValues(18, 3);
      const k = formatValues(8);
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
    const folder = join(formatsDir, 'tfjs-keras3');
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
    const file = await saveModelJson(original, join(formatsDir, 'free-axis'));
    original.dispose();
    const one = join(formatsDir, 'one.npy');
    const list = join(formatsDir, 'list.npy');
    writeFileSync(one, encodeNpy(formatValues(30), [10, 3]));
    writeFileSync(list, encodeNpy(formatValues(42, 5), [2, 7, 3]));
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
        const x = tf.tensor(path === one ? formatValues(30) : formatValues(42, 5), [n, ...shape]);
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
      writeFileSync(join(formatsDir, 'bad.npy'), encodeNpy(formatValues(40), [10, 4]));
      const bad = await runCli(['explain', '--model', file, '--input', join(formatsDir, 'bad.npy'), '--json']);
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
          const x = tf.tensor(formatValues(shape.reduce((a, b) => a * b, 1)), [1, ...shape]);
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
