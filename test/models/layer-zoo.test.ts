/**
 * Layers on TensorFlow.js. The layers of issue 23, in one Keras 2 functional model written with the project's own
 * HDF5 writer: Dense with gelu / swish / silu / elu / selu, LayerNormalization, LeakyReLU, PReLU, ELU, ReLU with
 * options, and the plain tensor ops Keras 2 saves as TFOpLambda / SlicingOpLambda. Logits and input gradients are
 * checked against a float64 NumPy forward pass and central finite differences (scripts/reference/layer-zoo.py →
 * test/fixtures/layer-zoo.json); a TFOpLambda calling anything else is refused in one line naming it. Keras 2's
 * `SlicingOpLambda` (`x[:, a:b]` in a functional model) reads a slice as Python does: negative starts, stops and
 * indices count from the end (a stop of −1 leaves the last element out), an omitted stop runs to the end; checked
 * against slices worked out by hand on a [1, 6, 2] input holding 0…11.
 * Recurrent layers (LSTM, GRU with reset_after both ways, Bidirectional) and dilated and causal convolutions, in Keras
 * files this test writes itself (Keras 2 `.h5`, Keras 3 `.h5`, Keras 3 `.keras`): scores and input gradients against
 * a float64 NumPy forward and its central differences (test/fixtures/gradient-cases.json, made by
 * scripts/reference/gradient-cases.py).
 * The wingbeats custom layers: a full Keras model that uses them loads from its model_config and equals the
 * weights-only reconstruction; TensorFlow.js model.json round trip (path and bytes); the tfjs call() path agrees with
 * the adapter; guided ReLU reaches the ReLUs inside the blocks.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { gradients } from '../../src/attribution/gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import {
  assertClose,
  flat,
  rejectsWithoutLeaks,
  repoRoot,
  useWasm,
  withoutLeaks,
  sharedDir,
  skipWithoutShared,
} from '../helpers.js';
import { registerTensorOpLayer, TensorOpLayer } from '../../src/models/tensor-op-layer.js';
import { writeKerasH5, type WeightToWrite } from './write-keras-h5.js';
import { LayerSpec, writeKeras2H5, writeKeras3Archive, writeKeras3H5 } from './keras-files.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import type { ExecutionSettings } from '../../src/execution/execution-settings.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { readKerasH5 } from '../../src/models/hdf5.js';

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

interface GradientCase {
  name: string;
  style: 'keras2-h5' | 'keras3';
  inputShape: number[];
  layers: LayerSpec[];
  input: number[];
  scores: number[];
  target: number;
  gradient: number[];
}

const { cases } = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/gradient-cases.json'), 'utf8')) as {
  cases: GradientCase[];
};
const gradientsDir = mkdtempSync(join(tmpdir(), 'wingbeats-keras-gradients-'));
after(() => rmSync(gradientsDir, { recursive: true, force: true }));

const writers = {
  'keras2.h5': writeKeras2H5,
  'keras3.h5': writeKeras3H5,
  'keras3.keras': writeKeras3Archive,
} as const;

describe('recurrent and dilated layers: scores and input gradients against float64 finite differences', () => {
  for (const c of cases) {
    const formats = c.style === 'keras2-h5' ? (['keras2.h5'] as const) : (['keras3.h5', 'keras3.keras'] as const);
    for (const format of formats) {
      test(`${c.name} (${format})`, async () => {
        const path = join(gradientsDir, `${c.name}-${format.replace('.', '-')}.${format.split('.')[1]}`);
        await writers[format](path, c.layers, c.inputShape);
        const model = await loadModel(path);
        const x = tf.tensor(c.input, [1, ...c.inputShape]);
        try {
          const scores = tf.tidy(() => model.run(x));
          assertClose(scores.dataSync(), c.scores, 1e-6, 1e-5, `${c.name} scores`);
          // TensorFlow.js's own execution of the built model (registered layers included) agrees with the executor's.
          if (!c.layers.some((l) => l.config.padding === 'causal')) {
            const predicted = model.layersModel!.predict(x) as tf.Tensor;
            assertClose(predicted.dataSync(), scores.dataSync(), 1e-6, 1e-6, `${c.name} tfjs predict`);
            predicted.dispose();
          }
          scores.dispose();
          await withoutLeaks(
            () => gradients(model, x, { target: c.target }),
            (result) => {
              assertClose(result.attributions.dataSync(), c.gradient, 1e-6, 1e-4, `${c.name} input gradient`);
              disposeAttribution(result);
            },
          );
        } finally {
          x.dispose();
          model.dispose();
        }
      });
    }
  }

  test('a 2-D recurrent output is flattened as in Keras', async () => {
    const c = cases.find((k) => k.name === 'gru-reset-after')!;
    assert.equal(c.layers[1].class_name, 'Flatten');
    const path = join(gradientsDir, 'flatten-2d.keras');
    await writeKeras3Archive(path, c.layers, c.inputShape);
    const model = await loadModel(path);
    try {
      assert.deepEqual(model.layersModel!.outputs[0].shape, [null, 3]);
      assert.equal(model.layersModel!.layers[1].getClassName(), 'GRUResetAfter');
    } finally {
      model.dispose();
    }
  });
});

const layersDir = mkdtempSync(join(tmpdir(), 'wingbeats-layers-'));
const source = resolve(sharedDir, 'models', 'Keogh/Keogh_9/psd/SimpleEmbCls/SimpleEmbCls_psd_9.h5');

function node(
  name: string,
  className: string,
  config: Record<string, unknown>,
  from?: string,
): Record<string, unknown> {
  return {
    class_name: className,
    name,
    config: { name, ...config },
    inbound_nodes: from === undefined ? [] : [[[from, 0, 0, {}]]],
  };
}

/** Keras config of SimpleEmbCls over the custom layers, as Keras would write it for a full model. */
const simpleEmbClsConfig = {
  class_name: 'Functional',
  config: {
    name: 'SimpleEmbCls',
    layers: [
      node('psd', 'InputLayer', { batch_input_shape: [null, 129, 1], dtype: 'float32' }),
      node('CNN_Blocks_SimpleEmbCls', 'CNN1D', { drop_rate: 0.5, monte_carlo_dropout: false, trainable: true }, 'psd'),
      node('dense_emb', 'Dense', { units: 9, activation: 'linear' }, 'CNN_Blocks_SimpleEmbCls'),
      node('embedding', 'L2_Norm', {}, 'dense_emb'),
      node('dense_species', 'DenseBlock', { units: 9, reg_param: 0.001 }, 'dense_emb'),
      node('species', 'Activation', { activation: 'softmax' }, 'dense_species'),
    ],
    input_layers: [['psd', 0, 0]],
    output_layers: [
      ['embedding', 0, 0],
      ['species', 0, 0],
    ],
  },
};

