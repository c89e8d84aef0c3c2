/**
 * `backend: 'onnx'`: the methods whose row tasks the ONNX runner accepts (gradients, saliency, input×gradient,
 * integrated gradients, the request frame's forward pass) give the numbers of the TensorFlow.js path to float32
 * rounding, their tasks really run on onnxruntime-node, no tensor leaks, a model the compiler refuses keeps
 * TensorFlow.js after one line, and tasks with other rules stay on TensorFlow.js. Monte-Carlo dropout runs on ONNX with
 * the keep-masks TensorFlow.js draws, so its samples (not only their statistics) equal the TensorFlow.js path's.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { onnxEngine } from '../../src/node.js';
import {
  ExplainableModel,
  gradients,
  guidedBackprop,
  inputXGradient,
  integratedGradients,
  saliency,
  smoothGrad,
  type AttributionResult,
} from '../../src/index.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { lrp } from '../../src/attribution/lrp.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { registerEngine } from '../../src/session/engines.js';
import { defaultSession } from '../../src/session/session.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { loadModel } from '../../src/models/load-model.js';
import { sharedDir, skipWithoutShared, useWasm, withoutLeaks } from '../helpers.js';
import {
  conv1dNet,
  conv2dDropoutNet,
  conv2dNet,
  unloweredNet,
  overlappingPoolNet,
  randomBatch,
  seedWeights,
} from '../tiny-models.js';
import { mcDropoutExplanations, type McDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';

before(useWasm);

const warnings: string[] = [];
let accelerated = 0;
const originalRun = OnnxTaskRunner.prototype.run;
const originalWarn = console.warn;
before(() => {
  // The default sessions' fallback lines go to console.warn.
  console.warn = (line: unknown) => void warnings.push(String(line));
  OnnxTaskRunner.prototype.run = function (this: OnnxTaskRunner, ...args: Parameters<typeof originalRun>) {
    accelerated++;
    return originalRun.apply(this, args);
  };
});
after(() => {
  OnnxTaskRunner.prototype.run = originalRun;
  console.warn = originalWarn;
});

type Method = (model: ExplainableModel, x: tf.Tensor, options: Record<string, unknown>) => Promise<AttributionResult>;

const METHODS: [string, Method, Record<string, unknown>][] = [
  ['gradients', gradients as Method, {}],
  ['saliency', saliency as Method, {}],
  ['input×gradient', inputXGradient as Method, {}],
  ['integrated gradients (16 steps)', integratedGradients as Method, { steps: 16 }],
  ['integrated gradients (probabilities)', integratedGradients as Method, { steps: 8, scores: 'probabilities' }],
  ['guided backprop', guidedBackprop as Method, {}],
  [
    'SmoothGrad of saliency (4 noisy copies)',
    (m, x, o) => smoothGrad(saliency, { noiseSamples: 4, seed: 3 })(m, x, o),
    {},
  ],
];

/** Max |a − b| over max |b|. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

interface Numbers {
  method: string;
  attributions: Float32Array;
  shape: number[];
  targets: number[];
  predictions: Float32Array;
}

/** Runs `method` and returns its numbers, asserting that no tensor outlives the call. */
async function numbers(call: () => Promise<AttributionResult>): Promise<Numbers> {
  let out: Numbers | undefined;
  await withoutLeaks(call, (result) => {
    out = {
      method: result.method,
      attributions: result.attributions.dataSync() as Float32Array,
      shape: result.attributions.shape.slice(),
      targets: result.targets,
      predictions: result.predictions.dataSync() as Float32Array,
    };
    disposeAttribution(result);
  });
  return out!;
}

/** Runs `method` with and without the ONNX backend; asserts float32 agreement, ONNX tasks ran, no leaks. */
async function agree(
  model: ExplainableModel,
  x: tf.Tensor,
  method: Method,
  options: Record<string, unknown>,
  tolerance: number,
): Promise<number> {
  const base = { workers: 1, ...options };
  const expected = await numbers(() => method(model, x, { ...base, engine: 'tfjs' }));
  const before = accelerated;
  const got = await numbers(() => method(model, x, { ...base, backend: 'onnx' }));
  assert.ok(accelerated > before, 'tasks ran on onnxruntime');
  assert.deepEqual(got.shape, expected.shape);
  assert.deepEqual(got.targets, expected.targets);
  const error = relative(got.attributions, expected.attributions);
  assert.ok(error <= tolerance, `attributions differ by ${error} of their largest value (tolerance ${tolerance})`);
  assert.ok(relative(got.predictions, expected.predictions) <= tolerance, 'predictions');
  return error;
}

