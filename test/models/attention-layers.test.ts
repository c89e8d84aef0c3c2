/**
 * Keras's attention layers on TensorFlow.js (issue 23): MultiHeadAttention (self-attention, separate key, use_bias
 * both ways, output_shape), Attention (dot and concat scores, use_scale) and AdditiveAttention in one block, written
 * as a Keras 2 `.h5`, a Keras 2.15 `.keras` and a Keras 3 `.keras` with the project's own writers. Logits and input
 * gradients are checked against a float64 NumPy forward pass and central finite differences
 * (scripts/reference/attention_reference.py → test/fixtures/attention-reference.json); masks are refused in one line;
 * the real ECG transformer of ../shared/models/wild2 loads, predicts and is explained without leaks.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { registerNodeEngines } from '../../src/node/onnx/onnx-backend.js';
import { gradients } from '../../src/attribution/gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { lrp } from '../../src/attribution/lrp.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { copyExplainableModel } from '../../src/execution/model-copy.js';
import { assertClose, flat, rejectsWithoutLeaks, repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { writeKerasH5, type WeightToWrite } from './write-keras-h5.js';
import { writeKerasArchive, type VariableToWrite } from './write-keras-archive.js';

type Json = Record<string, any>;
interface Reference {
  shape: number[];
  weights: { name: string; shape: number[]; values: number[] }[];
  examples: { input: number[]; logits: number[]; target: number; gradient: number[] }[];
}
const reference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/attention-reference.json'), 'utf8'),
) as Reference;

/** Scores of the real ECG transformer by scripts/reference/attention_reference.py ecg (numbers only, no weights). */
const ecg = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/ecg-transformer.json'), 'utf8')) as {
  examples: { k: number; outputs: number[] }[];
};

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-attention-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

type Ref = [string, number, number, Json];
const ref = (name: string, kwargs: Json = {}): Ref => [name, 0, 0, kwargs];
const INITIALIZERS = {
  kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
  bias_initializer: { class_name: 'Zeros', config: {} },
};

/** The block of the reference script as Keras 2.15 writes its functional config. */
function blockConfig(mha2Kwargs: Json = {}): Json {
  const layer = (className: string, config: Json, inputs: Ref[]) => ({
    class_name: className,
    name: config.name,
    config: { dtype: 'float32', trainable: true, ...config },
    inbound_nodes: [inputs],
  });
  const layers = [
    { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 5, 3] }, inbound_nodes: [] },
    layer(
      'MultiHeadAttention',
      {
        name: 'mha',
        num_heads: 2,
        key_dim: 3,
        value_dim: 2,
        dropout: 0.1,
        use_bias: true,
        output_shape: null,
        attention_axes: [1],
        query_shape: [null, 5, 3],
        key_shape: [null, 5, 3],
        value_shape: [null, 5, 3],
        ...INITIALIZERS,
      },
      [ref('x', { value: ['x', 0, 0] })],
    ),
    layer('LayerNormalization', { name: 'layer_normalization', axis: [2], epsilon: 1e-6 }, [ref('mha')]),
    {
      class_name: 'TFOpLambda',
      name: 'tf.__operators__.add',
      config: { name: 'tf.__operators__.add', function: '__operators__.add', dtype: 'float32' },
      inbound_nodes: [ref('layer_normalization', { y: ['x', 0, 0], name: null })],
    },
    layer('Dense', { name: 'proj', units: 4, activation: 'tanh', use_bias: true, ...INITIALIZERS }, [ref('x')]),
    layer(
      'MultiHeadAttention',
      {
        name: 'mha2',
        num_heads: 1,
        key_dim: 2,
        value_dim: null,
        dropout: 0,
        use_bias: false,
        output_shape: 4,
        attention_axes: null,
        ...INITIALIZERS,
      },
      [ref('tf.__operators__.add', { value: ['proj', 0, 0], key: ['x', 0, 0], ...mha2Kwargs })],
    ),
    layer('Attention', { name: 'attention', use_scale: true, score_mode: 'dot', dropout: 0 }, [
      ref('mha2'),
      ref('proj'),
    ]),
    layer('Attention', { name: 'attention_concat', use_scale: true, score_mode: 'concat', dropout: 0.2 }, [
      ref('attention'),
      ref('proj'),
      ref('mha2'),
    ]),
    layer('AdditiveAttention', { name: 'additive_attention', use_scale: true, dropout: 0 }, [
      ref('attention_concat'),
      ref('proj'),
    ]),
    layer('GlobalAveragePooling1D', { name: 'gap', data_format: 'channels_last' }, [ref('additive_attention')]),
    layer('Dense', { name: 'out', units: 3, activation: 'softmax', use_bias: true, ...INITIALIZERS }, [ref('gap')]),
  ];
  return {
    class_name: 'Functional',
    config: { name: 'attention_block', layers, input_layers: [['x', 0, 0]], output_layers: [['out', 0, 0]] },
  };
}