function outputs(model: ExplainableModel, x: tf.Tensor): number[][] {
  return model.outputNames.map((output) =>
    tf.tidy(() => Array.from(model.run(x, { output, scores: 'logits' }).dataSync())),
  );
}

describe('wingbeats custom layers in real models', { skip: skipWithoutShared }, () => {
  let reference: ExplainableModel;
  let x: tf.Tensor;
  before(async () => {
    await useWasm();
    reference = await loadModel(source);
    x = tf.randomNormal([3, 129, 1], -80, 15, 'float32', 21);
  });
  after(() => {
    reference?.layersModel?.dispose();
    x?.dispose();
    rmSync(layersDir, { recursive: true, force: true });
  });

  test('a full model built from CNN1D, DenseBlock and L2_Norm loads from model_config (auto-numbered sublayer names too)', async () => {
    const contents = await readKerasH5(new Uint8Array(readFileSync(source)));
    // Keras numbers unnamed sublayers globally; another session would have written dense_species/dense_3/...
    const layers = contents.layerNames.map((name) => [
      name,
      (contents.weights.get(name) ?? []).map((w) => ({
        ...w,
        name: w.name.replace('/batch_normalization/', '/batch_normalization_4/').replace('/dense/', '/dense_3/'),
      })),
    ]) as [string, { name: string; shape: number[]; values: Float32Array }[]][];
    const path = join(layersDir, 'SimpleEmbCls_full_9.h5');
    await writeKerasH5(path, layers, simpleEmbClsConfig);
    const model = await loadModel(path);
    try {
      assert.equal(model.info.format, 'keras-h5');
      assert.equal(model.info.dataset, 'keogh-9');
      assert.deepEqual(model.outputNames, ['embedding', 'species']);
      assert.equal(model.labels(1)?.[0], 'beetles');
      const a = outputs(model, x);
      const b = outputs(reference, x);
      a.forEach((values, i) => assertClose(values, b[i], 0, 0, model.outputNames[i]));
    } finally {
      model.layersModel?.dispose();
    }
  });

  test('the tfjs call() path (model.predict) agrees with the adapter', () => {
    const model = reference.layersModel as tf.LayersModel;
    const predicted = model.predict(x) as tf.Tensor[];
    const probabilities = tf.tidy(() =>
      Array.from(reference.run(x, { output: 'species', scores: 'probabilities' }).dataSync()),
    );
    assertClose(predicted[1].dataSync(), probabilities, 1e-6, 0, 'species');
    tf.dispose(predicted);
  });

  test('TensorFlow.js model.json round trip: from a path and from bytes', async () => {
    const model = reference.layersModel as tf.LayersModel;
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const artifacts = saved as tf.io.ModelArtifacts;
    const json = {
      modelTopology: artifacts.modelTopology,
      format: 'layers-model',
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    const jsonPath = join(layersDir, 'keogh_9', 'model.json');
    (await import('node:fs')).mkdirSync(join(layersDir, 'keogh_9'), { recursive: true });
    writeFileSync(jsonPath, JSON.stringify(json));
    writeFileSync(join(layersDir, 'keogh_9', 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
    const fromPath = await loadModel(jsonPath);
    const fromBytes = await loadModel(new TextEncoder().encode(JSON.stringify(json)), {
      fileName: 'keogh/model.json',
      weightData: artifacts.weightData as ArrayBuffer,
    });
    try {
      for (const loaded of [fromPath, fromBytes]) {
        assert.equal(loaded.info.format, 'tfjs-layers');
        assert.equal(loaded.info.dataset, 'keogh-9');
        assert.deepEqual(loaded.outputNames, ['embedding', 'species']);
        const a = outputs(loaded, x);
        outputs(reference, x).forEach((values, i) => assertClose(a[i], values, 0, 0, loaded.outputNames[i]));
      }
    } finally {
      fromPath.layersModel?.dispose();
      fromBytes.layersModel?.dispose();
    }
  });

  test('guided ReLU reaches the ReLUs inside the conv blocks', () => {
    const gradient = (execution?: ExecutionSettings): number[] =>
      tf.tidy(() => {
        const f = (input: tf.Tensor): tf.Scalar =>
          tf.sum(tf.mul(reference.run(input, { output: 'species', execution }), tf.oneHot([0], 9))) as tf.Scalar;
        return Array.from(tf.grad(f)(x.slice(0, 1)).dataSync());
      });
    const plain = gradient();
    const guided = gradient({ rules: [guidedRelu] });
    assert.notDeepEqual(guided, plain);
    assert.deepEqual(gradient(), plain, 'the rule applied to that call only');
  });
});
