/**
 * Keras layers TensorFlow.js lacks (issue 23, "Layers"). Forward and gradients: the preprocessing `Normalization`
 * (adapted weights with an int64 `count`, config values right-aligned on the kept axes, `axis: null`), UpSampling1D,
 * Conv1DTranspose and SeparableConv1D, written as a Keras 2 `.h5` and a Keras 3 `.keras` with the project's own
 * writers: logits and input gradients are checked against a float64 NumPy forward pass and central finite differences
 * (scripts/reference/keras_1d_layers_reference.py → test/fixtures/keras-1d-layers-reference.json); unsupported options
 * are refused in one line naming the layer.
 * LRP and DeepLIFT through them (the rules of LRP and DeepLIFT where they have a textbook rule): Normalization (ε on its
 * affine map, as batch norm), UpSampling1D (a copy: relevance by the plain gradient), Conv1DTranspose (the convolution
 * rule) and SeparableConv1D (the rule on each of its two convolutions); DeepLIFT's linear rule through all of them and
 * its rescale rule on the ReLUs they apply. Small Keras 2 `.h5` models written with the project's writer are checked
 * against float64 NumPy textbook implementations (scripts/reference/keras_1d_layers_rules_reference.py →
 * test/fixtures/keras-1d-layers-rules-reference.json) on TensorFlow.js and on ONNX Runtime, the engines agree for every
 * LRP rule and DeepLIFT's probabilities, DeepLIFT sums to f(x) − f(baseline), LRP conserves relevance without biases as
 * ε → 0, a final softmax of these layers is dropped alike on both engines, and LRP's refusal names the layer, the file
 * and what to use instead.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { assertClose, rejectsWithoutLeaks, repoRoot, useWasm, relativeError } from '../helpers.js';
import { writeKerasH5 } from './write-keras-h5.js';
import {
  INITIALIZERS,
  chainConfig,
  checkAgainstReference,
  h5Weights,
  type ReferenceCase as ForwardCase,
  runOnEngine,
  type Method,
} from './keras-1d-chain.js';
import { writeKerasArchive, type VariableToWrite } from './write-keras-archive.js';
import * as ort from 'onnxruntime-node';
import assert from 'node:assert/strict';
import { registerNodeEngines } from '../../src/node/onnx/onnx-backend.js';
import { useWorkerThreads } from '../../src/node/parallel/thread-pool.js';
import { lrp } from '../../src/attribution/lrp.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { type PassState, executeGraph } from '../../src/execution/execute-graph.js';
import { resolveFastPaths } from '../../src/execution/fast-paths.js';
import { inputXGradient } from '../../src/attribution/input-x-gradient.js';
import { OnnxGraph } from '../../src/onnx/onnx-graph.js';
import { lowerModel } from '../../src/onnx/lower-model.js';
import { Normalization, registerKerasNormalization } from '../../src/models/keras-normalization.js';
import { UpSampling1D, registerKerasUpSampling1D } from '../../src/models/keras-upsampling1d.js';
import { Conv1DTranspose, registerKerasConv1DTranspose } from '../../src/models/keras-conv1d-transpose.js';
import { SeparableConv1D, registerKerasSeparableConv1D } from '../../src/models/keras-separable-conv1d.js';
import { randomBatch, seedWeights } from '../tiny-models.js';
import { saveModelJson } from '../cli/cli-helpers.js';

const forwardReference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/keras-1d-layers-reference.json'), 'utf8'),
) as Record<string, ForwardCase>;

/** The layers of the reference's normalization model (`n1Config` changes the first Normalization). */
function normalizationLayers(n1Config: Json = {}): [string, Json][] {
  return [
    ['Normalization', { name: 'normalization', axis: [-1], mean: null, variance: null, invert: false, ...n1Config }],
    ['Normalization', { name: 'normalization_1', axis: [1, 2], mean: [0.1, -0.2, 0.3], variance: [0.5, 2.0, 1.5] }],
    ['Normalization', { name: 'normalization_2', axis: null, mean: 0.5, variance: 4.0 }],
    ['Flatten', { name: 'flatten' }],
    ['Dense', { name: 'dense', units: 5, activation: 'tanh', use_bias: true, ...INITIALIZERS }],
    ['Dense', { name: 'out', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }],
  ];
}

