/**
 * ConvTranspose and Resize in ONNX files (issue 23), beyond the PyTorch fixtures of onnx-files.test.ts and
 * onnx-files-native.test.ts: every coordinate transformation and rounding rule the importer computes, and
 * ConvTranspose forms (1-D, output_padding past the end pad), against ONNX Runtime's own Resize and ConvTranspose
 * kernels run on the raw file (an independent reference); the native engine's gradient (Resize lowered to constant
 * interpolation matrices) against the interpreter's and central differences, on the fixtures and on these graphs;
 * refusals in one line naming the attribute; no leaks.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
// What the Node entry point registers, without its chart and dataset modules (0.8 s of CPU to import).
import '../../src/node/register-engines.js';
import { onnxEngine } from '../../src/node/onnx/onnx-backend.js';
import { registerEngine } from '../../src/session/engines.js';
import { loadModel } from '../../src/models/load-model.js';
import { gradients } from '../../src/attribution/gradients.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import { loadOrt, runSession, sessionOptions } from '../../src/node/onnx/ort.js';
import type { ExplainableModel } from '../../src/execution/explainable-model.js';
import { onnxFixtures, channelsLast, floats, onnxBytes, wave } from './onnx-fixtures.js';
import { assertClose, flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';

const fixtures = onnxFixtures;
const reference = (
  JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as {
    models: Record<string, { inputs: number[][]; targets: number[] }>;
  }
).models;

before(async () => {
  await useWasm();
  registerEngine('onnx', onnxEngine);
});
after(() => registerEngine('onnx', null));

const int64 = (name: string, values: number[]) => ({
  name,
  dims: [values.length],
  data_type: 7,
  raw_data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
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
      const model = await loadModel(join(fixtures, `${name}-opset17.onnx`));
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
