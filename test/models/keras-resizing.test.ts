/**
 * Keras's preprocessing `Resizing` (bilinear and nearest, `crop_to_aspect_ratio`) and `CenterCrop` (a crop, and the
 * resize Keras does instead when the input is smaller) inside models (issue 23, "Layers"), written as a Keras 2 `.h5`
 * and a Keras 3 `.keras` with the project's own writers: logits and input gradients equal a float64 NumPy forward pass
 * of tf.image.resize's definition and central finite differences (scripts/reference/keras_resizing_reference.py →
 * test/fixtures/keras-resizing-reference.json); TensorFlow.js and ONNX Runtime agree on input gradients, LRP-ε and
 * DeepLIFT, DeepLIFT sums to f(x) − f(baseline), LRP-0 conserves relevance through a bias-free resize and crop; other
 * interpolations and options are refused in one line naming the layer and the option.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
// The engines the Node entry point registers (its own import would also load the chart and dataset modules: 0.8 s of CPU).
import '../../src/node/register-engines.js';
import { loadModel } from '../../src/models/load-model.js';
import { lrp } from '../../src/attribution/lrp.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { inputXGradient } from '../../src/attribution/input-x-gradient.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { CenterCrop, registerKerasCenterCrop } from '../../src/models/keras-center-crop.js';
import { Resizing, registerKerasResizing, resizeAxisMap } from '../../src/models/keras-resizing.js';
import { rejectsWithoutLeaks, repoRoot, useWasm } from '../helpers.js';
import { randomBatch, seedWeights } from '../tiny-models.js';
import { writeKerasH5 } from './write-keras-h5.js';
import { writeKerasArchive, type VariableToWrite } from './write-keras-archive.js';
import {
  INITIALIZERS,
  chainConfig,
  checkAgainstReference,
  h5Weights,
  enginesAgree,
  runOnEngine,
  type ReferenceCase as Case,
} from './keras-1d-chain.js';

type Json = Record<string, any>;
const reference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/keras-resizing-reference.json'), 'utf8'),
) as Record<string, Case>;

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-keras-resizing-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

const conv2d: [string, Json] = [
  'Conv2D',
  {
    name: 'conv2d',
    filters: 3,
    kernel_size: [3, 3],
    strides: [1, 1],
    padding: 'valid',
    data_format: 'channels_last',
    dilation_rate: [1, 1],
    activation: 'relu',
    use_bias: true,
    ...INITIALIZERS,
  },
];
const convHead: [string, Json][] = [
  conv2d,
  ['GlobalAveragePooling2D', { name: 'gap', data_format: 'channels_last' }],
  ['Dense', { name: 'dense', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }],
];
const resizing = (config: Json): [string, Json] => [
  'Resizing',
  { name: 'resizing', interpolation: 'bilinear', crop_to_aspect_ratio: false, ...config },
];

/** The reference's models, layer by layer (see the script's docstring). */
const MODELS: Record<string, [string, Json][]> = {
  resize_bilinear: [
    resizing({ height: 4, width: 8 }),
    ['Normalization', { name: 'normalization', axis: [-1], mean: [0.2, -0.1], variance: [1.5, 0.5] }],
    ...convHead,
  ],
  crop_nearest: [
    ['CenterCrop', { name: 'center_crop', height: 5, width: 3 }],
    resizing({ height: 6, width: 4, interpolation: 'nearest', crop_to_aspect_ratio: true }),
    ...convHead,
  ],
  center_crop_upsize: [
    ['CenterCrop', { name: 'center_crop', height: 5, width: 5 }],
    ['Flatten', { name: 'flatten' }],
    ['Dense', { name: 'dense', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }],
  ],
};

/** Keras 3's extra preprocessing options, as its `get_config` writes them. */
const KERAS3_OPTIONS: Record<string, Json> = {
  Resizing: { pad_to_aspect_ratio: false, fill_mode: 'constant', fill_value: 0.0, antialias: false },
  CenterCrop: {},
};

/** The chain as Keras 3 writes it: `batch_shape`, dtype policies, `{args, kwargs}` nodes, `data_format` options. */
function keras3Config(shape: number[], layers: [string, Json][]): Json {
  const config = chainConfig(shape, layers);
  let previous = '';
  config.config.layers = config.config.layers.map((layer: Json) => {
    const name = String(layer.name);
    const tensor = {
      class_name: '__keras_tensor__',
      config: { shape: null, dtype: 'float32', keras_history: [previous, 0, 0] },
    };
    previous = name;
    if (layer.class_name === 'InputLayer')
      return { ...layer, module: 'keras.layers', config: { name, batch_shape: [null, ...shape], dtype: 'float32' } };
    const extra = KERAS3_OPTIONS[layer.class_name];
    return {
      ...layer,
      module: 'keras.layers',
      registered_name: null,
      config: {
        ...layer.config,
        ...(extra === undefined ? {} : { ...extra, data_format: 'channels_last' }),
        dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } },
      },
      inbound_nodes: [{ args: [tensor], kwargs: {} }],
    };
  });
  return config;
}

