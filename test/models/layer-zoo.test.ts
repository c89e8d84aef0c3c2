/**
 * The layers of issue 23 that run on TensorFlow.js, in one Keras 2 functional model written with the project's own
 * HDF5 writer: Dense with gelu / swish / silu / elu / selu, LayerNormalization, LeakyReLU, PReLU, ELU, ReLU with
 * options, and the plain tensor ops Keras 2 saves as TFOpLambda / SlicingOpLambda. Logits and input gradients are
 * checked against a float64 NumPy forward pass and central finite differences (scripts/reference/layer-zoo.py →
 * test/fixtures/layer-zoo.json); a TFOpLambda calling anything else is refused in one line naming it. Keras 2's
 * `SlicingOpLambda` (`x[:, a:b]` in a functional model) reads a slice as Python does: negative starts, stops and
 * indices count from the end (a stop of −1 leaves the last element out), an omitted stop runs to the end; checked
 * against slices worked out by hand on a [1, 6, 2] input holding 0…11.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { gradients } from '../../src/attribution/gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { assertClose, flat, rejectsWithoutLeaks, repoRoot, useWasm } from '../helpers.js';
import { registerTensorOpLayer, TensorOpLayer } from '../../src/models/tensor-op-layer.js';
import { writeKerasH5, type WeightToWrite } from './write-keras-h5.js';

interface Reference {
  shape: number[];
  examples: { k: number; logits: number[]; target: number; gradient: number[] }[];
}
const reference = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/layer-zoo.json'), 'utf8')) as Reference;

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-zoo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

/** The reference script's weights: float32(((i*37 + seed*11) % 23) / 23 - 0.5). */
function weight(shape: number[], seed: number, offset = 0): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => offset + (((i * 37 + seed * 11) % 23) / 23 - 0.5));
}

function deterministicInput(shape: number[], k: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, (_, i) => ((i * 7919 + k * 104729) % 2003) / 1001.5 - 1);
}

type Ref = [string, number, number, Record<string, unknown>];
const ref = (name: string, kwargs: Record<string, unknown> = {}): Ref => [name, 0, 0, kwargs];

/** A Keras 2 functional layer entry called on `inputs` (TFOpLambda nodes are one level shallower, as Keras 2 writes). */
function layer(className: string, config: Record<string, unknown>, inputs: Ref[], opLambda = false) {
  return {
    class_name: className,
    name: config.name,
    config,
    inbound_nodes: opLambda ? [inputs.length === 1 ? inputs[0] : inputs] : [inputs],
  };
}

const op = (name: string, fn: string, input: Ref) =>
  layer(
    name.startsWith('slice') ? 'SlicingOpLambda' : 'TFOpLambda',
    { name, function: fn, dtype: 'float32' },
    [input],
    true,
  );

function zooConfig(lastFunction = 'concat') {
  const layers = [
    { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 6, 4] }, inbound_nodes: [] },
    layer('Dense', { name: 'dense_gelu', units: 4, activation: 'gelu' }, [ref('x')]),
    layer('LayerNormalization', { name: 'layer_normalization', axis: [2], epsilon: 1e-3 }, [ref('dense_gelu')]),
    op('tf.__operators__.add', '__operators__.add', ref('layer_normalization', { y: ['x', 0, 0], name: null })),
    layer('LeakyReLU', { name: 'leaky_re_lu', alpha: 0.2 }, [ref('tf.__operators__.add')]),
    layer('PReLU', { name: 'p_re_lu', shared_axes: [1] }, [ref('leaky_re_lu')]),
    layer('ELU', { name: 'elu', alpha: 0.7 }, [ref('p_re_lu')]),
    layer('ReLU', { name: 're_lu', max_value: 2.0, negative_slope: 0.1, threshold: 0.05 }, [ref('elu')]),
    op('tf.math.multiply', 'math.multiply', ref('re_lu', { y: 0.5, name: null })),
    layer('Dense', { name: 'dense_swish', units: 4, activation: 'swish' }, [ref('x')]),
    op('tf.math.subtract', 'math.subtract', ref('tf.math.multiply', { y: ['dense_swish', 0, 0], name: null })),
    op(
      'slice',
      '__operators__.getitem',
      ref('tf.math.subtract', {
        slice_spec: [
          { start: null, stop: null, step: null },
          { start: 1, stop: 5, step: null },
        ],
      }),
    ),
    op('tf.transpose', 'transpose', ref('slice', { perm: [0, 2, 1], name: null })),
    op('tf.reshape', 'reshape', ref('tf.transpose', { shape: [-1, 16], name: null })),
    op('tf.math.reduce_mean', 'math.reduce_mean', ref('tf.transpose', { axis: 2, name: null })),
    op('tf.math.reduce_max', 'math.reduce_max', ref('tf.transpose', { axis: 1, name: null })),
    layer(
      'TFOpLambda',
      { name: 'tf.concat', function: lastFunction, dtype: 'float32' },
      [ref('tf.reshape'), ref('tf.math.reduce_mean'), ref('tf.math.reduce_max', { axis: -1, name: null })],
      true,
    ),
    layer('Dense', { name: 'dense_silu', units: 5, activation: 'silu' }, [ref('tf.concat')]),
    layer('Dense', { name: 'dense_elu', units: 5, activation: 'elu' }, [ref('dense_silu')]),
    layer('Dense', { name: 'dense_selu', units: 5, activation: 'selu' }, [ref('dense_elu')]),
    layer('Dense', { name: 'out', units: 3, activation: 'softmax' }, [ref('dense_selu')]),
  ];
  return {
    class_name: 'Functional',
    config: { name: 'zoo', layers, input_layers: [['x', 0, 0]], output_layers: [['out', 0, 0]] },
  };
}