/** `.keras` variables at the paths Keras's saving library uses (`layers/<snake_case class>/vars/<i>`). */
function archiveVariables(c: ForwardCase, paths: Record<string, string>): VariableToWrite[] {
  const counts = new Map<string, number>();
  return c.weights.map((w) => {
    const group = paths[w.name.split('/')[0]];
    const i = counts.get(group) ?? 0;
    counts.set(group, i + 1);
    return { path: `${group}/vars/${i}`, shape: w.shape, values: Float32Array.from(w.values) };
  });
}

describe('Normalization (Keras preprocessing layer) against NumPy float64', () => {
  const c = forwardReference.normalization;
  test('a Keras 2 .h5 (adapted mean/variance/int64 count, config values, axis null) matches', async () => {
    const path = join(dir, 'normalization.h5');
    await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, normalizationLayers()));
    await checkAgainstReference(path, c);
  });

  test('a Keras 3 .keras (variables under layers/normalization/vars) matches too', async () => {
    const path = join(dir, 'normalization.keras');
    const paths = { normalization: 'layers/normalization', dense: 'layers/dense', out: 'layers/dense_1' };
    await writeKerasArchive(path, chainConfig(c.shape, normalizationLayers()), archiveVariables(c, paths));
    await checkAgainstReference(path, c);
  });

  test('a standard deviation below Keras epsilon is floored at 1e-7 (hand-computed)', async () => {
    const path = join(dir, 'normalization-epsilon.h5');
    const config = chainConfig([2], [['Normalization', { name: 'n', axis: -1, mean: [1, -1], variance: [0, 4e-14] }]]);
    await writeKerasH5(path, [['n', []]], config);
    const model = await loadModel(path);
    const x = tf.tensor([[1.5, -1]]);
    const y = tf.tidy(() => Array.from(model.run(x, { scores: 'logits' }).dataSync()));
    // (1.5 − 1) / max(0, 1e-7) and (−1 + 1) / max(2e-7, 1e-7)
    assertClose(y, [0.5 / 1e-7, 0], 1e-6 * (0.5 / 1e-7), 0, 'floored');
    x.dispose();
    model.dispose();
  });

  for (const [what, n1Config, message] of [
    [
      'invert=True',
      { invert: true },
      "Layer 'normalization' \\(Normalization\\) has invert=True, which wingbeats-xai does not run\\.",
    ],
    [
      'the batch axis',
      { axis: [0] },
      "Layer 'normalization' \\(Normalization\\) has axis \\[0\\] on inputs of shape \\[null,6,3\\]; wingbeats-xai normalises over non-batch axes of known size only\\.",
    ],
  ] as const) {
    test(`a Normalization with ${what} is refused in one line naming the layer`, async () => {
      const path = join(dir, 'refused.h5');
      await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, normalizationLayers(n1Config)));
      await rejectsWithoutLeaks(() => loadModel(path), new RegExp(message));
    });
  }
});

describe('UpSampling1D against NumPy float64', () => {
  const c = forwardReference.upsampling;
  const layers = (size: unknown): [string, Json][] => [
    ['UpSampling1D', { name: 'up_sampling1d', size }],
    [
      'Conv1D',
      {
        name: 'conv1d',
        filters: 3,
        kernel_size: [4],
        strides: [1],
        padding: 'valid',
        dilation_rate: [1],
        activation: 'tanh',
        use_bias: true,
        ...INITIALIZERS,
      },
    ],
    ['Flatten', { name: 'flatten' }],
    ['Dense', { name: 'out', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }],
  ];

  test('a Keras 2 .h5 (size 3, then a valid Conv1D) matches the forward pass and finite differences', async () => {
    const path = join(dir, 'upsampling.h5');
    await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers(3)));
    await checkAgainstReference(path, c);
  });

  test('a Keras 3 .keras matches too', async () => {
    const path = join(dir, 'upsampling.keras');
    const paths = { conv1d: 'layers/conv1d', out: 'layers/dense' };
    await writeKerasArchive(path, chainConfig(c.shape, layers(3)), archiveVariables(c, paths));
    await checkAgainstReference(path, c);
  });

  test('a size that is not a positive integer is refused in one line naming the layer', async () => {
    const path = join(dir, 'upsampling-bad.h5');
    await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers(0)));
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /Layer 'up_sampling1d' \(UpSampling1D\) has size 0; expected a positive integer\./,
    );
  });
});

