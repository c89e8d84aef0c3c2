/**
 * The ONNX lowering registry and the per-op gradient registry: for every graph shape the lowering covers (residual
 * merges, several inputs, Reshape/Permute/RepeatVector, TimeDistributed, nested models, causal and dilated
 * convolutions, the wingbeats composites, recurrent layers as Scans), ONNX scores and input gradients equal the TensorFlow.js path to float32
 * rounding, under guided backprop too, and batched runs equal row-by-row runs. Every registered layer class is lowered
 * here, and every op type it emits has a registered gradient.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ExplainableModel, type ScoreKind } from '../../src/execution/explainable-model.js';
import { targetGradients } from '../../src/attribution/target-gradients.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { loweredLayerClasses } from '../../src/onnx/layer-lowering.js';
import { RULE_GRADIENTS, hasOpGradient } from '../../src/onnx/op-gradients.js';
import { CNN1D, CNN2D, DenseBlock, Identity, registerWingbeatsLayers } from '../../src/models/wingbeats-layers.js';
import { KerasFlatten, registerKerasFlatten } from '../../src/models/keras-flatten.js';
import { registerCausalConv1D } from '../../src/models/causal-conv1d.js';
import { GRUResetAfter, registerGRUResetAfter } from '../../src/models/gru-reset-after.js';
import { assertClose, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dNet, randomBatch, seedWeights, twoHeadNet } from '../tiny-models.js';
import { LAYER_MODELS } from './lowering-layer-models.js';

before(useWasm);
before(() => {
  registerWingbeatsLayers();
  registerKerasFlatten();
  registerCausalConv1D();
  registerGRUResetAfter();
});

type Sym = tf.SymbolicTensor;

/** The CausalConv1D class Keras files with causal convolutions load into (registered by registerCausalConv1D). */
function causalConv1dClass(): new (args: Record<string, unknown>) => tf.layers.Layer {
  const [cls] = tf.serialization.SerializationMap.getMap().classNameMap.CausalConv1D as unknown as [
    new (args: Record<string, unknown>) => tf.layers.Layer,
  ];
  return cls;
}
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/** Residual 1-D network: dilated and causal convolutions, Add, Multiply, Maximum, Minimum, Average, Concatenate. */
function residualNet(): tf.LayersModel {
  const x = tf.input({ shape: [10, 2] });
  const a = apply(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
  const b = apply(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 }), a);
  const c = apply(new (causalConv1dClass())({ filters: 4, kernelSize: 2, padding: 'causal', activation: 'tanh' }), a);
  const sum = apply(tf.layers.add(), [a, b, c]);
  const product = apply(tf.layers.multiply(), [sum, c]);
  const high = apply(tf.layers.maximum(), [sum, b]);
  const low = apply(tf.layers.minimum(), [product, high]);
  const mean = apply(tf.layers.average(), [low, high, a]);
  const joined = apply(tf.layers.concatenate(), [mean, sum]);
  const pooled = apply(tf.layers.globalAveragePooling1d(), joined);
  const model = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 3 }), pooled) });
  seedWeights(model, 11);
  return model;
}

/** Two inputs: a sequence [6, 2] through Conv1D(tanh) and Flatten, a vector [5] through Dense(sigmoid), concatenated. */
function twoInputNet(): tf.LayersModel {
  const a = tf.input({ shape: [6, 2] });
  const b = tf.input({ shape: [5] });
  const left = apply(
    tf.layers.flatten(),
    apply(tf.layers.conv1d({ filters: 3, kernelSize: 2, activation: 'tanh' }), a),
  );
  const right = apply(tf.layers.dense({ units: 4, activation: 'sigmoid' }), b);
  const joined = apply(tf.layers.concatenate(), [left, right]);
  const model = tf.model({
    inputs: [a, b],
    outputs: apply(tf.layers.dense({ units: 3, activation: 'softmax' }), joined),
  });
  seedWeights(model, 12);
  return model;
}

/** [24] → Rescaling → Reshape [6, 4] → Permute → Conv1D(relu) → Flatten → RepeatVector(2) → KerasFlatten → Dense(relu6) → ReLU(max 1) → Dense(swish) → Dense. */
function reshapeNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.rescaling({ inputShape: [24], scale: 0.5, offset: -0.25 }),
      tf.layers.reshape({ targetShape: [6, 4] }),
      tf.layers.permute({ dims: [2, 1] }),
      tf.layers.conv1d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.repeatVector({ n: 2 }),
      new KerasFlatten({}),
      tf.layers.dense({ units: 5, activation: 'relu6' }),
      tf.layers.reLU({ maxValue: 1 }),
      tf.layers.dense({ units: 4, activation: 'swish' }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 13);
  return model;
}

