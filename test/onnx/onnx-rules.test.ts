/**
 * Propagation rules on ONNX Runtime: LRP (ε, γ, αβ, z⁺; batch norm folded or not; logits and probabilities) and
 * DeepLIFT (rescale and max-pool rules, paired batch; logits and probabilities) run as op-gradient overrides of the
 * compiled graph and give the TensorFlow.js path's numbers to float32 rounding, row by row as in a batch, with LRP-0 =
 * input × gradient and DeepLIFT's summation to delta; results say `engine: 'onnx'`; no tensor leaks. Every op type a
 * rule overrides has a plain gradient, and every op the lowered layers of a rule's sites emit is one the rule names.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ExplainableModel, inputXGradient, type AttributionResult } from '../../src/index.js';
import '../../src/node.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { lrp } from '../../src/attribution/lrp.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { appendBackward, hasOpGradient } from '../../src/onnx/op-gradients.js';
import { ACTIVATION_SITE } from '../../src/onnx/op-gradient.js';
import { OnnxGraph } from '../../src/onnx/onnx-graph.js';
import { loadNodeOnnxRuntime } from '../../src/node/onnx/node-onnx-runtime.js';
import { LRP_OVERRIDDEN_OPS } from '../../src/onnx/rules/lrp-composite.js';
import { DEEPLIFT_GRADIENTS } from '../../src/onnx/rules/propagation.js';
import { LRP_AFFINE_CLASSES, LRP_WEIGHTED_CLASSES } from '../../src/rules/lrp-linear.js';
import { loadModel } from '../../src/models/load-model.js';
import { Conv1DTranspose, registerKerasConv1DTranspose } from '../../src/models/keras-conv1d-transpose.js';
import { SeparableConv1D, registerKerasSeparableConv1D } from '../../src/models/keras-separable-conv1d.js';
import { Normalization } from '../../src/models/keras-normalization.js';
import { UpSampling1D } from '../../src/models/keras-upsampling1d.js';
import { sharedDir, skipWithoutShared, useWasm, withoutLeaks, relativeError } from '../helpers.js';
import { conv1dNet, conv2dNet, denseNet, randomBatch, seedWeights } from '../tiny-models.js';

before(useWasm);

let accelerated = 0;
const originalRun = OnnxTaskRunner.prototype.run;
before(() => {
  OnnxTaskRunner.prototype.run = function (this: OnnxTaskRunner, ...args: Parameters<typeof originalRun>) {
    if (args[0].kind === 'lrp' || args[0].kind === 'deeplift') accelerated++;
    return originalRun.apply(this, args);
  };
});
after(() => {
  OnnxTaskRunner.prototype.run = originalRun;
});

type Method = (model: ExplainableModel, x: tf.Tensor, options: Record<string, unknown>) => Promise<AttributionResult>;

interface Numbers {
  attributions: Float32Array;
  delta?: number[];
  engine: string;
}

async function numbers(call: () => Promise<AttributionResult>): Promise<Numbers> {
  let out: Numbers | undefined;
  await withoutLeaks(call, (result) => {
    out = {
      attributions: result.attributions.dataSync() as Float32Array,
      ...(result.delta === undefined ? {} : { delta: result.delta }),
      engine: result.engine,
    };
    disposeAttribution(result);
  });
  return out!;
}

/** PSD-like: BatchNorm on the input, Conv1D → BatchNorm → ReLU → MaxPool1D twice, Flatten, Dense(relu), Dense(softmax). */
function psdLikeNet(seed = 21): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.batchNormalization({ inputShape: [16, 1] }),
      tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.conv1d({ filters: 6, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 5, activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
  layer.apply(x) as tf.SymbolicTensor;

/** Residual 2-D network with a 2×2 max pool (odd size: cropped), a ReLU in a skip connection and an Add. */
function residualNet(seed = 22): tf.LayersModel {
  const x = tf.input({ shape: [7, 6, 2] });
  const a = apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
  const b = apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }), a);
  const sum = apply(tf.layers.reLU(), apply(tf.layers.add(), [a, b]));
  const pooled = apply(tf.layers.maxPooling2d({ poolSize: 2 }), sum);
  const out = apply(tf.layers.dense({ units: 3 }), apply(tf.layers.flatten(), pooled));
  const model = tf.model({ inputs: x, outputs: out });
  seedWeights(model, seed);
  return model;
}