describe('Conv1DTranspose against NumPy float64', () => {
  const c = forwardReference.transpose;
  const transpose = (name: string, config: Json): [string, Json] => [
    'Conv1DTranspose',
    {
      name,
      strides: [1],
      output_padding: null,
      data_format: 'channels_last',
      dilation_rate: [1],
      activation: 'linear',
      use_bias: true,
      ...INITIALIZERS,
      ...config,
    },
  ];
  const layers = (extra: Json = {}): [string, Json][] => [
    transpose('conv1d_transpose', { filters: 3, kernel_size: [3], strides: [2], padding: 'same', activation: 'tanh' }),
    transpose('conv1d_transpose_1', { filters: 2, kernel_size: [4], strides: [3], padding: 'valid', use_bias: false }),
    transpose('conv1d_transpose_2', {
      filters: 2,
      kernel_size: [3],
      strides: [2],
      padding: 'same',
      output_padding: [1],
      activation: 'tanh',
      ...extra,
    }),
    ['Flatten', { name: 'flatten' }],
    ['Dense', { name: 'out', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }],
  ];

  test('a Keras 2 .h5 (same, valid without bias, output_padding) matches the forward pass and finite differences', async () => {
    const path = join(dir, 'transpose.h5');
    await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers()));
    await checkAgainstReference(path, c);
  });

  test('a Keras 3 .keras matches too', async () => {
    const path = join(dir, 'transpose.keras');
    const paths = {
      conv1d_transpose: 'layers/conv1d_transpose',
      conv1d_transpose_1: 'layers/conv1d_transpose_1',
      conv1d_transpose_2: 'layers/conv1d_transpose_2',
      out: 'layers/dense',
    };
    await writeKerasArchive(path, chainConfig(c.shape, layers()), archiveVariables(c, paths));
    await checkAgainstReference(path, c);
  });

  for (const [what, extra, message] of [
    ['a dilation', { dilation_rate: [2] }, 'has dilation_rate \\[2\\]; wingbeats-xai runs dilation 1 only'],
    ['causal padding', { padding: 'causal' }, "has padding \"causal\"; wingbeats-xai runs 'same' or 'valid' only"],
  ] as const) {
    test(`a Conv1DTranspose with ${what} is refused in one line naming the layer and the option`, async () => {
      const path = join(dir, 'transpose-bad.h5');
      await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers(extra)));
      await rejectsWithoutLeaks(
        () => loadModel(path),
        new RegExp(`Layer 'conv1d_transpose_2' \\(Conv1DTranspose\\) ${message}\\.`),
      );
    });
  }
});

