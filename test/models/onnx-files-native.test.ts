/**
 * ONNX files on the native engine (issue 23): the imported graph rewritten into the gradient registry's primitives
 * (src/onnx/onnx-file-lowering.ts) and run on onnxruntime-node gives PyTorch's float64 logits, input gradients and
 * guided-backprop gradients (scripts/reference/onnx-files.py) and the TensorFlow.js interpreter's numbers to float32
 * tolerance; `engine: 'auto'` runs ONNX files natively and records it; a file with an op the native engine lacks (LSTM)
 * falls back after one line naming the op; every registry method runs on an ONNX file on the native engine; op forms
 * the exporters write (Gemm with transB/alpha/beta, Squeeze/Unsqueeze, Gather, Slice, keepdims reductions, global max
 * pooling, Transpose, Concat) agree with the interpreter and with finite differences; nothing leaks.
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
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import { channelsLast, floats, loadOnnxFixture, onnxBytes, onnxReference, wave } from './onnx-fixtures.js';
import { assertClose, flat, useWasm, withoutLeaks } from '../helpers.js';

interface Reference {
  inputs: number[][];
  logits: number[][];
  targets: number[];
  gradients: number[][];
  guidedGradients?: number[][];
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