function dense(name: string, inputs: number, units: number, seed: number): [string, WeightToWrite[]] {
  return [
    name,
    [
      { name: `${name}/kernel:0`, shape: [inputs, units], values: weight([inputs, units], seed) },
      { name: `${name}/bias:0`, shape: [units], values: weight([units], seed + 1) },
    ],
  ];
}

const zooWeights: [string, WeightToWrite[]][] = [
  dense('dense_gelu', 4, 4, 1),
  [
    'layer_normalization',
    [
      { name: 'layer_normalization/gamma:0', shape: [4], values: weight([4], 3, 1) },
      { name: 'layer_normalization/beta:0', shape: [4], values: weight([4], 4) },
    ],
  ],
  ['p_re_lu', [{ name: 'p_re_lu/alpha:0', shape: [1, 4], values: weight([1, 4], 5) }]],
  dense('dense_swish', 4, 4, 7),
  dense('dense_silu', 24, 5, 9),
  dense('dense_elu', 5, 5, 11),
  dense('dense_selu', 5, 5, 13),
  dense('out', 5, 3, 15),
];

describe('layer zoo (issue 23 layers on TensorFlow.js) against NumPy float64', () => {
  test('logits and input gradients match the NumPy forward pass and finite differences', async () => {
    const path = join(dir, 'zoo.h5');
    await writeKerasH5(path, zooWeights, zooConfig());
    const model = await loadModel(path);
    try {
      for (const example of reference.examples) {
        const x = tf.tensor(deterministicInput(reference.shape, example.k), [1, ...reference.shape]);
        const logits = tf.tidy(() => Array.from(model.run(x, { scores: 'logits' }).dataSync()));
        assertClose(logits, example.logits, 2e-6, 1e-5, `logits, input ${example.k}`);
        const before = tf.memory().numTensors;
        const result = await gradients(model, x, { target: example.target });
        assertClose(flat(result.attributions), example.gradient, 2e-6, 1e-4, `gradient, input ${example.k}`);
        disposeAttribution(result);
        assert.equal(tf.memory().numTensors, before, 'tensors left by gradients');
        x.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  test('a TFOpLambda calling another TensorFlow function is refused in one line naming the layer, the file and the op', async () => {
    const path = join(dir, 'cumsum.h5');
    await writeKerasH5(path, zooWeights, zooConfig('math.cumsum'));
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /^layer 'tf\.concat' \(TFOpLambda\) of 'cumsum\.h5' calls the TensorFlow function 'tf\.math\.cumsum', which wingbeats-xai does not run \(it runs add, subtract, multiply, reshape, transpose, concat, mean, max, slice\); re-save the model with a Keras layer in its place\.$/,
    );
  });
});

const all = { start: null, stop: null, step: null };
const range = (start: number | null, stop: number | null) => ({ start, stop, step: null });

/** Rows of the input [1, 6, 2] (row r holds 2r, 2r + 1) that a slice of the time axis keeps, as Python keeps them. */
const CASES: { spec: unknown[]; rows: number[]; squeezed?: true }[] = [
  { spec: [all, range(1, -1)], rows: [1, 2, 3, 4] },
  { spec: [all, range(-3, null)], rows: [3, 4, 5] },
  { spec: [all, range(null, -2)], rows: [0, 1, 2, 3] },
  { spec: [all, range(2, 100)], rows: [2, 3, 4, 5] },
  { spec: [all, -1], rows: [5], squeezed: true },
  { spec: [all, 0], rows: [0], squeezed: true },
  { spec: ['Ellipsis', range(-1, null)], rows: [0, 1, 2, 3, 4, 5] },
];

describe("Keras 2's SlicingOpLambda", () => {
  test('TensorOpLayer slices as Python does (negative stops and indices, open ends)', () => {
    registerTensorOpLayer();
    const before = tf.memory().numTensors;
    const x = tf.tensor3d(
      Array.from({ length: 12 }, (_, i) => i),
      [1, 6, 2],
    );
    for (const { spec, rows, squeezed } of CASES) {
      const layer = new TensorOpLayer({ tensorOp: 'slice', opKwargs: { slice_spec: spec } as never });
      const y = layer.apply(x) as tf.Tensor;
      const lastAxisOnly = spec[0] === 'Ellipsis';
      const expected = lastAxisOnly
        ? rows.map((r) => [2 * r + 1])
        : squeezed
          ? [2 * rows[0], 2 * rows[0] + 1]
          : rows.map((r) => [2 * r, 2 * r + 1]);
      assert.deepEqual(y.arraySync(), [expected], JSON.stringify(spec));
      assert.deepEqual(
        layer.computeOutputShape([null, 6, 2]),
        y.shape.map((d, i) => (i === 0 ? null : d)),
      );
      y.dispose();
    }
    x.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