/** The same block as Keras 3 writes it: `{args, kwargs}` nodes (tensors by position and by name), an Add layer. */
function keras3BlockConfig(mha2Kwargs: Json = {}): Json {
  const config = blockConfig();
  const tensor = (name: string) => ({
    class_name: '__keras_tensor__',
    config: { shape: null, dtype: 'float32', keras_history: [name, 0, 0] },
  });
  const nodes: Record<string, Json> = {
    mha: { args: [tensor('x')], kwargs: { value: tensor('x') } },
    layer_normalization: { args: [tensor('mha')], kwargs: {} },
    add: { args: [[tensor('layer_normalization'), tensor('x')]], kwargs: {} },
    proj: { args: [tensor('x')], kwargs: {} },
    mha2: {
      args: [tensor('add'), tensor('proj')],
      kwargs: { key: tensor('x'), use_causal_mask: false, ...mha2Kwargs },
    },
    attention: { args: [[tensor('mha2'), tensor('proj')]], kwargs: { mask: null } },
    attention_concat: { args: [[tensor('attention'), tensor('proj'), tensor('mha2')]], kwargs: {} },
    additive_attention: { args: [[tensor('attention_concat'), tensor('proj')]], kwargs: {} },
    gap: { args: [tensor('additive_attention')], kwargs: {} },
    out: { args: [tensor('gap')], kwargs: {} },
  };
  config.config.layers = config.config.layers.map((layer: Json) => {
    if (layer.class_name === 'InputLayer')
      return { ...layer, config: { name: 'x', batch_shape: [null, 5, 3], dtype: 'float32' } };
    const out: Json =
      layer.class_name === 'TFOpLambda'
        ? { class_name: 'Add', name: 'add', config: { name: 'add', dtype: 'float32', trainable: true } }
        : { ...layer };
    out.config = { ...out.config, dtype: { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' } } };
    out.inbound_nodes = [nodes[String(out.name)]];
    return out;
  });
  return config;
}

const weightsByLayer = (): Map<string, Reference['weights']> => {
  const out = new Map<string, Reference['weights']>();
  for (const w of reference.weights) {
    const layer = w.name.split('/')[0];
    out.set(layer, [...(out.get(layer) ?? []), w]);
  }
  return out;
};

/** Keras 2 `.h5` weights (`mha/query/kernel:0`, `attention/scale:0`). */
function h5Weights(): [string, WeightToWrite[]][] {
  return [...weightsByLayer()].map(([layer, list]) => [
    layer,
    list.map((w) => ({ name: `${w.name}:0`, shape: w.shape, values: Float32Array.from(w.values) })),
  ]);
}

/** `.keras` variables at the paths Keras's saving library uses (layers numbered per class, EinsumDense attributes). */
function archiveVariables(): VariableToWrite[] {
  const path: Record<string, string> = {
    mha: 'layers/multi_head_attention',
    layer_normalization: 'layers/layer_normalization',
    proj: 'layers/dense',
    mha2: 'layers/multi_head_attention_1',
    attention: 'layers/attention',
    attention_concat: 'layers/attention_1',
    additive_attention: 'layers/additive_attention',
    out: 'layers/dense_1',
  };
  const sublayer: Record<string, string> = {
    query: '_query_dense',
    key: '_key_dense',
    value: '_value_dense',
    attention_output: '_output_dense',
  };
  const out: VariableToWrite[] = [];
  for (const [layer, list] of weightsByLayer()) {
    const counts = new Map<string, number>();
    for (const w of list) {
      const parts = w.name.split('/');
      const group = parts.length === 3 ? `${path[layer]}/${sublayer[parts[1]]}` : path[layer];
      const i = counts.get(group) ?? 0;
      counts.set(group, i + 1);
      out.push({ path: `${group}/vars/${i}`, shape: w.shape, values: Float32Array.from(w.values) });
    }
  }
  return out;
}

const metadata = (version: string) => new TextEncoder().encode(JSON.stringify({ keras_version: version }));

async function checkAgainstReference(path: string): Promise<void> {
  const before = tf.memory().numTensors;
  const model = await loadModel(path);
  try {
    assert.deepEqual(model.inputShape, reference.shape);
    for (const [k, example] of reference.examples.entries()) {
      const x = tf.tensor(example.input, [1, ...reference.shape]);
      const logits = tf.tidy(() => Array.from(model.run(x, { scores: 'logits' }).dataSync()));
      assertClose(logits, example.logits, 2e-6, 1e-5, `logits, example ${k}`);
      const inside = tf.memory().numTensors;
      const result = await gradients(model, x, { target: example.target });
      assertClose(flat(result.attributions), example.gradient, 5e-6, 1e-4, `input gradient, example ${k}`);
      disposeAttribution(result);
      assert.equal(tf.memory().numTensors, inside, 'tensors left by gradients');
      x.dispose();
    }
  } finally {
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'tensors left by load, run, gradients and dispose');
}

describe('Keras attention layers against NumPy float64', () => {
  test('a Keras 2 .h5: logits and input gradients match the forward pass and finite differences', async () => {
    const path = join(dir, 'block.h5');
    await writeKerasH5(path, h5Weights(), blockConfig());
    await checkAgainstReference(path);
  });

  test("a Keras 3 .h5 (weight names are variable paths without ':0', 'mha/query/kernel') matches too", async () => {
    const path = join(dir, 'block-3.h5');
    const paths = h5Weights().map(([layer, list]): [string, WeightToWrite[]] => [
      layer,
      list.map((w) => ({ ...w, name: w.name.replace(/:0$/, '') })),
    ]);
    await writeKerasH5(path, paths, keras3BlockConfig());
    await checkAgainstReference(path);
  });

  test("a Keras 2.15 .keras (EinsumDense groups '_query_dense', ...) matches too", async () => {
    const path = join(dir, 'block-2.15.keras');
    await writeKerasArchive(path, blockConfig(), archiveVariables(), { 'metadata.json': metadata('2.15.0') });
    await checkAgainstReference(path);
  });

  test('a Keras 3 .keras ({args, kwargs} calls, tensors by position and by name) matches too', async () => {
    const path = join(dir, 'block-3.keras');
    await writeKerasArchive(path, keras3BlockConfig(), archiveVariables());
    await checkAgainstReference(path);
  });

  test('batching equals no batching, integrated gradients are complete, a copy computes the same, LRP is refused in one line', async () => {
    const path = join(dir, 'block-batch.h5');
    await writeKerasH5(path, h5Weights(), blockConfig());
    const model = await loadModel(path);
    try {
      const x = tf.tensor(
        reference.examples.flatMap((e) => e.input),
        [reference.examples.length, ...reference.shape],
      );
      const target = reference.examples.map((e) => e.target);
      const batched = await gradients(model, x, { target });
      assertClose(
        flat(batched.attributions),
        reference.examples.flatMap((e) => e.gradient),
        5e-6,
        1e-4,
        'batched gradients',
      );
      disposeAttribution(batched);
      const ig = await integratedGradients(model, x, { target, steps: 64, baseline: 0 });
      assert.ok(
        ig.delta!.every((d) => Math.abs(d) < 2e-3),
        `integrated gradients' completeness gap ${ig.delta!.join(', ')}`,
      );
      disposeAttribution(ig);
      // A copy rebuilt from the layers' configs (as sanity checks make) computes the same logits.
      const copy = await copyExplainableModel(model);
      const [a, b] = tf.tidy(() => [model, copy].map((m) => Array.from(m.run(x, { scores: 'logits' }).dataSync())));
      copy.dispose();
      assert.deepEqual(b, a);
      await rejectsWithoutLeaks(
        () => lrp(model, x, { target }),
        /^'lrp' has no LRP rule for layer 'mha' of class MultiHeadAttention; supported: /,
      );
      x.dispose();
    } finally {
      model.dispose();
    }
  });

  test('Monte-Carlo dropout thins the attention probabilities (seeded); without it dropout is off', async () => {
    const path = join(dir, 'block-dropout.h5');
    await writeKerasH5(path, h5Weights(), blockConfig());
    const model = await loadModel(path);
    try {
      const x = tf.tensor(reference.examples[0].input, [1, ...reference.shape]);
      const run = (seed?: number) =>
        tf.tidy(() =>
          Array.from(
            model
              .run(x, { scores: 'logits', execution: seed === undefined ? undefined : { dropout: { seed } } })
              .dataSync(),
          ),
        );
      assertClose(run(), reference.examples[0].logits, 2e-6, 1e-5, 'logits without dropout');
      const a = run(7);
      assert.deepEqual(run(7), a, 'same seed, same masks');
      assert.ok(
        a.some((v, i) => Math.abs(v - reference.examples[0].logits[i]) > 1e-4),
        `dropout changed nothing: ${a.join(', ')}`,
      );
      x.dispose();
    } finally {
      model.dispose();
    }
  });

  test('a Keras 3 call with an attention mask tensor is refused in one line naming the layer and the file', async () => {
    const path = join(dir, 'masked-3.keras');
    const mask = { class_name: '__keras_tensor__', config: { shape: null, dtype: 'bool', keras_history: ['x', 0, 0] } };
    await writeKerasArchive(path, keras3BlockConfig({ attention_mask: mask }), archiveVariables());
    await rejectsWithoutLeaks(
      () => loadModel(path),
      /^layer 'mha2' \(MultiHeadAttention\) of 'masked-3\.keras' is called with 'attention_mask', which wingbeats-xai does not run \(attention masks are not supported\)\.$/,
    );
  });

  for (const [what, kwargs, message] of [
    [
      'an attention mask',
      { attention_mask: ['x', 0, 0] },
      "is called with 'attention_mask', which wingbeats-xai does not run \\(attention masks are not supported\\)",
    ],
    [
      'a causal mask',
      { use_causal_mask: true },
      'is called with use_causal_mask=True, which wingbeats-xai does not run \\(attention masks are not supported\\)',
    ],
    [
      'return_attention_scores',
      { return_attention_scores: true },
      'is called with return_attention_scores=True, which wingbeats-xai does not run \\(one output per layer\\)',
    ],
  ] as const) {
    test(`a MultiHeadAttention called with ${what} is refused in one line naming the layer and the file`, async () => {
      const path = join(dir, 'masked.h5');
      await writeKerasH5(path, h5Weights(), blockConfig(kwargs));
      await rejectsWithoutLeaks(
        () => loadModel(path),
        new RegExp(`^layer 'mha2' \\(MultiHeadAttention\\) of 'masked\\.h5' ${message}\\.$`),
      );
    });
  }
});

describe('the default engine', () => {
  // A library call with the engines the command line registers when it opens a model (they stay registered, as they
  // did after the command-line run this replaces: explain runs the same call, and the pictures it would draw cost more
  // than the check; the command line's own tests cover what it writes).
  test('the default engine (auto) explains the block on ONNX Runtime (attention lowers), with no fallback line', async () => {
    registerNodeEngines();
    const path = join(dir, 'auto-block.h5');
    await writeKerasH5(path, h5Weights(), blockConfig());
    const model = await loadModel(path);
    const x = tf.tensor(reference.examples[0].input, [1, ...reference.shape]);
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (line: unknown) => void warnings.push(String(line));
    try {
      const result = await saliency(model, x);
      assert.equal(result.engine, 'onnx');
      assert.ok(flat(result.attributions).every(Number.isFinite));
      disposeAttribution(result);
    } finally {
      console.warn = originalWarn;
      x.dispose();
      model.dispose();
    }
    assert.deepEqual(
      warnings.filter((line) => /using TensorFlow\.js/.test(line)),
      [],
    );
  });
});

describe('the ECG transformer of ../shared/models/wild2 (Keras 2.15, Windows .keras, MultiHeadAttention)', () => {
  const file = join(sharedDir, 'models', 'wild2', '08_allaudin_ecg_transformer.keras');
  test(
    'loads, predicts as the NumPy reference, and saliency and integrated gradients run without leaks',
    { skip: skipWithoutShared },
    async () => {
      const before = tf.memory().numTensors;
      const model = await loadModel(file);
      try {
        assert.deepEqual(model.inputShape, [186, 1]);
        for (const example of ecg.examples) {
          // The input formula of scripts/reference/keras-forward.py.
          const values = Float32Array.from(
            { length: 186 },
            (_, i) => ((i * 7919 + example.k * 104729) % 2003) / 1001.5 - 1,
          );
          const input = tf.tensor(values, [1, 186, 1]);
          const score = tf.tidy(() => Array.from(model.run(input, { scores: 'probabilities' }).dataSync()));
          assertClose(score, example.outputs, 2e-6, 1e-5, `ECG score, input ${example.k}`);
          input.dispose();
        }
        const x = tf.tidy(() => tf.sin(tf.mul(tf.range(0, 2 * 186), 0.05)).reshape([2, 186, 1]));
        const p = tf.tidy(() => Array.from(model.run(x, { scores: 'probabilities' }).dataSync()));
        assert.ok(
          p.every((v) => Number.isFinite(v) && v >= 0 && v <= 1),
          `scores ${p.join(', ')}`,
        );
        const inside = tf.memory().numTensors;
        const s = await saliency(model, x);
        assert.ok(flat(s.attributions).every(Number.isFinite), 'finite saliency');
        assert.ok(
          flat(s.attributions).some((v) => v !== 0),
          'saliency not all zero',
        );
        disposeAttribution(s);
        // Finite and leak-free whatever the step count (completeness is checked on the block above, at 64 steps).
        const ig = await integratedGradients(model, x, { steps: 4 });
        assert.ok(flat(ig.attributions).every(Number.isFinite), 'finite integrated gradients');
        disposeAttribution(ig);
        assert.equal(tf.memory().numTensors, inside, 'tensors left by saliency / integrated gradients');
        x.dispose();
      } finally {
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, before, 'tensors left by load and dispose');
    },
  );
});
