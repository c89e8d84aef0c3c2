/**
 * ONNX files on the native engine (issue 23): the imported graph rewritten into the gradient registry's primitives
 * (src/onnx/onnx-file-lowering.ts) and run on onnxruntime-node gives PyTorch's float64 logits, input gradients and
 * guided-backprop gradients (scripts/reference/onnx-files.py) and the TensorFlow.js interpreter's numbers to float32
 * tolerance; `engine: 'auto'` runs ONNX files natively and records it; a file with an op the native engine lacks (LSTM)
 * falls back after one line naming the op; every registry method runs on an ONNX file on the native engine; op forms
 * the exporters write (Gemm with transB/alpha/beta, Squeeze/Unsqueeze, Gather, Slice, keepdims reductions, global max
 * pooling, Transpose, Concat) agree with the interpreter and with finite differences; nothing leaks.
 * ConvTranspose and Resize, beyond the PyTorch fixtures: every coordinate transformation and rounding rule the importer
 * computes, and ConvTranspose forms (1-D, output_padding past the end pad), against ONNX Runtime's own Resize and
 * ConvTranspose kernels run on the raw file (an independent reference); the native engine's gradient (Resize lowered
 * to constant interpolation matrices) against the interpreter's and central differences, on the fixtures and on these
 * graphs; refusals in one line naming the attribute; no leaks.
 * Grad-CAM and guided Grad-CAM on these files: the default layer is the last Conv/ConvTranspose node the scores depend
 * on (PyTorch's forward hooks name the same module); the layer map (channels-first activations, weights = mean
 * gradient over the non-channel axes), the map resized to the input and guided Grad-CAM equal PyTorch's float64
 * numbers (scripts/reference/onnx-files.py) to float32 tolerance on 1-D and 2-D CNNs (ConvTranspose, a skip 1×1
 * convolution and a conv whose output is longer than the input among them); a node's name and its output value give
 * the same maps; batching equals no batching; a wrong name gets one line with the nearest names; the interpreter and
 * a file without convolutions refuse in one line; the command line runs it end to end; nothing leaks on success or
 * error. A tf2onnx-style file (channels-last input transposed around its Conv) gives the maps of the same network
 * exported channels first, by default and for its channels-last value. On a Keras model, guided Grad-CAM's guided
 * part runs on the native engine too (its `'gradients'` tasks with guided propagation) and equals guided backprop ×
 * Grad-CAM on TensorFlow.js.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
// What the Node entry point registers, without its chart and dataset modules (0.8 s of CPU to import).
import '../../src/node/register-engines.js';
import { onnxEngine } from '../../src/node/onnx/onnx-backend.js';
import { registerEngine } from '../../src/session/engines.js';
import { loadModel } from '../../src/models/load-model.js';
import { gradients } from '../../src/attribution/gradients.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { lrp } from '../../src/attribution/lrp.js';
import { deeplift } from '../../src/attribution/deeplift.js';
import { attributionMethods } from '../../src/attribution/registry.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { mcDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';
import type { ExplainableModel } from '../../src/execution/explainable-model.js';
import { OnnxGradientSession, OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import {
  channelsLast,
  floats,
  loadOnnxFixture,
  onnxBytes,
  onnxReference,
  wave,
  onnxFixtures,
} from './onnx-fixtures.js';
import { assertClose, flat, useWasm, withoutLeaks, rejectsWithoutLeaks, relativeError } from '../helpers.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { loadOrt, runSession, sessionOptions } from '../../src/node/onnx/ort.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gradCam, lastConvolutionLayer } from '../../src/attribution/grad-cam.js';
import { guidedGradCam } from '../../src/attribution/guided-grad-cam.js';
import { asExplainableModel } from '../../src/execution/explainable-model.js';
import { encodeNpy } from '../../src/io/npy.js';
import { runCli } from '../cli/cli-helpers.js';
import { conv2dNet, randomBatch } from '../tiny-models.js';

interface Reference {
  inputs: number[][];
  logits: number[][];
  targets: number[];
  gradients: number[][];
  guidedGradients?: number[][];
  gradCam?: GradCamReference;
}
const reference = onnxReference<Reference>();
const NATIVE = ['psd', 'spectrogram', 'ops', 'upsample1d', 'upsample2d'] as const;

const warnings: string[] = [];
const originalWarn = console.warn;
before(async () => {
  await useWasm();
  registerEngine('onnx', onnxEngine);
  console.warn = (line: unknown) => void warnings.push(String(line));
});
after(() => {
  console.warn = originalWarn;
  registerEngine('onnx', null);
});

const inputsOf = (name: string): tf.Tensor => tf.tidy(() => channelsLast(tf.tensor(reference[name].inputs)));
const channelsLastFlat = (values: number[][]): number[] => tf.tidy(() => flat(channelsLast(tf.tensor(values))));
const load = loadOnnxFixture;

describe('ONNX files exported by PyTorch on the native engine', () => {
  for (const name of NATIVE)
    for (const opset of [13, 17])
      test(`${name} (opset ${opset}): native logits and gradients = PyTorch float64 = the TensorFlow.js interpreter`, async () => {
        const model = await load(name, opset);
        const x = inputsOf(name);
        const session = await OnnxGradientSession.create(model, { threads: 1 });
        try {
          const r = reference[name];
          const native = await session.gradients(x.dataSync() as Float32Array, r.targets);
          assertClose(native.scores, flat(r.logits), 1e-5, 1e-4, 'native logits vs PyTorch');
          assertClose(native.gradient, channelsLastFlat(r.gradients), 1e-6, 1e-4, 'native gradients vs PyTorch');
          const interpreted = await withoutLeaks(
            () => gradients(model, x, { target: r.targets, engine: 'tfjs' }),
            disposeAttribution,
          );
          assert.equal(interpreted.engine, 'tfjs');
          const onnx = await withoutLeaks(() => gradients(model, x, { target: r.targets }), disposeAttribution);
          assert.equal(onnx.engine, 'onnx', 'engine auto runs an ONNX file natively');
          // the result's tensors are disposed by withoutLeaks' cleanup: compare the native session's numbers instead
          const tfjs = await gradients(model, x, { target: r.targets, engine: 'tfjs' });
          assertClose(native.gradient, flat(tfjs.attributions), 1e-6, 1e-4, 'native vs interpreter');
          disposeAttribution(tfjs);
        } finally {
          await session.release();
          x.dispose();
          model.dispose();
        }
      });

  test('guided backprop on the ReLU CNNs = PyTorch with a guided ReLU', async () => {
    for (const name of ['psd', 'spectrogram']) {
      const model = await load(name, 17);
      const x = inputsOf(name);
      try {
        const r = reference[name];
        const result = await guidedBackprop(model, x, { target: r.targets });
        assert.equal(result.engine, 'onnx');
        assertClose(flat(result.attributions), channelsLastFlat(r.guidedGradients!), 1e-6, 1e-4, `${name} guided`);
        disposeAttribution(result);
      } finally {
        x.dispose();
        model.dispose();
      }
    }
  });

  test('LRP-ε with a tiny ε equals input × gradient on the ReLU PSD CNN; DeepLIFT is complete', async () => {
    const model = await load('psd', 13);
    const x = inputsOf('psd');
    try {
      const plain = await gradients(model, x);
      const relevance = await withoutLeaks(() => lrp(model, x, { epsilon: 1e-9 }), disposeAttribution);
      assert.equal(relevance.engine, 'onnx');
      const again = await lrp(model, x, { epsilon: 1e-9 });
      const product = tf.tidy(() => flat(tf.mul(x, plain.attributions)));
      assertClose(flat(again.attributions), product, 1e-6, 1e-4, 'LRP-0 vs x·gradient');
      // (the rescale rule is on Relu: the spectrogram CNN's LeakyRelu keeps its gradient, so only the PSD CNN is complete)
      const lifted = await deeplift(model, x);
      assert.equal(lifted.engine, 'onnx');
      for (const delta of lifted.delta!) assert.ok(Math.abs(delta) < 1e-5, `DeepLIFT delta ${delta}`);
      disposeAttribution(lifted);
      disposeAttribution(plain);
      disposeAttribution(again);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('an LSTM file falls back to the interpreter after one line naming the op and its node', async () => {
    const model = await load('recurrent', 17);
    const x = tf.tensor(reference.recurrent.inputs);
    try {
      warnings.length = 0;
      const result = await gradients(model, x, { target: reference.recurrent.targets });
      assert.equal(result.engine, 'tfjs');
      assert.equal(warnings.length, 1);
      assert.match(
        warnings[0],
        /^wingbeats-xai: UNSUPPORTED_MODEL .*node '[^']*' \(ONNX op 'LSTM'\).*using TensorFlow\.js\.$/,
      );
      assertClose(flat(result.attributions), flat(reference.recurrent.gradients), 1e-6, 1e-4, 'interpreter gradients');
      disposeAttribution(result);
      // rules have no TensorFlow.js form on an interpreted file: one line saying where they run
      await assert.rejects(guidedBackprop(model, x), (e: Error) => {
        assert.match(e.message, /ONNX file on the TensorFlow\.js interpreter.*native engine/);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

describe('every registry method on an ONNX file', () => {
  /** Options keeping the sampled methods small. */
  const SMALL: Record<string, Record<string, unknown>> = {
    'integrated-gradients': { steps: 8 },
    smoothgrad: { samples: 4, seed: 1 },
    'shapley-sampling': { samples: 2, seed: 1 },
    'kernel-shap': { samples: 40, seed: 1 },
    lime: { samples: 40, seed: 1 },
    'gradient-shap': { samples: 4, seed: 1 },
    occlusion: { window: 4 },
    'feature-ablation': {},
    shapley: { groups: 'bands:4' },
  };
  /** Methods that need reference inputs: two rows of zeros and ones. */
  const BACKGROUND = new Set(['gradient-shap', 'deeplift-shap']);
  /** The files every method runs on, and their input shape (channels last). */
  const FILES = [
    ['psd', [32, 1]],
    ['upsample2d', [6, 8, 2]],
  ] as const;
  /**
   * One load of each file for all the methods (as an application explaining one model with several methods): the
   * engine's session of the model is opened once, not once per method; each method still runs on the native engine.
   */
  const models = new Map<string, Promise<ExplainableModel>>();
  const shared = (name: string): Promise<ExplainableModel> => {
    if (!models.has(name)) models.set(name, load(name, 17));
    return models.get(name)!;
  };
  after(async () => {
    for (const model of models.values()) (await model).dispose();
  });
  for (const [name, shape] of FILES)
    for (const method of Object.keys(attributionMethods) as (keyof typeof attributionMethods)[])
      test(`${method} runs on ${name}-opset17.onnx`, async () => {
        const model = await shared(name);
        const x = tf.tidy(() => inputsOf(name).slice(0, 1));
        try {
          const before = tf.memory().numTensors;
          const background = BACKGROUND.has(method)
            ? tf.tidy(() => tf.concat([tf.zeros([1, ...shape]), tf.ones([1, ...shape])]))
            : undefined;
          try {
            const options = { ...SMALL[method], ...(background === undefined ? {} : { background }) };
            const result = (await attributionMethods[method].run(model, x, options)) as AttributionResult;
            assert.deepEqual(result.attributions.shape, x.shape);
            assert.ok(flat(result.attributions).every(Number.isFinite));
            assert.equal(result.engine, 'onnx', `${method} runs on the native engine`);
            disposeAttribution(result);
          } finally {
            background?.dispose();
          }
          assert.equal(tf.memory().numTensors, before, `${method} leaks`);
        } finally {
          x.dispose();
        }
      });

  test('Monte-Carlo dropout refuses an ONNX file in one line (exports in eval mode keep no Dropout)', async () => {
    const model = await load('psd', 17);
    const x = tf.tidy(() => inputsOf('psd').slice(0, 1));
    try {
      await assert.rejects(mcDropoutExplanations(model, x, { samples: 2 }), (e: Error) => {
        assert.ok(!e.message.includes('\n'));
        assert.match(e.message, /Dropout/);
        return true;
      });
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

/** A float32 tensor's raw bytes. */
const int64 = (name: string, values: number[], dims = [values.length]) => ({
  name,
  dims,
  data_type: 7,
  raw_data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
});

/** A graph of the op forms exporters write (batch axis `batch`): x [N, 3, 4] → [N, 2]. */
function formsGraph(batch: number | string): Uint8Array {
  // x [N, 3, 4] → several branches (GlobalMaxPool reads it as [N, C, L]) concatenated → Gemm → y [N, 2]
  return onnxBytes(
    [
      { op_type: 'Tanh', input: ['x'], output: ['t'] },
      { op_type: 'GlobalMaxPool', input: ['t'], output: ['gmp'] }, // [N, 3, 1]
      { op_type: 'Squeeze', input: ['gmp', 'axis2'], output: ['g'] }, // [N, 3]
      { op_type: 'Gather', input: ['t', 'one'], output: ['row'], attribute: [{ name: 'axis', type: 2, i: 1 }] }, // [N, 4]
      { op_type: 'Slice', input: ['t', 'starts', 'ends', 'axes'], output: ['s'] }, // [N, 3, 2]
      { op_type: 'ReduceSum', input: ['s', 'axis2'], output: ['rs'] }, // [N, 3, 1] keepdims
      {
        op_type: 'Transpose',
        input: ['rs'],
        output: ['tr'],
        attribute: [{ name: 'perm', type: 7, ints: [0, 2, 1] }],
      },
      { op_type: 'Flatten', input: ['tr'], output: ['f'] }, // [N, 3]
      { op_type: 'ReduceMean', input: ['t'], output: ['rm'], attribute: [{ name: 'axes', type: 7, ints: [-1] }] },
      { op_type: 'Unsqueeze', input: ['g', 'axis2'], output: ['u'] }, // [N, 3, 1]
      { op_type: 'Mul', input: ['u', 'rm'], output: ['um'] }, // [N, 3, 1]
      { op_type: 'Reshape', input: ['um', 'flat'], output: ['umf'] }, // [N, 3]
      {
        op_type: 'Concat',
        input: ['g', 'row', 'f', 'umf'],
        output: ['c'],
        attribute: [{ name: 'axis', type: 2, i: -1 }],
      }, // [N, 13]
      {
        op_type: 'Gemm',
        input: ['c', 'w', 'b'],
        output: ['y'],
        attribute: [
          { name: 'transB', type: 2, i: 1 },
          { name: 'alpha', type: 1, f: 0.5 },
          { name: 'beta', type: 1, f: 2 },
        ],
      },
    ],
    [3, 4],
    [
      int64('axis2', [2]),
      int64('one', [1], []),
      int64('starts', [1]),
      int64('ends', [-1]),
      int64('axes', [2]),
      int64('flat', [0, -1]),
      floats('w', [2, 13], wave(26, 0.3)),
      floats('b', [2], [0.1, -0.2]),
    ],
    { batch },
  );
}

describe('op forms the exporters write, native = interpreter = finite differences', () => {
  test('Gemm (transB, alpha, beta), Unsqueeze/Squeeze, Gather, Slice, ReduceSum/Mean keepdims, GlobalMaxPool, Transpose, Concat', async () => {
    const bytes = formsGraph('N');
    const model = await loadModel(bytes, { fileName: 'forms.onnx' });
    // the input reaches Gather and Slice before any pooling op: taken as declared
    assert.deepEqual(model.inputShape, [3, 4]);
    const x = tf.tensor(wave(2 * 12, 1.1), [2, 3, 4]);
    try {
      const session = await OnnxGradientSession.create(model, { threads: 1 });
      const native = await session.gradients(x.dataSync() as Float32Array, [0, 1]);
      await session.release();
      const interpreted = await gradients(model, x, { target: [0, 1], engine: 'tfjs' });
      assertClose(native.gradient, flat(interpreted.attributions), 1e-6, 1e-4, 'native vs interpreter');
      const scores = tf.tidy(() => flat(model.run(x)));
      assertClose(native.scores, scores, 1e-6, 1e-5, 'native vs interpreter scores');
      // central differences of the interpreter's target scores (tanh is smooth; max pooling has no near ties here)
      const values = x.dataSync();
      const h = 1e-2;
      const difference = Array.from(values, (_, i) =>
        tf.tidy(() => {
          const shifted = (d: number) => {
            const v = Float32Array.from(values);
            v[i] += d;
            const s = model.run(tf.tensor(v, x.shape)).dataSync();
            return i < 12 ? s[0] : s[3];
          };
          return (shifted(h) - shifted(-h)) / (2 * h);
        }),
      );
      assertClose(native.gradient, difference, 2e-3, 1e-2, 'native vs finite differences');
      disposeAttribution(interpreted);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('a graph exported with a fixed batch of 1 runs natively on several rows', async () => {
    const model = await loadModel(formsGraph(1), { fileName: 'forms-batch1.onnx' });
    const x = tf.tensor(wave(3 * 12, 0.4), [3, 3, 4]);
    try {
      const session = await OnnxGradientSession.create(model, { threads: 1 });
      const native = await session.gradients(x.dataSync() as Float32Array, [1, 0, 1]);
      await session.release();
      const interpreted = await gradients(model, x, { target: [1, 0, 1], engine: 'tfjs' });
      assertClose(native.gradient, flat(interpreted.attributions), 1e-6, 1e-4, 'native vs interpreter');
      disposeAttribution(interpreted);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test("AveragePool over the valid elements of windows cut by padding (torch's count_include_pad=False)", async () => {
    const bytes = onnxBytes(
      [
        {
          op_type: 'AveragePool',
          input: ['x'],
          output: ['p'],
          attribute: [
            { name: 'kernel_shape', type: 7, ints: [3] },
            { name: 'strides', type: 7, ints: [2] },
            { name: 'pads', type: 7, ints: [1, 1] },
          ],
        }, // [N, 2, 4]
        { op_type: 'Flatten', input: ['p'], output: ['f'] },
        { op_type: 'MatMul', input: ['f', 'w'], output: ['y'] },
      ],
      [2, 7],
      [floats('w', [8, 2], wave(16, 0.7))],
    );
    const model = await loadModel(bytes, { fileName: 'avgpool.onnx' });
    const x = tf.tensor(wave(14, 0.2), [1, 7, 2]);
    try {
      const session = await OnnxGradientSession.create(model, { threads: 1 });
      const native = await session.gradients(x.dataSync() as Float32Array, [1]);
      await session.release();
      const interpreted = await gradients(model, x, { target: 1, engine: 'tfjs' });
      assertClose(native.gradient, flat(interpreted.attributions), 1e-6, 1e-4, 'native vs interpreter');
      disposeAttribution(interpreted);
    } finally {
      x.dispose();
      model.dispose();
    }
  });
});

const text = (name: string, value: string) => ({ name, type: 3, s: new TextEncoder().encode(value) });
const ints = (name: string, values: number[]) => ({ name, type: 7, ints: values });

/**
 * `x [batch, ...shape]` → `head` nodes (ending in 'h') → Tanh → Flatten → MatMul by a constant → `y [batch, 2]`, at
 * opset `opset`.
 */
function graphBytes(
  head: Record<string, unknown>[],
  shape: number[],
  flatSize: number,
  initializer: Record<string, unknown>[],
  options: { batch?: number | string; opset?: number } = {},
): Uint8Array {
  return onnxBytes(
    [
      ...head,
      { op_type: 'Tanh', input: ['h'], output: ['t'] },
      { op_type: 'Flatten', input: ['t'], output: ['f'] },
      { op_type: 'MatMul', input: ['f', 'w'], output: ['y'] },
    ],
    shape,
    [...initializer, floats('w', [flatSize, 2], wave(2 * flatSize, 0.9))],
    options,
  );
}

/** ONNX Runtime's scores of the raw file on `x` (as the file reads it). */
async function ortScores(bytes: Uint8Array, x: tf.Tensor): Promise<number[]> {
  const ort = await loadOrt();
  const session = await ort.InferenceSession.create(bytes, sessionOptions(1, bytes));
  try {
    const out = await runSession(ort, session, { x: { data: x.dataSync() as Float32Array, dims: x.shape } });
    return Array.from(out.y);
  } finally {
    await session.release();
  }
}

/** Central differences of the interpreter's summed target scores at `x` (model layout). */
function finiteDifferences(model: ExplainableModel, x: tf.Tensor, targets: number[], h = 1e-2): number[] {
  const values = x.dataSync();
  const perRow = values.length / x.shape[0];
  const classes = model.run(x).shape[1] as number;
  return Array.from(values, (_, i) =>
    tf.tidy(() => {
      const row = Math.floor(i / perRow);
      const shifted = (d: number) => {
        const v = Float32Array.from(values);
        v[i] += d;
        return model.run(tf.tensor(v, x.shape)).dataSync()[row * classes + targets[row]];
      };
      return (shifted(h) - shifted(-h)) / (2 * h);
    }),
  );
}

/**
 * Loads `bytes`, checks the interpreter's scores against ONNX Runtime's on the raw file, and the native gradient
 * against the interpreter's and central differences. `x` is given as the file reads it.
 */
async function checkGraph(bytes: Uint8Array, fileName: string, fileX: tf.Tensor, channelsFirstInput: boolean) {
  const model = await loadModel(bytes, { fileName });
  const x = channelsFirstInput ? tf.tidy(() => channelsLast(fileX)) : fileX.clone();
  try {
    assertClose(
      await withoutLeaks(() => tf.tidy(() => flat(model.run(x)))),
      await ortScores(bytes, fileX),
      1e-5,
      1e-4,
      `${fileName}: interpreter vs ONNX Runtime`,
    );
    const targets = Array.from({ length: x.shape[0] }, (_, i) => i % 2);
    const session = await OnnxGradientSession.create(model, { threads: 1 });
    const native = await session.gradients(x.dataSync() as Float32Array, targets);
    await session.release();
    const interpreted = await withoutLeaks(() =>
      gradients(model, x, { target: targets, engine: 'tfjs' }).then((r) => {
        const values = flat(r.attributions);
        disposeAttribution(r);
        return values;
      }),
    );
    assertClose(native.gradient, interpreted, 1e-6, 1e-4, `${fileName}: native vs interpreter`);
    assertClose(native.gradient, finiteDifferences(model, x, targets), 2e-3, 1e-2, `${fileName}: finite differences`);
  } finally {
    x.dispose();
    model.dispose();
  }
}

describe('Resize modes, Upsample and ConvTranspose forms: interpreter = ONNX Runtime, native = interpreter = finite differences', () => {
  /** Resize configurations: attributes, scales or sizes, opset, fixed batch. */
  const RESIZES: {
    title: string;
    attributes: Record<string, unknown>[];
    scales?: number[];
    sizes?: number[];
    opset?: number;
  }[] = [
    {
      title: 'nearest, half_pixel, round_prefer_floor (the ONNX defaults), scales 2 × 1.5',
      attributes: [],
      scales: [1, 1, 2, 1.5],
    },
    {
      title: 'nearest, asymmetric, round_prefer_ceil, sizes 7 × 3',
      attributes: [text('coordinate_transformation_mode', 'asymmetric'), text('nearest_mode', 'round_prefer_ceil')],
      sizes: [1, 2, 7, 3],
    },
    {
      title: 'nearest, align_corners, ceil, scales 0.6 × 2.5 (down and up)',
      attributes: [text('coordinate_transformation_mode', 'align_corners'), text('nearest_mode', 'ceil')],
      scales: [1, 1, 0.6, 2.5],
    },
    {
      title: 'nearest, tf_half_pixel_for_nn, floor, scales 1.5 × 1 (opset 11, an empty roi)',
      opset: 11,
      attributes: [text('coordinate_transformation_mode', 'tf_half_pixel_for_nn'), text('nearest_mode', 'floor')],
      scales: [1, 1, 1.5, 1],
    },
    {
      title: 'linear, pytorch_half_pixel, sizes 1 × 6 (an output of one cell)',
      attributes: [text('mode', 'linear'), text('coordinate_transformation_mode', 'pytorch_half_pixel')],
      sizes: [1, 2, 1, 6],
    },
    {
      title: 'linear, asymmetric, scales 0.6 × 2.5',
      attributes: [text('mode', 'linear'), text('coordinate_transformation_mode', 'asymmetric')],
      scales: [1, 1, 0.6, 2.5],
    },
    {
      title: 'linear, half_pixel, sizes 3 × 9',
      attributes: [text('mode', 'linear')],
      sizes: [1, 2, 3, 9],
    },
  ];
  for (const { title, attributes, scales, sizes, opset = 13 } of RESIZES)
    test(`Resize ${title}`, async () => {
      const shape = [2, 5, 4];
      const out = sizes ?? [1, ...shape].map((d, i) => Math.floor(d * (scales as number[])[i]));
      const bytes = graphBytes(
        [
          {
            op_type: 'Resize',
            input: [
              'x',
              opset < 13 ? 'roi' : '',
              scales === undefined ? '' : 'scales',
              ...(sizes === undefined ? [] : ['sizes']),
            ],
            output: ['h'],
            attribute: attributes,
          },
        ],
        shape,
        out.slice(1).reduce((a, b) => a * b, 1),
        [
          ...(scales === undefined ? [] : [floats('scales', [4], scales)]),
          ...(opset < 13 ? [floats('roi', [0], [])] : []),
          ...(sizes === undefined ? [] : [int64('sizes', sizes)]),
        ],
        // constant sizes fix the batch axis: such a file runs row by row
        { batch: sizes === undefined ? 'N' : 1, opset },
      );
      const batch = sizes === undefined ? 2 : 1;
      const x = tf.tensor(wave(batch * 40, 0.3), [batch, ...shape]);
      try {
        // the input meets Flatten after Resize, no convolution: taken as declared
        await checkGraph(bytes, 'resize.onnx', x, false);
      } finally {
        x.dispose();
      }
    });

  test('Resize 1-D at opset 10 (inputs X, scales; asymmetric nearest)', async () => {
    const bytes = graphBytes(
      [{ op_type: 'Resize', input: ['x', 'scales'], output: ['h'] }],
      [2, 5],
      2 * 15,
      [floats('scales', [3], [1, 1, 3])],
      { opset: 10 },
    );
    const x = tf.tensor(wave(2 * 10, 1.7), [2, 2, 5]);
    try {
      await checkGraph(bytes, 'resize10.onnx', x, false);
    } finally {
      x.dispose();
    }
  });

  for (const { title, opset, mode, scales } of [
    {
      title: 'nearest, opset 9 (scales input; torch.onnx at opset 9)',
      opset: 9,
      mode: 'nearest',
      scales: [1, 1, 2, 3],
    },
    { title: 'linear, opset 9, scales 1.5 × 2', opset: 9, mode: 'linear', scales: [1, 1, 1.5, 2] },
    { title: 'nearest, opset 7 (scales attribute), scales 2.5 × 1', opset: 7, mode: 'nearest', scales: [1, 1, 2.5, 1] },
  ])
    test(`Upsample ${title}`, async () => {
      const shape = [2, 5, 4];
      const out = [1, ...shape].map((d, i) => Math.floor(d * scales[i]));
      const fromInput = opset >= 9;
      const bytes = graphBytes(
        [
          {
            op_type: 'Upsample',
            input: fromInput ? ['x', 'scales'] : ['x'],
            output: ['h'],
            attribute: [text('mode', mode), ...(fromInput ? [] : [{ name: 'scales', type: 6, floats: scales }])],
          },
        ],
        shape,
        out.slice(1).reduce((a, b) => a * b, 1),
        fromInput ? [floats('scales', [4], scales)] : [],
        { opset },
      );
      const x = tf.tensor(wave(2 * 40, 2.1), [2, ...shape]);
      try {
        await checkGraph(bytes, 'upsample.onnx', x, false);
      } finally {
        x.dispose();
      }
    });

  test('ConvTranspose 1-D: stride 3, pads [2, 1], output_padding 2, bias', async () => {
    // [N, 2, 5] → (5 − 1)·3 + 4 − 3 + 2 = 15 cells
    const bytes = graphBytes(
      [
        {
          op_type: 'ConvTranspose',
          input: ['x', 'k', 'b'],
          output: ['h'],
          attribute: [ints('strides', [3]), ints('pads', [2, 1]), ints('output_padding', [2])],
        },
      ],
      [2, 5],
      3 * 15,
      [floats('k', [2, 3, 4], wave(24, 0.1)), floats('b', [3], [0.1, -0.2, 0.05])],
    );
    const x = tf.tensor(wave(2 * 10, 0.5), [2, 2, 5]);
    try {
      await checkGraph(bytes, 'convtranspose1d.onnx', x, true);
    } finally {
      x.dispose();
    }
  });

  test('ConvTranspose 2-D: strides 2 × 3, output_padding past the end pad (zeros no input reaches), no bias', async () => {
    // [N, 2, 3, 4] → H: (3 − 1)·2 + 3 − 1 − 0 + 1 = 7, W: (4 − 1)·3 + 2 − 1 − 0 + 2 = 12
    const bytes = graphBytes(
      [
        {
          op_type: 'ConvTranspose',
          input: ['x', 'k'],
          output: ['h'],
          attribute: [ints('strides', [2, 3]), ints('pads', [1, 1, 0, 0]), ints('output_padding', [1, 2])],
        },
      ],
      [2, 3, 4],
      2 * 7 * 12,
      [floats('k', [2, 2, 3, 2], wave(24, 0.4))],
    );
    const x = tf.tensor(wave(2 * 24, 0.8), [2, 2, 3, 4]);
    try {
      await checkGraph(bytes, 'convtranspose2d.onnx', x, true);
    } finally {
      x.dispose();
    }
  });
});

describe('the PyTorch ConvTranspose/Resize fixtures on the native engine', () => {
  for (const name of ['upsample1d', 'upsample2d'])
    test(`${name}: native gradient = central differences; integrated gradients is complete; nothing leaks`, async () => {
      const model = await loadOnnxFixture(name, 17);
      const x = tf.tidy(() => channelsLast(tf.tensor(reference[name].inputs)));
      try {
        const targets = reference[name].targets;
        const session = await OnnxGradientSession.create(model, { threads: 1 });
        const native = await session.gradients(x.dataSync() as Float32Array, targets);
        await session.release();
        assertClose(native.gradient, finiteDifferences(model, x, targets), 2e-3, 1e-2, 'finite differences');
        const before = tf.memory().numTensors;
        const ig = await integratedGradients(model, x, { target: targets, steps: 128 });
        assert.equal(ig.engine, 'onnx');
        for (const delta of ig.delta ?? [NaN]) assert.ok(Math.abs(delta) < 2e-3, `completeness gap ${delta}`);
        disposeAttribution(ig);
        assert.equal(tf.memory().numTensors, before, 'tensor leak');
      } finally {
        x.dispose();
        model.dispose();
      }
    });
});

describe('ConvTranspose and Resize forms that do not run are refused in one line naming the attribute', () => {
  const resize = (attribute: Record<string, unknown>[]) =>
    graphBytes([{ op_type: 'Resize', input: ['x', '', 'scales'], output: ['h'], attribute }], [2, 5, 4], 2 * 10 * 8, [
      floats('scales', [4], [1, 1, 2, 2]),
    ]);
  const convTranspose = (attribute: Record<string, unknown>[], k = [2, 3, 3]) =>
    graphBytes([{ op_type: 'ConvTranspose', input: ['x', 'k'], output: ['h'], attribute }], [2, 5], 3 * 7, [
      floats(
        'k',
        k,
        wave(
          k.reduce((a, b) => a * b, 1),
          0.2,
        ),
      ),
    ]);
  for (const [bytes, pattern] of [
    [resize([text('mode', 'cubic')]), /\(op 'Resize'\) has mode 'cubic'; nearest and linear/],
    [
      resize([text('coordinate_transformation_mode', 'tf_crop_and_resize')]),
      /has coordinate_transformation_mode 'tf_crop_and_resize'; supported: half_pixel/,
    ],
    [resize([{ name: 'antialias', type: 2, i: 1 }]), /has antialias 1/],
    [
      graphBytes(
        [{ op_type: 'Upsample', input: ['x', 'scales'], output: ['h'] }],
        [2, 5, 4],
        2 * 2 * 4,
        [floats('scales', [4], [1, 1, 0.5, 1])],
        { opset: 9 },
      ),
      /\(op 'Upsample'\) has scales \[1, 1, 0\.5, 1\] below 1/,
    ],
    [convTranspose([{ name: 'group', type: 2, i: 2 }], [2, 3, 3]), /\(op 'ConvTranspose'\) has group 2/],
    [convTranspose([ints('dilations', [2])]), /has dilations \[2\] \(only 1 is supported\)/],
    [convTranspose([text('auto_pad', 'SAME_UPPER')]), /has auto_pad 'SAME_UPPER'/],
  ] as const)
    test(`${String(pattern)}`, async () => {
      await rejectsWithoutLeaks(async () => {
        try {
          await loadModel(bytes, { fileName: 'bad.onnx' });
        } catch (error) {
          assert.ok(!(error as Error).message.includes('\n'), 'one line');
          throw error;
        }
      }, pattern);
    });
});

interface GradCamReference {
  module: string;
  layerMap: number[][];
  map: number[][];
  guided: number[][];
}
/** The files with a convolution, and the op of their last one. */
const CONV_FILES = [
  ['psd', 'Conv'],
  ['spectrogram', 'Conv'],
  ['ops', 'Conv'],
  ['upsample1d', 'ConvTranspose'],
  ['upsample2d', 'Conv'],
] as const;

/** {@link relativeError}, against a reference that is not all zeros. */
function relative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.ok(
    Array.from(b).some((v) => v !== 0),
    'the reference is not all zeros',
  );
  return relativeError(a, b);
}

interface Numbers {
  layerMap: number[];
  attributions: number[];
  engine: string;
  layer: string;
}

/** The numbers of a call, checked to leave no tensor behind once its result is disposed. */
async function numbers(call: () => Promise<AttributionResult>): Promise<Numbers> {
  let out: Numbers | undefined;
  await withoutLeaks(call, (result) => {
    out = {
      layerMap: result.layerMap === undefined ? [] : flat(result.layerMap),
      attributions: flat(result.attributions),
      engine: result.engine,
      layer: result.layer ?? '',
    };
    disposeAttribution(result);
  });
  return out!;
}

/** The resized map `[N, ...spatial]` repeated over `channels` (channels last), as the attributions hold it. */
function repeated(map: number[][], channels: number): number[] {
  return tf.tidy(() => {
    const m = tf.tensor(map);
    return flat(tf.tile(tf.expandDims(m, -1), [...m.shape.map(() => 1), channels]));
  });
}

const TOLERANCE = 1e-6;

describe('Grad-CAM on ONNX files = PyTorch float64', () => {
  for (const [name, op] of CONV_FILES)
    for (const opset of [13, 17])
      test(`${name} (opset ${opset}): default layer, layer map, resized map and guided Grad-CAM`, async () => {
        const r = reference[name];
        const ref = r.gradCam!;
        const model = await load(name, opset);
        const x = inputsOf(name);
        try {
          const channels = x.shape[x.rank - 1];
          const node = `/${ref.module}/${op}`;
          assert.equal(lastConvolutionLayer(model, 'test'), node, 'the last convolution PyTorch calls');
          const cam = await numbers(() => gradCam(model, x, { target: r.targets }));
          assert.equal(cam.engine, 'onnx');
          assert.equal(cam.layer, node);
          assert.ok(relative(cam.layerMap, flat(ref.layerMap)) < TOLERANCE, `${name} layer map`);
          assert.ok(relative(cam.attributions, repeated(ref.map, channels)) < TOLERANCE, `${name} resized map`);
          const guided = await numbers(() => guidedGradCam(model, x, { target: r.targets }));
          assert.equal(guided.engine, 'onnx');
          const expected = tf.tidy(() => flat(channelsLast(tf.tensor(ref.guided))));
          assert.ok(relative(guided.attributions, expected) < TOLERANCE, `${name} guided Grad-CAM`);
          assert.deepEqual(guided.layerMap, cam.layerMap);
        } finally {
          x.dispose();
          model.dispose();
        }
      });
});

describe('Grad-CAM on ONNX files: layers, batching, refusals', () => {
  test('a node name and its output value give the same maps; the result names what was asked for', async () => {
    const model = await load('psd', 17);
    const x = inputsOf('psd');
    try {
      const byNode = await numbers(() => gradCam(model, x, { layer: '/conv1/Conv' }));
      const byValue = await numbers(() => gradCam(model, x, { layer: '/conv1/Conv_output_0' }));
      assert.equal(byNode.layer, '/conv1/Conv');
      assert.equal(byValue.layer, '/conv1/Conv_output_0');
      assert.deepEqual(byValue.layerMap, byNode.layerMap);
      assert.equal(byNode.layerMap.length, 3 * 32, 'conv1 keeps the 32 positions');
      // after the ReLU the map differs from the conv's own output
      const relu = await numbers(() => gradCam(model, x, { layer: '/Relu' }));
      assert.equal(relu.engine, 'onnx');
      assert.notDeepEqual(relu.layerMap, byNode.layerMap);
      // a dense layer's output: one number per example, spread over the input
      const dense = await numbers(() => gradCam(model, x, { layer: '/fc/Gemm' }));
      assert.equal(dense.layerMap.length, 3);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('batching equals no batching (Grad-CAM and guided Grad-CAM)', async () => {
    const model = await load('spectrogram', 13);
    const x = inputsOf('spectrogram');
    try {
      for (const method of [gradCam, guidedGradCam]) {
        const whole = await numbers(() => method(model, x));
        const single = await numbers(() => method(model, x, { batchSize: 1 }));
        assert.ok(relative(single.attributions, whole.attributions) < 1e-6, method.name);
        assert.ok(relative(single.layerMap, whole.layerMap) < 1e-6, method.name);
      }
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('a wrong layer name: one line naming the nearest nodes and the convolutions, nothing leaks', async () => {
    const model = await load('psd', 17);
    const x = inputsOf('psd');
    try {
      const before = tf.memory().numTensors;
      for (const method of [gradCam, guidedGradCam])
        await assert.rejects(method(model, x, { layer: '/conv3/Conv' }), (e: Error & { code?: string }) => {
          assert.equal(e.code, 'INVALID_ARGUMENT');
          assert.ok(!e.message.includes('\n'));
          assert.match(
            e.message,
            /^Argument 'layer' passed to '(gradCam|guidedGradCam)' must be the name of a node, or of its output value, on the way to the scores of .*psd-opset17.* \(nearest: '\/conv1\/Conv', '\/conv2\/Conv', .*; convolutions: '\/conv1\/Conv', '\/conv2\/Conv'\) but got '\/conv3\/Conv'\./,
          );
          return true;
        });
      assert.equal(tf.memory().numTensors, before, 'no leak on error');
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('the TensorFlow.js interpreter and a file without convolutions refuse in one line', async () => {
    const model = await load('psd', 17);
    const x = inputsOf('psd');
    const recurrent = await load('recurrent', 17);
    const sequence = tf.tensor(reference.recurrent.inputs);
    try {
      const before = tf.memory().numTensors;
      await assert.rejects(gradCam(model, x, { engine: 'tfjs' }), (e: Error) => {
        assert.ok(!e.message.includes('\n'));
        assert.match(e.message, /ONNX file on the TensorFlow\.js interpreter, where a layer's output cannot run/);
        return true;
      });
      await assert.rejects(gradCam(recurrent, sequence), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'UNSUPPORTED_MODEL');
        assert.ok(!e.message.includes('\n'));
        assert.match(
          e.message,
          /'gradCam' found no convolution node in .* whose output keeps a spatial or time axis; pass the option 'layer'/,
        );
        return true;
      });
      assert.equal(tf.memory().numTensors, before, 'no leak on error');
    } finally {
      x.dispose();
      sequence.dispose();
      model.dispose();
      recurrent.dispose();
    }
  });
});

test('wingbeats-xai explain --model x.onnx --method grad-cam|guided-grad-cam: the library numbers, end to end', async () => {
  const work = mkdtempSync(join(tmpdir(), 'wingbeats-onnx-grad-cam-'));
  const r = reference.upsample2d;
  const x = inputsOf('upsample2d');
  const inputFile = join(work, 'inputs.npy');
  writeFileSync(inputFile, encodeNpy(Float32Array.from(x.dataSync()), x.shape));
  const modelFile = join(onnxFixtures, 'upsample2d-opset17.onnx');
  const model = await loadModel(modelFile);
  try {
    for (const [method, call] of [
      ['grad-cam', gradCam],
      ['guided-grad-cam', guidedGradCam],
    ] as const) {
      const { code, stdout, stderr } = await runCli([
        'explain',
        '--model',
        modelFile,
        '--input',
        inputFile,
        '--method',
        method,
        '--layer',
        '/up/ConvTranspose',
        '--json',
        '--quiet',
      ]);
      assert.equal(code, 0, stderr);
      const json = JSON.parse(stdout) as { results: { layer: string; layerMap: number[][]; attributions: number[] }[] };
      const api = await numbers(() => call(model, x, { layer: '/up/ConvTranspose' }));
      assert.deepEqual(
        json.results.map((row) => row.layer),
        r.targets.map(() => '/up/ConvTranspose'),
      );
      assert.equal(json.results[0].layerMap.length, 6, 'the ConvTranspose output: 6 × 8');
      assert.ok(
        relative(
          json.results.flatMap((row) => flat(row.layerMap)),
          api.layerMap,
        ) < 1e-6,
        `${method} map`,
      );
      assert.ok(
        relative(
          json.results.flatMap((row) => flat(row.attributions)),
          api.attributions,
        ) < 1e-6,
        method,
      );
    }
    const wrong = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--method',
      'grad-cam',
      '--layer',
      'up',
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(
      wrong.stderr,
      /^wingbeats-xai: Option '--layer' must be the name of a node, or of its output value, .* \(nearest: '\/up\/ConvTranspose', .*\) but got 'up'\.\n$/,
    );
  } finally {
    x.dispose();
    model.dispose();
  }
});

test('guided Grad-CAM on a Keras model: both parts on the native engine, = guided backprop × Grad-CAM on TensorFlow.js', async () => {
  const kinds: string[] = [];
  const originalRun = OnnxTaskRunner.prototype.run;
  OnnxTaskRunner.prototype.run = function (this: OnnxTaskRunner, ...args: Parameters<typeof originalRun>) {
    kinds.push(args[0].kind);
    return originalRun.apply(this, args);
  };
  const model = conv2dNet(5);
  const x = randomBatch([3, 6, 5, 2], 6);
  try {
    const native = await numbers(() => guidedGradCam(model, x));
    assert.ok(kinds.includes('grad-cam') && kinds.includes('gradients'), `native tasks: ${kinds.join(', ')}`);
    assert.equal(native.engine, 'onnx');
    const guided = await numbers(() => guidedBackprop(model, x, { engine: 'tfjs' }));
    const cam = await numbers(() => gradCam(model, x, { engine: 'tfjs' }));
    const product = guided.attributions.map((v, i) => v * cam.attributions[i]);
    assert.ok(relative(native.attributions, product) < 1e-5, 'product');
  } finally {
    OnnxTaskRunner.prototype.run = originalRun;
    x.dispose();
    model.dispose();
  }
});

test('a tf2onnx-style file (NLC input, Transpose → Conv → Transpose) gives the maps of the channels-first export; a free input axis refuses in one line', async () => {
  const [length, channels, filters] = [8, 2, 3];
  const kernel = floats('k', [filters, channels, 3], wave(filters * channels * 3, 0.4));
  const bias = floats('kb', [filters], [0.1, -0.05, 0.2]);
  const conv = { op_type: 'Conv', attribute: [{ name: 'pads', type: 7, ints: [1, 1] }] };
  const dense = wave(2 * filters * length, 0.9); // [2, filters·length] over channels-first flattening (c·L + l)
  const denseLast = Array.from({ length: dense.length }, (_, i) => {
    const [o, rest] = [Math.floor(i / (filters * length)), i % (filters * length)];
    const [l, c] = [Math.floor(rest / filters), rest % filters];
    return dense[o * filters * length + c * length + l];
  });
  const gemm = { op_type: 'Gemm', attribute: [{ name: 'transB', type: 2, i: 1 }] };
  const perm = [{ name: 'perm', type: 7, ints: [0, 2, 1] }];
  const first = onnxBytes(
    [
      { ...conv, input: ['x', 'k', 'kb'], output: ['c'] },
      { op_type: 'Relu', input: ['c'], output: ['r'] },
      { op_type: 'Flatten', input: ['r'], output: ['f'] },
      { ...gemm, input: ['f', 'w'], output: ['y'] },
    ],
    [channels, length],
    [kernel, bias, floats('w', [2, filters * length], dense)],
  );
  const last = onnxBytes(
    [
      { op_type: 'Transpose', input: ['x'], output: ['xt'], attribute: perm },
      { ...conv, input: ['xt', 'k', 'kb'], output: ['c'] },
      { op_type: 'Relu', input: ['c'], output: ['r'] },
      { op_type: 'Transpose', input: ['r'], output: ['rt'], attribute: perm },
      { op_type: 'Flatten', input: ['rt'], output: ['f'] },
      { ...gemm, input: ['f', 'w'], output: ['y'] },
    ],
    [length, channels],
    [kernel, bias, floats('w', [2, filters * length], denseLast)],
  );
  const free = onnxBytes(
    [
      { ...conv, input: ['x', 'k', 'kb'], output: ['c'] },
      {
        op_type: 'ReduceMean',
        input: ['c'],
        output: ['y'],
        attribute: [
          { name: 'axes', type: 7, ints: [2] },
          { name: 'keepdims', type: 2, i: 0 },
        ],
      },
    ],
    [channels, 'L'],
    [kernel, bias],
  );
  const freeModel = await loadModel(free, { fileName: 'free-length.onnx' });
  const freeInput = randomBatch([1, length, channels], 13);
  try {
    await assert.rejects(gradCam(freeModel, freeInput), (e: Error) => {
      assert.ok(!e.message.includes('\n'));
      assert.match(
        e.message,
        /'gradCam' reads a node's output on the native engine, which needs every input size of 'free-length\.onnx' fixed/,
      );
      return true;
    });
  } finally {
    freeInput.dispose();
    freeModel.dispose();
  }
  const a = await loadModel(first, { fileName: 'channels-first.onnx' });
  const b = await loadModel(last, { fileName: 'tf2onnx-like.onnx' });
  const x = randomBatch([2, length, channels], 12);
  try {
    assert.deepEqual(a.inputShape, [length, channels]);
    assert.deepEqual(b.inputShape, [length, channels]);
    const expected = await numbers(() => gradCam(a, x, { target: [0, 1] }));
    assert.equal(expected.layer, 'n0');
    assert.equal(expected.layerMap.length, 2 * length);
    for (const layer of [undefined, 'rt', 'r']) {
      const got = await numbers(() => gradCam(b, x, { target: [0, 1], ...(layer === undefined ? {} : { layer }) }));
      assert.equal(got.engine, 'onnx');
      const reference =
        layer === undefined ? expected : await numbers(() => gradCam(a, x, { target: [0, 1], layer: 'r' }));
      assert.ok(relative(got.layerMap, reference.layerMap) < 1e-6, `layer ${String(layer)}`);
      assert.ok(relative(got.attributions, reference.attributions) < 1e-6, `layer ${String(layer)}`);
    }
  } finally {
    x.dispose();
    a.dispose();
    b.dispose();
  }
});

test('the default layer skips a last convolution whose output has no axis longer than 1 (Keras, as for ONNX files)', async () => {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [12, 2], filters: 3, kernelSize: 3, padding: 'same', name: 'wide' }),
      tf.layers.maxPooling1d({ poolSize: 12 }),
      tf.layers.conv1d({ filters: 4, kernelSize: 1, name: 'pointwise_head' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  try {
    assert.equal(lastConvolutionLayer(asExplainableModel(model), 'test'), 'wide');
  } finally {
    model.dispose();
  }
});