describe('SeparableConv1D against NumPy float64', () => {
  const c = forwardReference.separable;
  const separable = (name: string, config: Json): [string, Json] => [
    'SeparableConv1D',
    {
      name,
      strides: [1],
      data_format: 'channels_last',
      dilation_rate: [1],
      depth_multiplier: 1,
      activation: 'linear',
      use_bias: true,
      ...INITIALIZERS,
      ...config,
    },
  ];
  const layers = (extra: Json = {}): [string, Json][] => [
    separable('separable_conv1d', {
      filters: 4,
      kernel_size: [3],
      padding: 'same',
      depth_multiplier: 2,
      activation: 'tanh',
    }),
    separable('separable_conv1d_1', {
      filters: 2,
      kernel_size: [3],
      strides: [2],
      padding: 'valid',
      use_bias: false,
      ...extra,
    }),
    ['Flatten', { name: 'flatten' }],
    ['Dense', { name: 'out', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }],
  ];

  test('a Keras 2 .h5 (same with multiplier 2, strided valid without bias) matches NumPy and finite differences', async () => {
    const path = join(dir, 'separable.h5');
    await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers()));
    await checkAgainstReference(path, c);
  });

  test('a Keras 3 .keras matches too', async () => {
    const path = join(dir, 'separable.keras');
    const paths = {
      separable_conv1d: 'layers/separable_conv1d',
      separable_conv1d_1: 'layers/separable_conv1d_1',
      out: 'layers/dense',
    };
    await writeKerasArchive(path, chainConfig(c.shape, layers()), archiveVariables(c, paths));
    await checkAgainstReference(path, c);
  });

  for (const [what, extra, message] of [
    [
      'a dilation',
      { dilation_rate: [2], strides: [1] },
      'has dilation_rate \\[2\\]; wingbeats-xai runs dilation 1 only',
    ],
    ['causal padding', { padding: 'causal' }, "has padding \"causal\"; wingbeats-xai runs 'same' or 'valid' only"],
  ] as const) {
    test(`a SeparableConv1D with ${what} is refused in one line naming the layer and the option`, async () => {
      const path = join(dir, 'separable-bad.h5');
      await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers(extra)));
      await rejectsWithoutLeaks(
        () => loadModel(path),
        new RegExp(`Layer 'separable_conv1d_1' \\(SeparableConv1D\\) ${message}\\.`),
      );
    });
  }
});

type Json = Record<string, any>;
interface Example {
  input: number[];
  baseline: number[];
  logits: number[];
  target: number;
  lrpEpsilon: number[];
  deepliftZeros: number[];
  changeZeros: number;
  deepliftBaseline: number[];
  changeBaseline: number;
}
interface Case {
  shape: number[];
  epsilon: number;
  weights: { name: string; shape: number[]; values: number[] }[];
  examples: Example[];
}
const reference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/keras-1d-layers-rules-reference.json'), 'utf8'),
) as Record<string, Case>;

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-keras-1d-rules-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

const conv1d = (name: string, filters: number, config: Json = {}): [string, Json] => [
  'Conv1D',
  {
    name,
    filters,
    kernel_size: [3],
    strides: [1],
    padding: 'valid',
    dilation_rate: [1],
    activation: 'relu',
    use_bias: true,
    ...INITIALIZERS,
    ...config,
  },
];
const head: [string, Json][] = [
  ['Flatten', { name: 'flatten' }],
  ['Dense', { name: 'out', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }],
];
const common = { strides: [1], data_format: 'channels_last', dilation_rate: [1], use_bias: true, ...INITIALIZERS };

/** The reference's models, layer by layer (see the script's docstring). */
const MODELS: Record<string, [string, Json][]> = {
  rules_normalization: [
    ['Normalization', { name: 'normalization', axis: [-1], mean: null, variance: null, invert: false }],
    conv1d('conv1d', 4),
    ...head,
  ],
  rules_upsampling: [['UpSampling1D', { name: 'up_sampling1d', size: 2 }], conv1d('conv1d', 3), ...head],
  rules_transpose: [
    [
      'Conv1DTranspose',
      {
        ...common,
        name: 'conv1d_transpose',
        filters: 3,
        kernel_size: [3],
        strides: [2],
        padding: 'same',
        output_padding: null,
        activation: 'relu',
      },
    ],
    [
      'Conv1DTranspose',
      {
        ...common,
        name: 'conv1d_transpose_1',
        filters: 2,
        kernel_size: [2],
        strides: [3],
        padding: 'valid',
        output_padding: null,
        activation: 'relu',
        use_bias: false,
      },
    ],
    ...head,
  ],
  rules_separable: [
    [
      'SeparableConv1D',
      {
        ...common,
        name: 'separable_conv1d',
        filters: 4,
        kernel_size: [3],
        padding: 'same',
        depth_multiplier: 2,
        activation: 'relu',
      },
    ],
    [
      'SeparableConv1D',
      {
        ...common,
        name: 'separable_conv1d_1',
        filters: 2,
        kernel_size: [3],
        strides: [2],
        padding: 'valid',
        depth_multiplier: 1,
        activation: 'relu',
        use_bias: false,
      },
    ],
    ...head,
  ],
  rules_transpose2d: [
    ['Rescaling', { name: 'rescaling', scale: 0.5, offset: -0.2 }],
    [
      'Conv2DTranspose',
      {
        ...common,
        name: 'conv2d_transpose',
        filters: 3,
        kernel_size: [3, 3],
        strides: [2, 2],
        padding: 'same',
        dilation_rate: [1, 1],
        output_padding: null,
        activation: 'relu',
      },
    ],
    ['UpSampling2D', { name: 'up_sampling2d', size: [1, 2], data_format: 'channels_last', interpolation: 'nearest' }],
    [
      'Conv2DTranspose',
      {
        ...common,
        name: 'conv2d_transpose_1',
        filters: 2,
        kernel_size: [2, 2],
        strides: [2, 1],
        padding: 'valid',
        dilation_rate: [1, 1],
        output_padding: null,
        activation: 'relu',
        use_bias: false,
      },
    ],
    ...head,
  ],
};

