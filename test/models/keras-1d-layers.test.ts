/**
 * Keras layers TensorFlow.js lacks (issue 23, "Layers"): the preprocessing `Normalization` (adapted weights with an
 * int64 `count`, config values right-aligned on the kept axes, `axis: null`), written as a Keras 2 `.h5` and a
 * Keras 3 `.keras` with the project's own writers. Logits and input gradients are checked against a float64 NumPy
 * forward pass and central finite differences (scripts/reference/keras_1d_layers_reference.py →
 * test/fixtures/keras-1d-layers-reference.json); unsupported options are refused in one line naming the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { assertClose, rejectsWithoutLeaks, repoRoot, useWasm } from '../helpers.js';
import { writeKerasH5 } from './write-keras-h5.js';
import {
  INITIALIZERS,
  chainConfig,
  checkAgainstReference,
  h5Weights,
  type ReferenceCase as Case,
} from './keras-1d-chain.js';
import { writeKerasArchive, type VariableToWrite } from './write-keras-archive.js';

type Json = Record<string, any>;
const reference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/keras-1d-layers-reference.json'), 'utf8'),
) as Record<string, Case>;

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-keras-1d-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

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
function archiveVariables(c: Case, paths: Record<string, string>): VariableToWrite[] {
  const counts = new Map<string, number>();
  return c.weights.map((w) => {
    const group = paths[w.name.split('/')[0]];
    const i = counts.get(group) ?? 0;
    counts.set(group, i + 1);
    return { path: `${group}/vars/${i}`, shape: w.shape, values: Float32Array.from(w.values) };
  });
}

describe('Normalization (Keras preprocessing layer) against NumPy float64', () => {
  const c = reference.normalization;
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
  const c = reference.upsampling;
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
  const c = reference.transpose;
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
  const c = reference.separable;
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