/** [5, 8, 2] → TimeDistributed(Conv1D(relu)) → TimeDistributed(Flatten) → TimeDistributed(Dense(relu)) → SpatialDropout1D → Flatten → Dense. */
function timeDistributedNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.timeDistributed({
        inputShape: [5, 8, 2],
        layer: tf.layers.conv1d({ filters: 3, kernelSize: 3, activation: 'relu' }),
      }),
      tf.layers.timeDistributed({ layer: tf.layers.flatten() }),
      tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 4, activation: 'relu' }) }),
      tf.layers.spatialDropout1d({ rate: 0.3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 14);
  return model;
}

/** A Sequential nested in a functional model, a softmax before the head, Identity and an Activation layer. */
function nestedNet(): tf.LayersModel {
  const inner = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 5, activation: 'softmax' }),
    ],
  });
  const x = tf.input({ shape: [4] });
  const hidden = apply(new Identity({}), apply(inner, x));
  const scores = apply(tf.layers.activation({ activation: 'softmax' }), apply(tf.layers.dense({ units: 3 }), hidden));
  const model = tf.model({ inputs: x, outputs: scores });
  seedWeights(model, 15);
  return model;
}

/** The wingbeats composites: CNN1D → DenseBlock → Dense; CNN2D → Dense. */
function wingbeats1d(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      new CNN1D({ dropRate: 0.5, inputShape: [32, 1] } as never),
      new DenseBlock({ units: 6 }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 16, 0.3);
  return model;
}

function wingbeats2d(): tf.LayersModel {
  const model = tf.sequential({
    layers: [new CNN2D({ dropRate: 0.5, inputShape: [32, 32, 2] } as never), tf.layers.dense({ units: 3 })],
  });
  seedWeights(model, 17, 0.3);
  return model;
}

/** A causal convolution as Keras files load it (class CausalConv1D). */
function causalNet(): tf.LayersModel {
  const cls = causalConv1dClass();
  const model = tf.sequential({
    layers: [
      new cls({ inputShape: [9, 2], filters: 3, kernelSize: 3, padding: 'causal', dilationRate: 2 }),
      tf.layers.globalAveragePooling1d(),
      tf.layers.dense({ units: 2 }),
    ],
  });
  seedWeights(model, 18);
  return model;
}

/** [6, 3] → LSTM(4, sequences) → SimpleRNN(3, relu, backwards) → Dense. */
function lstmNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.lstm({ inputShape: [6, 3], units: 4, returnSequences: true }),
      tf.layers.simpleRNN({ units: 3, activation: 'relu', goBackwards: true }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 19, 0.4);
  return model;
}

/** [5, 3] → GRU(4, reset before, hard sigmoid, sequences) → GRUResetAfter(3) → Dense. */
function gruNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.gru({ inputShape: [5, 3], units: 4, returnSequences: true, recurrentActivation: 'hardSigmoid' }),
      new GRUResetAfter({ units: 3 } as never),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 20, 0.4);
  return model;
}

/** [5, 2] → Bidirectional(LSTM(3, sequences), concat) → Bidirectional(GRU(2), ave) → Dense. */
function bidirectionalNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.bidirectional({
        inputShape: [5, 2],
        layer: tf.layers.lstm({ units: 3, returnSequences: true }) as never,
        mergeMode: 'concat',
      }),
      tf.layers.bidirectional({ layer: tf.layers.gru({ units: 2 }) as never, mergeMode: 'ave' }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 21, 0.4);
  return model;
}

const MODELS: [string, () => tf.LayersModel][] = [
  ['LSTM and SimpleRNN (relu, backwards), as Scans', lstmNet],
  ['GRU (reset before, hard sigmoid) and GRUResetAfter, as Scans', gruNet],
  ['Bidirectional LSTM (concat) and GRU (ave)', bidirectionalNet],
  ['residual merges (functional, dilated and causal Conv1D)', residualNet],
  ['two inputs, concatenated', twoInputNet],
  ['Rescaling, Reshape, Permute, RepeatVector, relu6, ReLU(max), swish', reshapeNet],
  ['TimeDistributed Conv1D/Flatten/Dense, SpatialDropout1D', timeDistributedNet],
  ['nested Sequential, inner softmax, Identity, Activation(softmax) head', nestedNet],
  ['CausalConv1D (as loaded from Keras files)', causalNet],
  ['wingbeats CNN1D and DenseBlock', wingbeats1d],
  ['wingbeats CNN2D', wingbeats2d],
  ['tiny Conv2D network (BatchNorm, ReLU, MaxPool2D, GAP2D, Softmax)', conv2dNet],
  ['tiny Conv1D network (MaxPool1D, Flatten, Dropout)', conv1dNet],
  ['two heads (head 0)', twoHeadNet],
  ...LAYER_MODELS,
];

/** The model's packed input size and a seeded batch of `rows` rows. */
function batch(model: ExplainableModel, rows: number, seed: number): tf.Tensor {
  return randomBatch([rows, ...(model.inputShape as number[])], seed);
}