/** `.keras` variables at the paths Keras's saving library uses (`layers/<name>/vars/<i>`). */
function archiveVariables(c: Case): VariableToWrite[] {
  const counts = new Map<string, number>();
  return c.weights.map((w) => {
    const group = `layers/${w.name.split('/')[0]}`;
    const i = counts.get(group) ?? 0;
    counts.set(group, i + 1);
    return { path: `${group}/vars/${i}`, shape: w.shape, values: Float32Array.from(w.values) };
  });
}

describe('Resizing and CenterCrop (Keras preprocessing layers) against NumPy float64', () => {
  for (const [name, layers] of Object.entries(MODELS)) {
    const c = reference[name];
    test(`${name}: a Keras 2 .h5 matches NumPy's forward pass and finite differences`, async () => {
      const path = join(dir, `${name}.h5`);
      await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers));
      await checkAgainstReference(path, c);
    });

    test(`${name}: a Keras 3 .keras (Keras 3 config names and options) matches too`, async () => {
      const path = join(dir, `${name}.keras`);
      await writeKerasArchive(path, keras3Config(c.shape, layers), archiveVariables(c));
      await checkAgainstReference(path, c);
    });

    test(`${name}: TensorFlow.js and ONNX Runtime agree on gradients, LRP-ε and DeepLIFT; DeepLIFT sums to the change`, async () => {
      const path = join(dir, `${name}-engines.h5`);
      await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers));
      const model = await loadModel(path);
      try {
        const x = tf.tensor(
          c.examples.flatMap((e) => e.input),
          [c.examples.length, ...c.shape],
        );
        const target = c.examples.map((e) => e.target);
        await enginesAgree(model, x, [
          [inputXGradient, { target }, 'input × gradient'],
          [lrp, { target, rule: 'epsilon', epsilon: 0.01 }, 'LRP-ε'],
          [deeplift, { target }, 'DeepLIFT'],
          [deeplift, { target, scores: 'probabilities' }, 'DeepLIFT of probabilities'],
        ]);
        x.dispose();
      } finally {
        model.dispose();
      }
    });
  }
});

/** Seeded weights of `shape` (a linear congruential generator, uniform in [−scale, scale]). */
function seeded(shape: number[], seed: number, scale = 0.4): number[] {
  let state = seed;
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return scale * (2 * (state / 2147483648) - 1);
  });
}

describe("TensorFlow's simple-audio tutorial model (spectrogram → Resizing → adapted Normalization → Conv2D …)", () => {
  test('loads at the spectrogram shape and both engines agree on gradients, LRP-ε and DeepLIFT', async () => {
    const conv = (name: string, filters: number): [string, Json] => ['Conv2D', { ...conv2d[1], name, filters }];
    const layers: [string, Json][] = [
      resizing({ height: 16, width: 16 }),
      ['Normalization', { name: 'normalization', axis: -1, mean: null, variance: null, invert: false }],
      conv('conv2d', 4),
      conv('conv2d_1', 6),
      ['MaxPooling2D', { name: 'max_pooling2d', pool_size: [2, 2], strides: [2, 2], padding: 'valid' }],
      ['Dropout', { name: 'dropout', rate: 0.25 }],
      ['Flatten', { name: 'flatten' }],
      ['Dense', { name: 'dense', units: 8, activation: 'relu', use_bias: true, ...INITIALIZERS }],
      ['Dropout', { name: 'dropout_1', rate: 0.5 }],
      ['Dense', { name: 'dense_1', units: 4, activation: 'linear', use_bias: true, ...INITIALIZERS }],
    ];
    const shapes: [string, number[]][] = [
      ['normalization/mean', [1]],
      ['normalization/variance', [1]],
      ['normalization/count', []],
      ['conv2d/kernel', [3, 3, 1, 4]],
      ['conv2d/bias', [4]],
      ['conv2d_1/kernel', [3, 3, 4, 6]],
      ['conv2d_1/bias', [6]],
      ['dense/kernel', [6 * 6 * 6, 8]],
      ['dense/bias', [8]],
      ['dense_1/kernel', [8, 4]],
      ['dense_1/bias', [4]],
    ];
    const fixed: Record<string, number[]> = {
      'normalization/mean': [0.3],
      'normalization/variance': [2.5],
      'normalization/count': [1000],
    };
    const weights = shapes.map(([name, shape], i) => ({ name, shape, values: fixed[name] ?? seeded(shape, 97 + i) }));
    const path = join(dir, 'simple-audio.h5');
    await writeKerasH5(path, h5Weights({ weights }), chainConfig([41, 33, 1], layers));
    const before = tf.memory().numTensors;
    const model = await loadModel(path);
    try {
      assert.deepEqual(model.inputShape, [41, 33, 1]);
      const x = randomBatch([2, 41, 33, 1], 98);
      const target = [0, 3];
      await enginesAgree(model, x, [
        [inputXGradient, { target }, 'input × gradient'],
        [lrp, { target, rule: 'epsilon', epsilon: 0.01 }, 'LRP-ε'],
        [deeplift, { target }, 'DeepLIFT'],
      ]);
      x.dispose();
    } finally {
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before, 'tensors left by load, explain and dispose');
  });
});

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;