/**
 * What importing the Node entry point does (worker threads, the ONNX Runtime engine), for the LRP and DeepLIFT tests
 * that run on both engines; the forward tests above run before it, on TensorFlow.js alone (engine auto without ONNX).
 */
function registerEngines(): void {
  useWorkerThreads();
  registerNodeEngines();
}

const ENGINES = ['tfjs', 'onnx'] as const;

describe('LRP and DeepLIFT through Normalization, UpSampling1D/2D, Conv1D/2DTranspose, SeparableConv1D, Rescaling', () => {
  before(registerEngines);
  for (const [name, layers] of Object.entries(MODELS))
    test(`${name}: LRP-ε and DeepLIFT equal NumPy's float64 textbook on both engines, which agree on every rule`, async () => {
      const c = reference[name];
      const path = join(dir, `${name}.h5`);
      await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers));
      const model = await loadModel(path);
      try {
        for (const [k, e] of c.examples.entries()) {
          const x = tf.tensor(e.input, [1, ...c.shape]);
          const baseline = tf.tensor(e.baseline, [1, ...c.shape]);
          for (const engine of ENGINES) {
            const at = `${name}, example ${k}, ${engine}`;
            const relevance = await runOnEngine(lrp, model, x, { target: e.target, epsilon: c.epsilon }, engine);
            // float32 against float64: 1e-5 of the largest relevance
            const scale = Math.max(...e.lrpEpsilon.map(Math.abs));
            assertClose(relevance.attributions, e.lrpEpsilon, 2e-5 * scale, 0, `LRP-ε, ${at}`);
            for (const [label, options, expected, change] of [
              ['zeros', {}, e.deepliftZeros, e.changeZeros],
              ['a baseline', { baseline }, e.deepliftBaseline, e.changeBaseline],
            ] as const) {
              const result = await runOnEngine(deeplift, model, x, { target: e.target, ...options }, engine);
              const size = Math.max(...expected.map(Math.abs));
              assertClose(result.attributions, expected, 2e-5 * size, 0, `DeepLIFT from ${label}, ${at}`);
              // summation to delta: Σ attributions = f(x) − f(baseline) up to float32 rounding
              assert.ok(
                Math.abs(result.delta![0]) <= 1e-5 * Math.max(1, Math.abs(change)),
                `DeepLIFT's delta ${result.delta![0]} from ${label}, ${at}`,
              );
            }
          }
          x.dispose();
          baseline.dispose();
        }
        // every LRP rule and DeepLIFT with probabilities: the same numbers on both engines, over a batch
        const x = tf.tensor(
          c.examples.flatMap((e) => e.input),
          [c.examples.length, ...c.shape],
        );
        for (const [method, options, tolerance] of [
          [lrp, { rule: 'epsilon' }, 1e-5],
          [lrp, { rule: 'gamma', gamma: 0.25 }, 1e-4],
          [lrp, { rule: 'alpha-beta', alpha: 2, beta: 1 }, 1e-5],
          [lrp, { rule: 'z-plus' }, 1e-5],
          [lrp, { rule: 'epsilon', epsilon: 0.1, scores: 'probabilities' }, 1e-5],
          [deeplift, { scores: 'probabilities' }, 1e-3],
        ] as const) {
          const expected = await runOnEngine(method as Method, model, x, options, 'tfjs');
          const got = await runOnEngine(method as Method, model, x, options, 'onnx');
          const error = relativeError(got.attributions, expected.attributions);
          assert.ok(error <= tolerance, `${name} ${JSON.stringify(options)}: engines differ by ${error}`);
        }
        x.dispose();
      } finally {
        model.dispose();
      }
    });
});

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor): tf.SymbolicTensor => layer.apply(x) as tf.SymbolicTensor;