/** Input [8, 6, 2] → Conv1D(4, k3, same, relu) → Dropout(0.3) (a mask over positions and channels) → MaxPool1D → Flatten → Dense(3). */
function spatialDropoutNet(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [8, 2], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** Every sample's map and scores of a Monte-Carlo dropout run (keepSamples), flattened in order. */
function sampleNumbers(result: McDropoutExplanations): { maps: number[]; scores: number[] } {
  return {
    maps: result.examples.flatMap((e) => e.samples!.flatMap((s) => Array.from(s))),
    scores: result.examples.flatMap((e) => e.predictions.samples.flat()),
  };
}

/** MC dropout with and without the ONNX backend: same samples to `tolerance`, ONNX tasks ran, no leaks. */
async function mcAgree(
  model: ExplainableModel,
  x: tf.Tensor,
  options: Record<string, unknown>,
  tolerance: number,
): Promise<number> {
  const base = { samples: 6, seed: 3, keepSamples: true, workers: 1, ...options };
  let expected: McDropoutExplanations | undefined;
  let got: McDropoutExplanations | undefined;
  await withoutLeaks(async () => (expected = await mcDropoutExplanations(model, x, { ...base, engine: 'tfjs' })));
  const before = accelerated;
  await withoutLeaks(async () => (got = await mcDropoutExplanations(model, x, { ...base, backend: 'onnx' })));
  assert.ok(accelerated > before, 'tasks ran on onnxruntime');
  // Each result names the engines that ran its passes.
  assert.equal(expected!.engine, 'tfjs');
  assert.equal(got!.engine, 'onnx');
  const a = sampleNumbers(got!);
  const b = sampleNumbers(expected!);
  assert.equal(a.maps.length, b.maps.length);
  const error = relative(a.maps, b.maps);
  assert.ok(error <= tolerance, `sample maps differ by ${error} of their largest value (tolerance ${tolerance})`);
  assert.ok(relative(a.scores, b.scores) <= tolerance, `sample scores differ by ${relative(a.scores, b.scores)}`);
  return error;
}

describe("backend: 'onnx'", () => {
  for (const method of ['saliency', 'input-x-gradient', 'guided-backprop', 'gradients'] as const)
    test(`Monte-Carlo dropout (${method}): every sample equals the TensorFlow.js path's (same keep-masks)`, async () => {
      for (const [net, shape] of [
        [conv2dDropoutNet(7), [3, 6, 5, 2]],
        [conv1dNet(), [3, 12, 2]],
        [spatialDropoutNet(8), [3, 8, 2]],
      ] as const) {
        const model = ExplainableModel.from(net);
        const x = randomBatch([...shape], 12);
        await mcAgree(model, x, { method }, 2e-6);
        await mcAgree(model, x, { method, maps: 'signed', scores: 'probabilities' }, 2e-6);
        x.dispose();
        model.dispose();
      }
    });

  for (const [name, method, options] of METHODS) {
    test(`tiny Conv2D and Conv1D networks (softmax and linear heads): ${name} equals the TensorFlow.js path`, async () => {
      // the last two have a linear head (their probabilities are the softmax the library adds); the last one strided
      // convolutions and overlapping pools (guided backprop's ReLU before them is not folded into the pool)
      for (const [net, shape, overlapping] of [
        [conv2dNet(), [5, 6, 5, 2], false],
        [conv1dNet(), [5, 12, 2], false],
        [spatialDropoutNet(8), [5, 8, 2], false],
        [overlappingPoolNet(), [5, 9, 8, 2], true],
      ] as const) {
        // Zero-baseline IG puts all-zero rows through the overlapping pools, where every window ties: TensorFlow.js's
        // own MaxPoolGrad (used for overlapping windows) gives ties to another element than the first (see
        // docs/performance.md); the other methods cover that network.
        if (overlapping && name.startsWith('integrated gradients')) {
          net.dispose();
          continue;
        }
        const model = ExplainableModel.from(net);
        const x = randomBatch([...shape], 31);
        await agree(model, x, method, options, 2e-6);
        x.dispose();
        model.dispose();
      }
    });
  }

  test('tasks the runner refuses (two rules) run on TensorFlow.js: same numbers, no ONNX run', async () => {
    const model = ExplainableModel.from(conv2dNet());
    const x = randomBatch([3, 6, 5, 2], 4);
    const execution = { rules: [guidedRelu, guidedRelu] };
    const expected = await numbers(() => saliency(model, x, { workers: 1, execution, engine: 'tfjs' }));
    const before = accelerated;
    const got = await numbers(() => saliency(model, x, { workers: 1, execution, backend: 'onnx' }));
    assert.equal(accelerated, before);
    assert.deepEqual(got.attributions, expected.attributions);
    x.dispose();
    model.dispose();
  });

  test("the runner is kept per thread count in the model's default session and dropped with the model", async () => {
    const model = ExplainableModel.from(conv2dNet());
    const session = defaultSession(model);
    const x = randomBatch([2, 6, 5, 2], 8);
    disposeAttribution(await saliency(model, x, { workers: 1, backend: 'onnx' }));
    const first = session.accelerator('onnx', 1);
    assert.ok(first instanceof OnnxTaskRunner);
    disposeAttribution(await saliency(model, x, { workers: 1, backend: 'onnx' }));
    assert.equal(session.accelerator('onnx', 1), first);
    disposeAttribution(await saliency(model, x, { workers: 2, backend: 'onnx' }));
    const second = session.accelerator('onnx', 2);
    assert.ok(second instanceof OnnxTaskRunner);
    assert.notEqual(second, first);
    disposeAttribution(await saliency(model, x, { workers: 1, backend: 'onnx' }));
    assert.equal(session.accelerator('onnx', 1), first, 'one runner per thread count, kept');
    model.dispose();
    assert.ok(session.isDisposed);
    assert.equal(session.accelerator('onnx', 1), undefined);
    x.dispose();
  });

  test('a model the compiler refuses keeps TensorFlow.js after ONE line', async () => {
    warnings.length = 0;
    const model = ExplainableModel.from(unloweredNet());
    const x = randomBatch([2, ...(model.layersModel!.inputs[0].shape.slice(1) as number[])], 9);
    const expected = await numbers(() => saliency(model, x, { workers: 1, engine: 'tfjs' }));
    const got = await numbers(() => saliency(model, x, { workers: 1, backend: 'onnx' }));
    disposeAttribution(await saliency(model, x, { workers: 1, backend: 'onnx' }));
    assert.deepEqual(got.attributions, expected.attributions);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0], /^wingbeats-xai: UNSUPPORTED_MODEL .*; using TensorFlow\.js\.$/);
    x.dispose();
    model.dispose();
  });

  test("the default engine is ONNX Runtime in Node ('auto'); every result names the engines that ran", async () => {
    warnings.length = 0;
    const model = ExplainableModel.from(conv2dNet());
    const x = randomBatch([3, 6, 5, 2], 14);
    const engineOf = async (options: Record<string, unknown>, method: Method = saliency as Method) => {
      let engine = '';
      await withoutLeaks(
        () => method(model, x, { workers: 1, ...options }),
        (result) => {
          engine = result.engine;
          disposeAttribution(result);
        },
      );
      return engine;
    };
    const before = accelerated;
    const byDefault = await numbers(() => saliency(model, x, { workers: 1 }));
    assert.ok(accelerated > before, 'the default ran on onnxruntime');
    assert.deepEqual(
      byDefault.attributions,
      (await numbers(() => saliency(model, x, { workers: 1, engine: 'onnx' }))).attributions,
    );
    assert.equal(await engineOf({}), 'onnx');
    assert.equal(await engineOf({ engine: 'auto' }), 'onnx');
    assert.equal(await engineOf({ backend: 'onnx' }), 'onnx', "'backend' stays an alias");
    assert.equal(await engineOf({ engine: 'tfjs' }), 'tfjs');
    // LRP's rules run as op-gradient overrides on ONNX Runtime too (test/onnx/onnx-rules.test.ts)
    assert.equal(await engineOf({}, lrp as Method), 'onnx');
    await assert.rejects(
      saliency(model, x, { engine: 'onnx', backend: 'tfjs' }),
      /^WingbeatsError: Argument 'backend' passed to 'saliency' must be the same engine as 'engine' \('onnx'\), or no 'backend' \(it is the older name of 'engine'\) but got 'tfjs'\.$/,
    );
    assert.deepEqual(warnings, []);
    const unlowered = ExplainableModel.from(unloweredNet());
    const y = randomBatch([2, ...(unlowered.layersModel!.inputs[0].shape.slice(1) as number[])], 15);
    const result = await saliency(unlowered, y, { workers: 1 });
    assert.equal(result.engine, 'tfjs');
    disposeAttribution(result);
    assert.equal(warnings.length, 1, 'one line says why the model stays on TensorFlow.js');
    assert.match(warnings[0], /^wingbeats-xai: UNSUPPORTED_MODEL .*; using TensorFlow\.js\.$/);
    unlowered.dispose();
    y.dispose();
    x.dispose();
    model.dispose();
  });

  test('a bad backend value and a backend nobody registered are refused in one line', async () => {
    const model = ExplainableModel.from(conv2dNet());
    const x = randomBatch([1, 6, 5, 2], 2);
    await assert.rejects(
      saliency(model, x, { backend: 'torch' as never }),
      /^WingbeatsError: Argument 'backend' passed to 'saliency' must be 'auto', 'tfjs', 'onnx', 'onnx-cuda' but got 'torch'\.$/,
    );
    registerEngine('onnx', null);
    try {
      await assert.rejects(
        saliency(model, x, { engine: 'onnx' }),
        /^WingbeatsError: Argument 'engine' passed to 'saliency' must be 'tfjs' or 'auto' here \('onnx' needs its engine registered: in Node, import 'wingbeats-xai\/node'\) but got 'onnx'\.$/,
      );
      const result = await saliency(model, x, { engine: 'auto', workers: 1 });
      assert.equal(result.engine, 'tfjs', "'auto' without an ONNX engine: TensorFlow.js, silently");
      disposeAttribution(result);
    } finally {
      registerEngine('onnx', onnxEngine);
    }
    x.dispose();
    model.dispose();
  });

  const psd = 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5';
  const spectro = 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5';
  /** 8 random PSD rows; the reference recording's spectrogram (random spectrograms hit max-pool near ties, see docs/performance.md). */
  const psdInputs = (): tf.Tensor => tf.tidy(() => tf.add(tf.mul(randomBatch([8, 129, 1], 5), 15), -60));
  const spectrogramInput = (): tf.Tensor => {
    const file = resolve(sharedDir, 'reference/spectrogram/b_wingbeat_8k.json');
    const channel = (JSON.parse(readFileSync(file, 'utf8')) as { model_input_channel: number[][] }).model_input_channel;
    const one = [1, channel.length, channel[0].length, 1];
    return tf.tidy(() => tf.tile(tf.tensor(Float32Array.from(channel.flat()), one), [1, 1, 1, 3]));
  };
  for (const [label, file, inputs] of [
    ['Potamitis PSD CNN', psd, psdInputs],
    ['Potamitis spectrogram CNN', spectro, spectrogramInput],
  ] as const) {
    test(
      `${label}: saliency, IG-8, guided backprop and MC dropout equal the TensorFlow.js path`,
      { skip: skipWithoutShared },
      async () => {
        const model = await loadModel(resolve(sharedDir, file));
        const x = inputs();
        const errors: Record<string, number> = {};
        // One method per graph and task kind: saliency ('gradients', the plain graph; input×gradient and SmoothGrad
        // send the same task kind, with other host arithmetic and rows, and are checked on the tiny networks above),
        // IG-8 ('integrated-gradients', path rows through max-pool near ties), guided backprop (the guided graph) and
        // MC dropout ('mc-dropout-maps', the keep-masks).
        for (const [name, method, options] of [
          ['saliency', saliency as Method, {}],
          ['IG-8', integratedGradients as Method, { steps: 8 }],
          ['guided backprop', guidedBackprop as Method, {}],
        ] as const)
          // IG's path points near α = 0 hit max-pool near ties on the spectrogram CNN (docs/performance.md, "Near
          // ties"): there the two float32 paths pick different winners; measured 2.6e-3 for IG-8, every other method ≤ 5e-7.
          errors[name] = await agree(
            model,
            x,
            method,
            options,
            name === 'IG-8' && label.includes('spectrogram') ? 1e-2 : 2e-6,
          );
        // measured 6.6e-7 (PSD) and 6.0e-7 (spectrogram) with 20 samples: the same masks, so float32 agreement
        errors['MC dropout-6'] = await mcAgree(model, x, {}, 2e-6);
        console.log(`${label}: largest difference / largest value`, JSON.stringify(errors));
        x.dispose();
        model.dispose();
      },
    );
  }
});