/** A 2×3 max pool over an odd-sized map (cropped on both axes; not square: cut by Reshape and Transpose), then Dense. */
function oblongPoolNet(seed = 24): tf.LayersModel {
  const x = tf.input({ shape: [7, 8, 2] });
  const a = apply(tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
  const pooled = apply(tf.layers.maxPooling2d({ poolSize: [2, 3] }), a);
  const model = tf.model({
    inputs: x,
    outputs: apply(tf.layers.dense({ units: 3 }), apply(tf.layers.flatten(), pooled)),
  });
  seedWeights(model, seed);
  return model;
}

/** Two inputs: a sequence through Conv1D(relu) and MaxPool1D, a vector through Dense(tanh), concatenated. */
function twoInputNet(seed = 23): tf.LayersModel {
  const a = tf.input({ shape: [8, 2] });
  const b = tf.input({ shape: [5] });
  const left = apply(
    tf.layers.flatten(),
    apply(
      tf.layers.maxPooling1d({ poolSize: 2 }),
      apply(tf.layers.conv1d({ filters: 3, kernelSize: 2, activation: 'relu' }), a),
    ),
  );
  const right = apply(tf.layers.dense({ units: 4, activation: 'tanh' }), b);
  const joined = apply(tf.layers.concatenate(), [left, right]);
  const model = tf.model({
    inputs: [a, b],
    outputs: apply(tf.layers.dense({ units: 3, activation: 'softmax' }), joined),
  });
  seedWeights(model, seed);
  return model;
}

const inputOf = (model: ExplainableModel, rows: number, seed: number): tf.Tensor =>
  randomBatch([rows, ...(model.inputShape as number[])], seed);

/**
 * LRP-γ divides by x·W' + b', another sum than z: where it nearly cancels (|x·W' + b'| ~ 1e-5 while z > 0, ratios ~100
 * measured on a one-convolution network with seeded weights), float32 rounding decides the ratio, and each engine is
 * ~1e-4 of the largest value away from a float64 evaluation (TF.js 4.8e-5, ONNX 1.4e-4 on that network). Its agreement
 * is checked to that conditioning; ε and αβ divide by well-conditioned sums (ε: z/stab(z) ≈ 1) and agree to 1e-5.
 */
const GAMMA_TOLERANCE = 1e-3;

/**
 * DeepLIFT with probabilities rescales the softmax gradient by Δp_t / (g·Δz), a quotient of differences of nearby
 * float32 values (measured 4e-4 of the largest value apart on the batch-norm network, 1e-6 on the others).
 */
const PROBABILITY_TOLERANCE = 1e-3;

const LRP_SETTINGS: [string, Record<string, unknown>][] = [
  ['ε', { rule: 'epsilon' }],
  ['ε = 0.1, probabilities', { rule: 'epsilon', epsilon: 0.1, scores: 'probabilities' }],
  ['γ', { rule: 'gamma', gamma: 0.25 }],
  ['αβ (2, 1)', { rule: 'alpha-beta', alpha: 2, beta: 1 }],
  ['z⁺', { rule: 'z-plus' }],
  ['ε, batch norm folded', { rule: 'epsilon', foldBatchNorm: true }],
  ['γ, batch norm folded, probabilities', { rule: 'gamma', foldBatchNorm: true, scores: 'probabilities' }],
];

/** The method on TensorFlow.js and on ONNX Runtime: the same numbers (`tolerance` relative to the largest), engine named. */
async function agree(
  model: ExplainableModel,
  x: tf.Tensor,
  method: Method,
  options: Record<string, unknown>,
  tolerance: number,
): Promise<{ error: number; onnx: Numbers }> {
  const expected = await numbers(() => method(model, x, { workers: 1, ...options, engine: 'tfjs' }));
  assert.equal(expected.engine, 'tfjs');
  const before = accelerated;
  const got = await numbers(() => method(model, x, { workers: 1, ...options }));
  assert.ok(accelerated > before, 'the rule tasks ran on onnxruntime');
  assert.equal(got.engine, 'onnx');
  const error = relativeError(got.attributions, expected.attributions);
  if (process.env.RULES_DEBUG !== undefined) console.log('DEBUG', JSON.stringify(options), error);
  assert.ok(error <= tolerance, `attributions differ by ${error} of their largest value (tolerance ${tolerance})`);
  if (expected.delta !== undefined) {
    // a delta is a float32 sum over the row's attributions: compared to the size of that sum's terms
    const size = expected.attributions.length / expected.delta.length;
    expected.delta.forEach((d, r) => {
      const terms = expected.attributions.subarray(r * size, (r + 1) * size).reduce((a, v) => a + Math.abs(v), 0);
      const gap = Math.abs(got.delta![r] - d);
      assert.ok(gap <= 1e-5 * Math.max(1, terms), `row ${r}: deltas differ by ${gap} (Σ|attributions| ${terms})`);
    });
  }
  return { error, onnx: got };
}

/** Each row explained alone equals its row of the batch (ONNX Runtime). */
async function rowsAlone(model: ExplainableModel, x: tf.Tensor, method: Method, options: Record<string, unknown>) {
  const batch = await numbers(() => method(model, x, { workers: 1, ...options }));
  const size = batch.attributions.length / x.shape[0];
  for (let r = 0; r < x.shape[0]; r++) {
    const row = tf.slice(x, r, 1);
    const alone = await numbers(() => method(model, row, { workers: 1, ...options }));
    row.dispose();
    const error = relativeError(alone.attributions, batch.attributions.subarray(r * size, (r + 1) * size));
    assert.ok(error <= 2e-6, `row ${r} alone differs from the batch by ${error}`);
  }
}

const TINY: [string, () => tf.LayersModel][] = [
  ['Conv1D network (PSD-like: Conv1D, MaxPool1D, Dropout, Dense softmax)', () => conv1dNet()],
  ['Conv2D network (spectrogram-like: Conv2D, BatchNorm, ReLU, MaxPool2D, GAP, Softmax)', () => conv2dNet()],
  ['batch-norm network (BatchNorm on the input, after convolutions and after a Dense; MaxPool1D)', () => psdLikeNet()],
  ['Dense network', () => denseNet(1, true)],
];

describe('propagation rules on ONNX Runtime', () => {
  for (const [name, build] of TINY)
    test(`${name}: every LRP rule and DeepLIFT equal the TensorFlow.js path`, async () => {
      const model = ExplainableModel.from(build());
      const x = inputOf(model, 5, 31);
      const errors: Record<string, number> = {};
      for (const [rule, options] of LRP_SETTINGS)
        errors[`lrp ${rule}`] = (
          await agree(model, x, lrp as Method, options, options.rule === 'gamma' ? GAMMA_TOLERANCE : 1e-5)
        ).error;
      for (const scores of ['logits', 'probabilities']) {
        const tolerance = scores === 'probabilities' ? PROBABILITY_TOLERANCE : 1e-5;
        const { error, onnx } = await agree(model, x, deeplift as Method, { scores }, tolerance);
        errors[`deeplift ${scores}`] = error;
        const gap = Math.max(...onnx.delta!.map(Math.abs));
        assert.ok(gap < 1e-4, `DeepLIFT sums to f(x) − f(baseline) on ONNX (delta ${gap})`);
      }
      const random = randomBatch([5, ...(model.inputShape as number[])], 32);
      errors['deeplift random baseline'] = (
        await agree(model, x, deeplift as Method, { baseline: random }, 1e-5)
      ).error;
      random.dispose();
      console.log(`${name}: largest difference / largest value ${JSON.stringify(errors)}`);
      x.dispose();
      model.dispose();
    });

  test('residual, oblong-pool and two-input networks: DeepLIFT equals the TensorFlow.js path (LRP refuses merges)', async () => {
    for (const [build, complete] of [
      [residualNet, true],
      [oblongPoolNet, true],
      [twoInputNet, false], // tanh takes its plain gradient: no summation to delta, on either engine
    ] as const) {
      const model = ExplainableModel.from(build());
      const x = inputOf(model, 4, 33);
      const { onnx } = await agree(model, x, deeplift as Method, {}, 1e-5);
      if (complete) assert.ok(Math.max(...onnx.delta!.map(Math.abs)) < 1e-4, 'summation to delta');
      await agree(model, x, deeplift as Method, { scores: 'probabilities' }, PROBABILITY_TOLERANCE);
      if (build === oblongPoolNet) {
        const random = inputOf(model, 4, 36);
        await agree(model, x, deeplift as Method, { baseline: random }, 1e-5);
        random.dispose();
      } else await assert.rejects(lrp(model, x, { workers: 1 }), /has no LRP rule for layer|through ReLU networks/);
      x.dispose();
      model.dispose();
    }
  });

  test('each row alone equals the batch; LRP-0 equals input × gradient on ONNX Runtime', async () => {
    const model = ExplainableModel.from(psdLikeNet());
    const x = inputOf(model, 4, 34);
    await rowsAlone(model, x, lrp as Method, { rule: 'gamma' });
    await rowsAlone(model, x, deeplift as Method, {});
    const zero = await numbers(() => lrp(model, x, { workers: 1, epsilon: 0 }));
    const ixg = await numbers(() => inputXGradient(model, x, { workers: 1 }));
    assert.equal(zero.engine, 'onnx');
    assert.ok(relativeError(zero.attributions, ixg.attributions) <= 2e-6, 'LRP-0 = input × gradient');
    x.dispose();
    model.dispose();
  });

  test('a model LRP folds differently, a mid-network softmax and overlapping pools stay on TensorFlow.js', async () => {
    const overlapping = ExplainableModel.from(
      tf.sequential({
        layers: [
          tf.layers.conv1d({ inputShape: [9, 1], filters: 2, kernelSize: 2, activation: 'relu' }),
          tf.layers.maxPooling1d({ poolSize: 3, strides: 2 }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 2 }),
        ],
      }),
    );
    const x = inputOf(overlapping, 2, 35);
    await assert.rejects(deeplift(overlapping, x, { workers: 1 }), /DeepLIFT's max-pool rule needs non-overlapping/);
    const result = await lrp(overlapping, x, { workers: 1 });
    assert.equal(result.engine, 'onnx', 'LRP passes overlapping pools by their plain gradient');
    disposeAttribution(result);
    x.dispose();
    overlapping.dispose();
  });

  test("paired-batch backward: a rule-exempt MaxPool (its builder adds an indices output) gives the input rows' plain gradient", async () => {
    const g = new OnnxGraph();
    const x = g.input('x', [1, 4, 4]);
    g.ruleExempt = true;
    const pooled = g.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] });
    g.ruleExempt = false;
    g.setShape(pooled, [1, 2, 2]);
    const flat = g.op('Reshape', [pooled, g.int64s([-1, 4])]);
    g.setShape(flat, [4]);
    g.output('gradient', appendBackward(g, x, flat, g.input('mask', [4]), DEEPLIFT_GRADIENTS), [1, 4, 4]);
    const session = await (await loadNodeOnnxRuntime()).createSession(g.encode('paired'), { threads: 1 });
    try {
      // rows [input; reference]: each window's maximum of the input row takes its seed, the reference row none
      const input = [1, 5, 2, 0, 3, 4, 8, 6, 9, 0, 1, 1, 2, 7, 3, 2];
      const reference = input.map((v) => 10 - v);
      const out = await session.run({
        x: { data: Float32Array.from([...input, ...reference]), dims: [2, 1, 4, 4] },
        mask: { data: Float32Array.of(1, 2, 3, 4, 0, 0, 0, 0), dims: [2, 4] },
      });
      const expected = new Float32Array(16);
      [1, 6, 8, 14].forEach((at, window) => (expected[at] = window + 1));
      assert.deepEqual(Array.from(out.gradient), Array.from(expected));
    } finally {
      await session.release();
    }
  });

  test('every op a rule overrides has a plain gradient; the layers LRP rules address emit only ops its composite names', () => {
    // (ACTIVATION_SITE names marked activation sites, no op type: their ops keep their plain gradients)
    for (const op of [...LRP_OVERRIDDEN_OPS, ...DEEPLIFT_GRADIENTS.keys()])
      if (op !== 'AveragePool' && op !== ACTIVATION_SITE)
        assert.ok(hasOpGradient(op), `rule override of ${op} has a plain gradient`);
    // the ops emitted for every layer class the TF.js composite wraps (layer by layer), each named by the ONNX composite
    // (and the plain first ops of the affine maps whose last op takes ε: a Rescaling's Mul, a Normalization's Sub)
    const names = new Set<string>([...LRP_OVERRIDDEN_OPS, 'Transpose', 'Reshape', 'Relu', 'Identity', 'Mul', 'Sub']);
    const layers: [string, tf.layers.Layer, number[]][] = [
      ['Dense', tf.layers.dense({ units: 2, activation: 'relu' }), [3]],
      ['Conv1D', tf.layers.conv1d({ filters: 2, kernelSize: 2, activation: 'relu' }), [5, 2]],
      ['Conv2D', tf.layers.conv2d({ filters: 2, kernelSize: 2 }), [4, 4, 2]],
      ['BatchNormalization', tf.layers.batchNormalization(), [4, 2]],
      ['GlobalAveragePooling1D', tf.layers.globalAveragePooling1d(), [4, 2]],
      ['GlobalAveragePooling2D', tf.layers.globalAveragePooling2d({}), [4, 4, 2]],
      ['Conv1DTranspose', new Conv1DTranspose({ filters: 2, kernelSize: 3, strides: 2, activation: 'relu' }), [4, 2]],
      ['SeparableConv1D', new SeparableConv1D({ filters: 2, kernelSize: 2, activation: 'relu' }), [5, 2]],
      ['Normalization', new Normalization({ axis: -1, mean: [0.5, -1], variance: [2, 0.5] }), [4, 2]],
      ['Rescaling', tf.layers.rescaling({ scale: 0.5, offset: -1 }), [4, 2]],
      ['Conv2DTranspose', tf.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2 }), [3, 3, 2]],
    ];
    registerKerasConv1DTranspose();
    registerKerasSeparableConv1D();
    const covered = new Set<string>();
    for (const [className, layer, shape] of layers) {
      covered.add(className);
      const input = tf.input({ shape });
      const out = apply(layer, input);
      const model = tf.model({ inputs: input, outputs: out.shape.length > 2 ? apply(tf.layers.flatten(), out) : out });
      const ops = compileGradientGraph(model, { scores: 'logits', gradient: false }).forwardOpTypes;
      const unnamed = ops.filter((op) => !names.has(op));
      assert.deepEqual(unnamed, [], `${className} emits ops the ONNX LRP composite does not name`);
      model.dispose();
    }
    const missing = [...LRP_WEIGHTED_CLASSES, ...LRP_AFFINE_CLASSES].filter(
      (c) => !covered.has(c) && !c.startsWith('AveragePooling'),
    );
    assert.deepEqual(missing, [], 'layer classes the TF.js LRP composite addresses, not checked here');
    // layers TF.js passes by their plain gradient (LRP) emit no op the composite overrides; DeepLIFT's sites (ReLU
    // activations, max pooling) emit the ops its overrides name, and its other layers neither of them
    const overridden = new Set<string>(LRP_OVERRIDDEN_OPS);
    const deepliftOps = new Set(DEEPLIFT_GRADIENTS.keys());
    const passing: [string, tf.layers.Layer, number[], 'relu' | 'pool' | 'none'][] = [
      ['MaxPooling1D', tf.layers.maxPooling1d({ poolSize: 2 }), [4, 2], 'pool'],
      ['MaxPooling2D', tf.layers.maxPooling2d({ poolSize: 2 }), [4, 4, 2], 'pool'],
      ['ReLU', tf.layers.reLU(), [4], 'relu'],
      ['Activation', tf.layers.activation({ activation: 'relu' }), [4], 'relu'],
      ['Dense (relu)', tf.layers.dense({ units: 2, activation: 'relu' }), [3], 'relu'],
      ['Conv2D (relu)', tf.layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu' }), [3, 3, 1], 'relu'],
      ['Flatten', tf.layers.flatten(), [2, 2], 'none'],
      ['Reshape', tf.layers.reshape({ targetShape: [4] }), [2, 2], 'none'],
      ['Dropout', tf.layers.dropout({ rate: 0.5 }), [4], 'none'],
      ['UpSampling1D', new UpSampling1D({ size: 2 }), [3, 2], 'none'],
      ['UpSampling2D', tf.layers.upSampling2d({ size: [2, 2] }), [2, 2, 1], 'none'],
    ];
    for (const [className, layer, shape, site] of passing) {
      const input = tf.input({ shape });
      const out = apply(layer, input);
      const model = tf.model({ inputs: input, outputs: out.shape.length > 2 ? apply(tf.layers.flatten(), out) : out });
      const ops = compileGradientGraph(model, { scores: 'logits', gradient: false }).forwardOpTypes;
      if (!className.includes('(relu)'))
        assert.deepEqual(
          ops.filter((op) => overridden.has(op)),
          [],
          `${className} emits ops the LRP composite overrides`,
        );
      const named = ops.filter((op) => deepliftOps.has(op));
      assert.deepEqual(named, { relu: ['Relu'], pool: ['MaxPool'], none: [] }[site], `${className}: DeepLIFT's ops`);
      model.dispose();
    }
  });

  const psd = 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5';
  const spectro = 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5';
  const rules = {
    ε: { rule: 'epsilon' },
    // measured 5e-5 (PSD) and 7e-4 (spectrogram, when it ran there): see GAMMA_TOLERANCE
    γ: { rule: 'gamma' },
    'z⁺': { rule: 'z-plus' },
    'ε folded': { rule: 'epsilon', foldBatchNorm: true },
  } as const;
  // Every rule on the PSD CNN; on the spectrogram CNN ε, ε with its batch norms folded (inside its nested CNN2D model)
  // and DeepLIFT: γ and z⁺ are the same composite at each Conv2D site as ε, checked with every rule on the tiny Conv2D
  // network above.
  for (const [label, file, shape, names] of [
    ['Potamitis PSD CNN', psd, [4, 129, 1], ['ε', 'γ', 'z⁺', 'ε folded']],
    ['Potamitis spectrogram CNN', spectro, [2, 129, 113, 3], ['ε', 'ε folded']],
  ] as const)
    test(
      `${label}: LRP (${names.join(', ')}) and DeepLIFT equal the TensorFlow.js path`,
      { skip: skipWithoutShared },
      async () => {
        const model = await loadModel(resolve(sharedDir, file));
        const x = tf.tidy(() => tf.add(tf.mul(randomBatch([...shape], 5), 15), -60));
        const errors: Record<string, number> = {};
        for (const [rule, options] of names.map((name) => [name, rules[name]] as const))
          errors[`lrp ${rule}`] = (
            await agree(model, x, lrp as Method, options, options.rule === 'gamma' ? GAMMA_TOLERANCE : 1e-5)
          ).error;
        errors.deeplift = (await agree(model, x, deeplift as Method, {}, 1e-5)).error;
        console.log(`${label}: largest difference / largest value ${JSON.stringify(errors)}`);
        x.dispose();
        model.dispose();
      },
    );
});