/**
 * [6, 2] → Normalization(mean 0: no shift) → Conv1DTranspose(relu) → UpSampling1D → SeparableConv1D(relu) → Flatten →
 * Dense, every layer without a bias: LRP-0's relevance sums to the target logit.
 */
function biasFreeNet(): tf.LayersModel {
  registerKerasNormalization();
  registerKerasUpSampling1D();
  registerKerasConv1DTranspose();
  registerKerasSeparableConv1D();
  const x = tf.input({ shape: [6, 2] });
  const layers = [
    new Normalization({ axis: -1, mean: [0, 0], variance: [2, 0.5] }),
    new Conv1DTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', useBias: false }),
    new UpSampling1D({ size: 2 }),
    new SeparableConv1D({ filters: 2, kernelSize: 3, depthMultiplier: 2, activation: 'relu', useBias: false }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3, useBias: false }),
  ];
  const model = tf.model({ inputs: x, outputs: layers.reduce((h, layer) => apply(layer, h), x) });
  seedWeights(model, 75);
  return model;
}

describe('LRP conservation and refusals, a final softmax of these layers', () => {
  before(registerEngines);
  test('without biases LRP conserves relevance as ε → 0 on both engines, and LRP-0 equals input × gradient', async () => {
    const model = ExplainableModel.from(biasFreeNet());
    const x = randomBatch([4, 6, 2], 76);
    const logits = tf.tidy(() => model.run(x, { scores: 'logits' }).arraySync() as number[][]);
    const targets = logits.map((row) => row.indexOf(Math.max(...row)));
    for (const engine of ENGINES) {
      const relevance = await runOnEngine(lrp, model, x, { target: targets, epsilon: 1e-9 }, engine);
      const size = relevance.attributions.length / 4;
      targets.forEach((t, r) => {
        const total = relevance.attributions.slice(r * size, (r + 1) * size).reduce((a, v) => a + v, 0);
        assert.ok(
          Math.abs(total - logits[r][t]) <= 1e-5 * Math.max(1, Math.abs(logits[r][t])),
          `${engine}, row ${r}: Σ relevance ${total} vs logit ${logits[r][t]}`,
        );
      });
      const zero = await runOnEngine(lrp, model, x, { target: targets, epsilon: 0 }, engine);
      const ixg = await runOnEngine(inputXGradient as Method, model, x, { target: targets }, engine);
      assert.ok(relativeError(zero.attributions, ixg.attributions) <= 2e-6, `${engine}: LRP-0 = input × gradient`);
    }
    x.dispose();
    model.dispose();
  });

  test('LRP refuses a layer without a rule in one line naming the layer, the file and what to use; DeepLIFT runs', async () => {
    const c = reference.rules_normalization;
    const path = join(dir, 'tanh-conv.h5');
    const layers = MODELS.rules_normalization.map(([cls, config]): [string, Json] =>
      cls === 'Conv1D' ? [cls, { ...config, activation: 'tanh' }] : [cls, config],
    );
    await writeKerasH5(path, h5Weights(c), chainConfig(c.shape, layers));
    const model = await loadModel(path);
    const x = tf.tensor(c.examples[0].input, [1, ...c.shape]);
    for (const engine of ENGINES)
      await rejectsWithoutLeaks(
        () => lrp(model, x, { workers: 1, ...(engine === 'tfjs' ? { engine } : {}) }),
        /^'lrp' propagates relevance through ReLU networks; layer 'conv1d' uses activation 'tanh'\. For 'tanh-conv\.h5': explain it with 'deeplift' or a gradient method \(saliency, integrated-gradients\) instead\.$/,
      );
    const result = await runOnEngine(deeplift, model, x, {}, 'onnx');
    assert.equal(result.attributions.length, 18);
    x.dispose();
    model.dispose();
    // a layer class without a textbook LRP rule (layer normalization divides by its input's own spread)
    const input = tf.input({ shape: [4, 3] });
    const norm = ExplainableModel.from(
      tf.model({
        inputs: input,
        outputs: apply(
          tf.layers.dense({ units: 2 }),
          apply(tf.layers.flatten(), apply(tf.layers.layerNormalization({ name: 'ln' }), input)),
        ),
      }),
    );
    const z = randomBatch([1, 4, 3], 77);
    await rejectsWithoutLeaks(
      () => lrp(norm, z, { workers: 1 }),
      /^'lrp' has no LRP rule for layer 'ln' of class LayerNormalization; supported: .*\. For this model: explain it with 'deeplift' or a gradient method \(saliency, integrated-gradients\) instead\.$/,
    );
    z.dispose();
    norm.dispose();
  });

  for (const [className, make] of [
    [
      'Conv1DTranspose',
      (activation: string) =>
        new Conv1DTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation }),
    ],
    ['SeparableConv1D', (activation: string) => new SeparableConv1D({ filters: 3, kernelSize: 2, activation })],
  ] as const)
    test(`a ${className} with a softmax as the last layer gives its logits on both engines (the softmax dropped)`, async () => {
      registerKerasConv1DTranspose();
      registerKerasSeparableConv1D();
      const x = tf.input({ shape: [5, 2] });
      const model = tf.model({ inputs: x, outputs: apply(make('softmax'), x) });
      seedWeights(model, 78);
      const twin = tf.model({ inputs: x, outputs: apply(make('linear'), x) });
      twin.setWeights(model.getWeights());
      const batch = randomBatch([2, 5, 2], 79);
      const logits = tf.tidy(() => Array.from((twin.apply(batch) as tf.Tensor).dataSync()));
      // TensorFlow.js's executor, the output as logits (as every method's pass on logits runs it)
      const state: PassState = {
        dropoutKeep: null,
        hookCalls: 0,
        fastPaths: resolveFastPaths('test', undefined),
        folds: new Map(),
        foldedNorms: new Set(),
        kernels: null,
      };
      const executed = tf.tidy(() => Array.from(executeGraph(model, [batch], state, [true])[0].dataSync()));
      assertClose(executed, logits, 1e-6, 1e-5, `${className} logits on TensorFlow.js`);
      const kept = tf.tidy(() => Array.from(executeGraph(model, [batch], state, [false])[0].dataSync()));
      const probabilities = tf.tidy(() => Array.from((model.apply(batch) as tf.Tensor).dataSync()));
      assertClose(kept, probabilities, 1e-6, 1e-5, `${className} probabilities when the softmax is kept`);
      // the ONNX lowering, the output as logits
      const g = new OnnxGraph();
      const input = g.input('x', [5, 2]);
      const { output } = lowerModel(g, model, [{ name: input, shape: [5, 2] }], {
        outputIndex: 0,
        stripFinalSoftmax: true,
        dropout: false,
      });
      g.output('y', output.name, output.shape);
      const session = await ort.InferenceSession.create(g.encode('final_softmax'));
      const fed = new ort.Tensor('float32', batch.dataSync() as Float32Array, batch.shape);
      const { y } = await session.run({ x: fed });
      await session.release();
      assertClose(Array.from(y.data as Float32Array), logits, 1e-6, 1e-5, `${className} logits on ONNX Runtime`);
      batch.dispose();
      model.dispose();
      twin.dispose();
    });
});