describe('LRP through a resize and a crop', () => {
  test('without biases LRP-0 conserves relevance through bilinear Resizing and CenterCrop on both engines', async () => {
    registerKerasResizing();
    registerKerasCenterCrop();
    const input = tf.input({ shape: [6, 7, 2] });
    const layers = [
      new CenterCrop({ height: 5, width: 6 }),
      new Resizing({ height: 7, width: 4, interpolation: 'bilinear' }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', useBias: false }),
      new Resizing({ height: 3, width: 3, interpolation: 'nearest' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, useBias: false }),
    ];
    const net = tf.model({ inputs: input, outputs: layers.reduce((h, layer) => apply(layer, h), input) });
    seedWeights(net, 81);
    const model = ExplainableModel.from(net);
    const x = randomBatch([3, 6, 7, 2], 82);
    const logits = tf.tidy(() => model.run(x, { scores: 'logits' }).arraySync() as number[][]);
    const targets = logits.map((row) => row.indexOf(Math.max(...row)));
    for (const engine of ['tfjs', 'onnx'] as const) {
      const relevance = await runOnEngine(lrp, model, x, { target: targets, epsilon: 1e-9 }, engine);
      const size = relevance.attributions.length / 3;
      targets.forEach((t, r) => {
        const total = relevance.attributions.slice(r * size, (r + 1) * size).reduce((a, v) => a + v, 0);
        assert.ok(
          Math.abs(total - logits[r][t]) <= 1e-5 * Math.max(1, Math.abs(logits[r][t])),
          `${engine}, row ${r}: Σ relevance ${total} vs logit ${logits[r][t]}`,
        );
      });
    }
    x.dispose();
    model.dispose();
  });
});

describe('unsupported Resizing and CenterCrop options are refused in one line naming the layer', () => {
  for (const [what, layer, message] of [
    [
      "interpolation 'bicubic'",
      resizing({ height: 4, width: 4, interpolation: 'bicubic' }),
      /^layer 'resizing' \(Resizing\) of 'refused\.h5' has interpolation 'bicubic'; wingbeats-xai runs bilinear and nearest\.$/,
    ],
    [
      'pad_to_aspect_ratio',
      resizing({ height: 4, width: 4, pad_to_aspect_ratio: true }),
      /^layer 'resizing' \(Resizing\) of 'refused\.h5' has pad_to_aspect_ratio=True, which wingbeats-xai does not run \(crop_to_aspect_ratio is supported\)\.$/,
    ],
    [
      'channels_first data',
      ['CenterCrop', { name: 'center_crop', height: 2, width: 2, data_format: 'channels_first' }],
      /^layer 'center_crop' \(CenterCrop\) of 'refused\.h5' has data_format 'channels_first'; wingbeats-xai runs channels_last only\.$/,
    ],
    [
      'a height of 0',
      ['CenterCrop', { name: 'center_crop', height: 0, width: 2 }],
      /^layer 'center_crop' \(CenterCrop\) of 'refused\.h5' has height 0; expected a positive integer\.$/,
    ],
  ] as const) {
    test(`${what} is refused`, async () => {
      const path = join(dir, 'refused.h5');
      await writeKerasH5(path, [], chainConfig([5, 6, 2], [layer as [string, Json]]));
      await rejectsWithoutLeaks(() => loadModel(path), message as RegExp);
    });
  }
});

test('a directly constructed Resizing with an unsupported option is refused in one line naming the layer', () => {
  assert.throws(
    () => new Resizing({ name: 'r', height: 4, width: 4, interpolation: 'lanczos3' }),
    /^WingbeatsError: Layer 'r' \(Resizing\) has interpolation 'lanczos3'; wingbeats-xai runs bilinear and nearest\.$/,
  );
});

test("nearest resizing picks TensorFlow's source cell, computed in float32 (in 2 → out 41: cell 20 reads cell 0)", () => {
  /** The source cell of every output cell of a nearest map. */
  const sources = (n: number, m: number): number[] => {
    const { weights } = resizeAxisMap(n, m, 'nearest');
    return Array.from({ length: m }, (_, o) => Array.from({ length: n }, (_, i) => weights[i * m + o]).indexOf(1));
  };
  // Exact arithmetic gives ⌊20.5 · 2 / 41⌋ = 1; TensorFlow's float32 fl32(2 / 41) is just below 2 / 41.
  assert.equal(sources(2, 41)[20], 0);
  // The float32 rule, cell by cell, on a range of sizes.
  for (let n = 1; n <= 40; n++)
    for (let m = 1; m <= 40; m++) {
      const scale = Math.fround(n / m);
      const expected = Array.from({ length: m }, (_, o) =>
        Math.min(n - 1, Math.floor(Math.fround(Math.fround(o + 0.5) * scale))),
      );
      assert.deepEqual(sources(n, m), expected, `${n} → ${m}`);
    }
});