/** ONNX against the TensorFlow.js path (scores, gradients of each row's top class), then row by row against batched. */
async function agree(model: ExplainableModel, x: tf.Tensor, scores: ScoreKind, guided: boolean): Promise<number> {
  const execution = guided ? { rules: [guidedRelu] } : {};
  const expected = tf.tidy(() => {
    const out = model.run(x, { outputIndex: 0, scores });
    const targets = Array.from(tf.argMax(out, 1).dataSync());
    const gradient = targetGradients(model, x, targets, { outputIndex: 0, scores, batchSize: 64, execution });
    return { scores: out.dataSync() as Float32Array, gradient: gradient.dataSync() as Float32Array, targets };
  });
  const session = await OnnxGradientSession.create(model, { scores, guided });
  try {
    const input = x.dataSync() as Float32Array;
    const got = await session.gradients(input, expected.targets);
    const scale = (values: ArrayLike<number>) => Math.max(...Array.from(values, Math.abs));
    assertClose(got.scores, expected.scores, 2e-6 * scale(expected.scores), 1e-5, 'scores');
    assertClose(got.gradient, expected.gradient, 2e-6 * scale(expected.gradient), 1e-5, 'gradient');
    assertClose(await session.scores(input), got.scores, 1e-6 * scale(got.scores), 0, 'forward-only graph');
    const size = input.length / x.shape[0];
    for (let r = 0; r < x.shape[0]; r++) {
      const row = await session.gradients(input.slice(r * size, (r + 1) * size), [expected.targets[r]]);
      const part = got.gradient.slice(r * size, (r + 1) * size);
      assertClose(row.gradient, part, 1e-6 * scale(got.gradient), 1e-6, `row ${r} alone`);
    }
    let diff = 0;
    expected.gradient.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - got.gradient[i]))));
    return diff / scale(expected.gradient);
  } finally {
    await session.release();
  }
}

/** Every class in a model: nested models, wrappers' inner layers and composites' sublayers included. */
function layerClasses(layer: tf.layers.Layer, into = new Set<string>()): Set<string> {
  into.add(layer.getClassName());
  const parts = layer as unknown as {
    layers?: tf.layers.Layer[];
    layer?: tf.layers.Layer;
    sublayers?: () => tf.layers.Layer[];
  };
  for (const part of [
    ...(parts.layers ?? []),
    ...(parts.layer === undefined ? [] : [parts.layer]),
    ...(typeof parts.sublayers === 'function' ? parts.sublayers() : []),
  ])
    layerClasses(part, into);
  return into;
}

describe('ONNX lowering and gradient registries', () => {
  for (const [name, build] of MODELS)
    test(`${name}: ONNX scores and gradients equal the TensorFlow.js path (plain, guided, probabilities)`, async () => {
      const model = ExplainableModel.from(build());
      const x = batch(model, 4, 21);
      const errors: Record<string, number> = {};
      await withoutLeaks(async () => {
        errors.logits = await agree(model, x, 'logits', false);
        errors.guided = await agree(model, x, 'logits', true);
        errors.probabilities = await agree(model, x, 'probabilities', false);
      });
      console.log(`${name}: largest gradient difference / largest value ${JSON.stringify(errors)}`);
      x.dispose();
      model.dispose();
    });

  test('every registered layer class is lowered above, and every op type it emits has a registered gradient', () => {
    const covered = new Set<string>();
    const emitted = new Set<string>();
    for (const [, build] of MODELS) {
      const model = build();
      layerClasses(model, covered);
      for (const scores of ['logits', 'probabilities'] as const)
        for (const dropout of [false, true])
          for (const op of compileGradientGraph(model, { scores, dropout, gradient: false }).forwardOpTypes)
            emitted.add(op);
      model.dispose();
    }
    const missing = loweredLayerClasses().filter((c) => !covered.has(c));
    assert.deepEqual(missing, [], 'registered layer classes no test model uses');
    const without = [...emitted].filter((op) => !hasOpGradient(op));
    assert.deepEqual(without, [], 'op types emitted by the lowerings without a registered gradient');
    for (const overrides of Object.values(RULE_GRADIENTS))
      for (const op of overrides.keys()) assert.ok(hasOpGradient(op), `rule override of ${op} has a base gradient`);
  });

  test('a layer class without a lowering fails with one line naming the layer and its class', () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [4], units: 3 }), tf.layers.thresholdedReLU({ name: 'norm' })],
    });
    assert.throws(
      () => compileGradientGraph(model, { scores: 'logits' }),
      /^WingbeatsError: Layer 'norm' \(ThresholdedReLU\) cannot be compiled to ONNX: no ONNX lowering for this layer class\.$/,
    );
    model.dispose();
  });
});