/**
 * A TensorFlow.js folder as tensorflowjs_converter writes one for a model with an adapted Normalization: its int64
 * `count` stored as int32 (the converter's conversion of int64), or left int64; mean and variance float32. Written
 * with the project's own folder writer (`saveModelJson`), then the count's spec and bytes rewritten.
 */
async function normalizationFolder(
  model: tf.LayersModel,
  folder: string,
  countDtype: 'int32' | 'int64',
  count: bigint,
): Promise<string> {
  const file = await saveModelJson(model, folder);
  const json = JSON.parse(readFileSync(file, 'utf8'));
  const bin = readFileSync(join(folder, 'weights.bin'));
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const spec of json.weightsManifest[0].weights as { name: string; shape: number[]; dtype: string }[]) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * 4;
    if (spec.name.endsWith('/count')) {
      spec.dtype = countDtype;
      parts.push(
        new Uint8Array((countDtype === 'int32' ? new Int32Array([Number(count)]) : new BigInt64Array([count])).buffer),
      );
    } else parts.push(bin.subarray(offset, offset + size));
    offset += size;
  }
  writeFileSync(file, JSON.stringify(json));
  writeFileSync(join(folder, 'weights.bin'), Buffer.concat(parts));
  return file;
}

describe('a TensorFlow.js converter folder with an adapted Normalization', () => {
  before(registerEngines);
  test('loads with its count stored as int32 or int64 and explains as the original model on both engines', async () => {
    registerKerasNormalization();
    const x = tf.input({ shape: [6, 2] });
    const adapted = new Normalization({ axis: -1 });
    const hidden = apply(tf.layers.conv1d({ filters: 3, kernelSize: 3, activation: 'relu' }), apply(adapted, x));
    const out = apply(tf.layers.dense({ units: 3, activation: 'softmax' }), apply(tf.layers.flatten(), hidden));
    const original = tf.model({ inputs: x, outputs: out });
    seedWeights(original, 91);
    adapted.setWeights([tf.tensor([0.4, -1.2]), tf.tensor([2.5, 0.3]), tf.scalar(120)]);
    const reference = ExplainableModel.from(original);
    const batch = randomBatch([3, 6, 2], 92);
    const expected = {
      logits: tf.tidy(() => Array.from(reference.run(batch, { scores: 'logits' }).dataSync())),
      lrp: await runOnEngine(lrp, reference, batch, {}, 'tfjs'),
      deeplift: await runOnEngine(deeplift, reference, batch, {}, 'tfjs'),
    };
    for (const dtype of ['int32', 'int64'] as const) {
      const file = await normalizationFolder(original, join(dir, `tfjs-${dtype}`), dtype, 120n);
      const model = await loadModel(file);
      try {
        const logits = tf.tidy(() => Array.from(model.run(batch, { scores: 'logits' }).dataSync()));
        assertClose(logits, expected.logits, 1e-6, 1e-6, `logits, count ${dtype}`);
        const layer = model.layersModel!.layers.find((l) => l.getClassName() === 'Normalization')!;
        assert.deepEqual(Array.from(layer.getWeights()[2].dataSync()), [120], `count ${dtype}`);
        for (const engine of ENGINES) {
          const relevance = await runOnEngine(lrp, model, batch, {}, engine);
          assert.ok(
            relativeError(relevance.attributions, expected.lrp.attributions) <= 1e-5,
            `LRP, ${dtype}, ${engine}`,
          );
          const lift = await runOnEngine(deeplift, model, batch, {}, engine);
          assert.ok(
            relativeError(lift.attributions, expected.deeplift.attributions) <= 1e-5,
            `DeepLIFT, ${dtype}, ${engine}`,
          );
        }
      } finally {
        model.dispose();
      }
    }
    // an int64 beyond int32 is refused in one line naming the weight and the file
    const file = await normalizationFolder(original, join(dir, 'tfjs-huge'), 'int64', 1n << 40n);
    await rejectsWithoutLeaks(
      () => loadModel(file),
      /^The int64 weight '.*\/count' of 'model\.json' holds 1099511627776, which does not fit in int32 \(TensorFlow\.js's widest integer\)\.$/,
    );
    batch.dispose();
    reference.dispose();
  });
});
