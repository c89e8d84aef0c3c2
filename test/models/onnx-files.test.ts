/**
 * ONNX files as models (issue 23): classifiers exported by Debian's PyTorch (`scripts/reference/onnx-files.py`, opset
 * 13 and 17, dynamic batch axis) load with `loadModel`, and their logits and input gradients match PyTorch's float64
 * numbers at float32 tolerance; integrated gradients is complete; batching changes nothing; nothing leaks; class
 * names come from the metadata; unsupported ops and damaged files are refused in one line; the CLI explains them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/models/load-model.js';
import { gradients } from '../../src/attribution/gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import type { ExplainableModel } from '../../src/execution/explainable-model.js';
import { encodeModelProto } from '../../src/onnx-file/onnx-schema.js';
import { parseLabelList } from '../../src/onnx-file/metadata-labels.js';
import { assertClose, flat, rejectsWithoutLeaks, repoRoot, useWasm, withoutLeaks } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { onnxBytes } from './onnx-fixtures.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'onnx-files');
const reference = JSON.parse(readFileSync(join(fixtures, 'reference.json'), 'utf8')) as {
  models: Record<
    string,
    {
      inputShape: number[];
      endsInSoftmax: boolean;
      inputs: number[][];
      logits: number[][];
      targets: number[];
      gradients: number[][];
    }
  >;
};
const NAMES = ['psd', 'spectrogram', 'ops', 'recurrent', 'upsample1d', 'upsample2d'] as const;
/** The recurrent model reads [time, features] through a Transpose: its input is taken as declared. */
const CHANNELS_FIRST = new Set(['psd', 'spectrogram', 'ops', 'upsample1d', 'upsample2d']);
const OPSETS = [13, 17] as const;
const dir = mkdtempSync(join(tmpdir(), 'wingbeats-onnx-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

/** torch's channels-first `[N, C, ...]` as the model's channels-last `[N, ..., C]`, and back. */
const channelsLast = (x: tf.Tensor): tf.Tensor =>
  tf.transpose(x, [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1]);
const channelsFirst = (x: tf.Tensor): tf.Tensor =>
  tf.transpose(x, [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)]);
/** The reference's inputs, channels last. */
const inputsOf = (name: string): tf.Tensor =>
  tf.tidy(() => {
    const x = tf.tensor(reference.models[name].inputs);
    return CHANNELS_FIRST.has(name) ? channelsLast(x) : x;
  });
/** The reference's gradients, channels last (flat). */
const gradientsOf = (name: string): number[] =>
  tf.tidy(() => {
    const g = tf.tensor(reference.models[name].gradients);
    return flat(CHANNELS_FIRST.has(name) ? channelsLast(g) : g);
  });

const fixture = (name: string, opset: number): string => join(fixtures, `${name}-opset${opset}.onnx`);
const load = (name: string, opset: number): Promise<ExplainableModel> => loadModel(fixture(name, opset));

/** A float32 tensor's raw bytes. */
const raw = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

describe('ONNX files exported by PyTorch (Conv1d/2d, ConvTranspose1d/2d, BatchNorm, pooling, view/flatten, Pad, Clip, GELU, LSTM, GRU, Resize)', () => {
  for (const name of NAMES) {
    for (const opset of OPSETS) {
      test(`${name} (opset ${opset}): logits and input gradients match PyTorch's float64 autograd`, async () => {
        const ref = reference.models[name];
        const model = await load(name, opset);
        try {
          const [channels, ...spatial] = ref.inputShape;
          const first = CHANNELS_FIRST.has(name);
          assert.deepEqual(model.inputShape, first ? [...spatial, channels] : ref.inputShape);
          assert.equal(
            (model.info.onnx as { inputLayout: string }).inputLayout,
            first ? 'channels-first' : 'as-declared',
          );
          assert.equal(model.info.format, 'onnx');
          assert.equal((model.info.onnx as { endsInSoftmax: boolean }).endsInSoftmax, ref.endsInSoftmax);
          const x = inputsOf(name);
          const logits = await withoutLeaks(() => {
            const scores = tf.tidy(() => model.run(x));
            const values = flat(scores);
            scores.dispose();
            return values;
          });
          assertClose(logits, flat(ref.logits), 1e-5, 1e-4, 'logits');
          const attributions = await withoutLeaks(async () => {
            const result = await gradients(model, x, { target: ref.targets, engine: 'tfjs' });
            const values = flat(result.attributions);
            disposeAttribution(result);
            return values;
          });
          assertClose(attributions, gradientsOf(name), 1e-5, 1e-4, 'gradients');
          const sal = await saliency(model, x, { target: ref.targets, engine: 'tfjs' });
          assertClose(flat(sal.attributions), gradientsOf(name).map(Math.abs), 1e-5, 1e-4, 'saliency');
          disposeAttribution(sal);
          x.dispose();
        } finally {
          model.dispose();
        }
      });
    }
  }

  test('probabilities are the softmax of the explained logits when the graph ends in Softmax', async () => {
    const ref = reference.models.psd;
    const model = await load('psd', 13);
    try {
      const x = inputsOf('psd');
      const probabilities = tf.tidy(() => model.run(x, { scores: 'probabilities' }));
      assertClose(flat(probabilities), flat(tf.tidy(() => tf.softmax(tf.tensor(ref.logits)))), 1e-6, 1e-5);
      tf.dispose([x, probabilities]);
    } finally {
      model.dispose();
    }
  });

  test('integrated gradients is complete, and batching equals no batching', async () => {
    const ref = reference.models.spectrogram;
    const model = await load('spectrogram', 17);
    try {
      const x = inputsOf('spectrogram');
      const before = tf.memory().numTensors;
      const ig = await integratedGradients(model, x, { target: ref.targets, steps: 256, engine: 'tfjs' });
      for (const delta of ig.delta ?? [NaN]) assert.ok(Math.abs(delta) < 2e-3, `completeness gap ${delta}`);
      disposeAttribution(ig);
      // Batching splits the path points into chunks whatever their number: 16 steps (17 points) show it.
      const options = { target: ref.targets, steps: 16, engine: 'tfjs' } as const;
      const all = await integratedGradients(model, x, options);
      const one = await integratedGradients(model, x, { ...options, batchSize: 1 });
      assertClose(flat(one.attributions), flat(all.attributions), 1e-6, 1e-5, 'batch size 1 vs default');
      disposeAttribution(all);
      disposeAttribution(one);
      assert.equal(tf.memory().numTensors, before, 'tensor leak');
      x.dispose();
    } finally {
      model.dispose();
    }
  });

  test('load and dispose leave no tensor behind, for every fixture', async () => {
    for (const name of NAMES)
      for (const opset of OPSETS)
        await withoutLeaks(async () => {
          const model = await load(name, opset);
          model.dispose();
        });
  });
});

describe('class names of ONNX files', () => {
  test('from the metadata key labels, from the labels option, else class k', async () => {
    const stored = await load('psd', 13);
    assert.deepEqual(stored.labels(0), ['aedes', 'anopheles', 'culex', 'fly', 'bee']);
    assert.equal(stored.info.labelSource, 'model');
    assert.equal((stored.info.onnx as { labelKey: string }).labelKey, 'labels');
    stored.dispose();
    const plain = await load('psd', 17);
    assert.deepEqual(plain.labels(0), ['class 0', 'class 1', 'class 2', 'class 3', 'class 4']);
    assert.equal(plain.info.labelSource, 'class-index');
    assert.deepEqual(plain.outputNames, ['scores']);
    plain.dispose();
    const named = await loadModel(fixture('psd', 13), { labels: ['a', 'b', 'c', 'd', 'e'] });
    assert.deepEqual(named.labels(0), ['a', 'b', 'c', 'd', 'e']);
    named.dispose();
    await rejectsWithoutLeaks(
      () => loadModel(fixture('psd', 13), { labels: ['a', 'b'] }),
      /^Argument 'options\.labels' passed to 'loadModel' must be 5 class names/,
    );
  });

  test('metadata values: JSON lists, index maps, Python dicts, comma lists', () => {
    assert.deepEqual(parseLabelList('["a", "b"]'), ['a', 'b']);
    assert.deepEqual(parseLabelList('{"1": "b", "0": "a"}'), ['a', 'b']);
    assert.deepEqual(parseLabelList("{0: 'person', 1: 'bicycle'}"), ['person', 'bicycle']);
    assert.deepEqual(parseLabelList('cat, dog ,bird'), ['cat', 'dog', 'bird']);
    assert.equal(parseLabelList('just one'), undefined);
  });
});

describe('ONNX graph forms and refusals', () => {
  test('opset-13 input forms: Unsqueeze/Squeeze axes, Slice with a negative step, Clip min/max, Pad, Identity, Dropout', async () => {
    const int64 = (name: string, values: number[]) => ({
      name,
      dims: [values.length],
      data_type: 7,
      raw_data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
    });
    const scalar = (name: string, value: number) => ({ name, dims: [], data_type: 1, raw_data: raw([value]) });
    const bytes = onnxBytes(
      [
        { op_type: 'Unsqueeze', input: ['x', 'axis1'], output: ['u'], name: 'unsqueeze' },
        { op_type: 'Slice', input: ['u', 'start', 'end', 'axis2', 'step'], output: ['s'], name: 'reverse' },
        { op_type: 'Squeeze', input: ['s', 'axis1'], output: ['q'], name: 'squeeze' },
        { op_type: 'Clip', input: ['q', 'low', 'high'], output: ['c'], name: 'clip' },
        { op_type: 'Pad', input: ['c', 'pads', 'padValue'], output: ['p'], name: 'pad' },
        { op_type: 'Dropout', input: ['p'], output: ['d'], name: 'dropout' },
        { op_type: 'MatMul', input: ['d', 'w'], output: ['m'], name: 'matmul' },
        { op_type: 'Identity', input: ['m'], output: ['y'], name: 'identity' },
      ],
      [3],
      [
        int64('axis1', [1]),
        int64('axis2', [2]),
        int64('start', [-1]),
        int64('end', [-9223372036854775807n as unknown as number]),
        int64('step', [-1]),
        scalar('low', -1),
        scalar('high', 2),
        int64('pads', [0, 1, 0, 0]),
        scalar('padValue', 0.5),
        { name: 'w', dims: [4, 2], data_type: 1, raw_data: raw([1, 0, 0, 1, 1, 1, 2, -1]) },
      ],
    );
    const model = await loadModel(bytes, { fileName: 'forms.onnx' });
    try {
      const y = tf.tidy(() => model.run(tf.tensor([[3, 0.5, -4]])));
      // reversed [-4, 0.5, 3] → clipped [-1, 0.5, 2] → padded [0.5, -1, 0.5, 2] → · w
      assertClose(flat(y), [0.5 + 0.5 + 4, -1 + 0.5 - 2], 1e-6);
      y.dispose();
    } finally {
      model.dispose();
    }
  });

  test('an op that does not run is refused in one line naming the op, the node and what to do', async () => {
    const bytes = onnxBytes([{ op_type: 'GridSample', input: ['x', 'x'], output: ['y'], name: 'warp_7' }], [2]);
    await rejectsWithoutLeaks(
      () => loadModel(bytes, { fileName: 'warp.onnx' }),
      /^'warp\.onnx': node 'warp_7' uses the ONNX op 'GridSample', which wingbeats-xai cannot run; re-export the model without it \(docs\/onnx-files\.md lists the ops that run\)\.$/,
    );
    const custom = onnxBytes(
      [{ op_type: 'FusedGemm', domain: 'com.microsoft', input: ['x'], output: ['y'], name: 'fused' }],
      [2],
    );
    await rejectsWithoutLeaks(
      () => loadModel(custom, { fileName: 'ort.onnx' }),
      /node 'fused' uses the ONNX op 'FusedGemm' of domain 'com\.microsoft'/,
    );
  });

  test('truncated and garbage files are refused in one line', async () => {
    const bytes = readFileSync(fixture('psd', 17));
    for (const [file, content] of [
      ['cut.onnx', bytes.subarray(0, Math.floor(bytes.length / 2))],
      ['noise.onnx', Uint8Array.from({ length: 300 }, (_, i) => (i * 97 + 13) % 256)],
      ['empty.onnx', new Uint8Array(0)],
    ] as const) {
      const path = join(dir, file);
      writeFileSync(path, content);
      await rejectsWithoutLeaks(() => loadModel(path), /^'[a-z]+\.onnx' is not a readable ONNX model: [^\n]+$/);
    }
  });

  test('several inputs, a non-float input and a fixed batch above 1 are refused in one line', async () => {
    const base = onnxBytes([{ op_type: 'Relu', input: ['x'], output: ['y'], name: 'r' }], [2]);
    const model = await loadModel(base, { fileName: 'relu.onnx' });
    model.dispose();
    const intInput = encodeModelProto({
      ir_version: 8,
      opset_import: [{ domain: '', version: 13 }],
      graph: {
        node: [
          { op_type: 'Cast', input: ['ids'], output: ['y'], name: 'c', attribute: [{ name: 'to', type: 2, i: 1 }] },
        ],
        input: [{ name: 'ids', type: { tensor_type: { elem_type: 7, shape: { dim: [{ dim_value: 1 }] } } } }],
        output: [{ name: 'y', type: { tensor_type: { elem_type: 1 } } }],
      },
    });
    await rejectsWithoutLeaks(
      () => loadModel(intInput, { fileName: 'ids.onnx' }),
      /^'ids\.onnx': input 'ids' has ONNX element type 7; only float inputs can be explained/,
    );
  });
});

describe('the command line on ONNX files', () => {
  test('explain --model x.onnx --input x.json --json gives attributions and the metadata class names', async () => {
    const ref = reference.models.psd;
    const input = join(dir, 'psd.json');
    writeFileSync(input, JSON.stringify(tf.tidy(() => (inputsOf('psd').arraySync() as number[][][]).slice(0, 2))));
    const run = await runCli([
      'explain',
      '--model',
      fixture('psd', 13),
      '--input',
      input,
      '--method',
      'gradients',
      '--engine',
      'tfjs',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const results = JSON.parse(run.stdout).results as {
      target: number;
      targetName: string;
      attributions: number[][];
    }[];
    assert.equal(results.length, 2);
    const names = ['aedes', 'anopheles', 'culex', 'fly', 'bee'];
    results.forEach((r, i) => {
      assert.equal(r.target, ref.targets[i]);
      assert.equal(r.targetName, names[ref.targets[i]]);
      const expected = tf.tidy(() => flat(channelsFirst(tf.tensor([r.attributions])).reshape([-1])));
      assertClose(expected, flat(ref.gradients[i] as unknown as number[]), 1e-5, 1e-4, 'CLI gradients');
    });
  });
});
