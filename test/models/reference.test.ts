/**
 * Every model in ../shared/models: scores against the independent references (float32 tolerances: probabilities and
 * embeddings 2e-5, logits 5e-4) where a reference exists; otherwise shapes, heads, labels and probabilities summing to 1.
 * Each test also checks that loading, predicting and disposing the model leaves no tensor behind (the check of
 * load-dispose-leaks.test.ts for these files, made here on the one load of each).
 * Loaded real models under the adapter: gradients on wasm (2-D convs included) equal the cpu ones; Monte-Carlo
 * dropout switches on only Dropout (batch-norm statistics untouched), is seeded, and its mean approaches the
 * deterministic prediction.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { before, describe, test, after } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { DATASETS } from '../../src/models/labels.js';
import { assertClose, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import type { ExecutionSettings } from '../../src/execution/execution-settings.js';
import { setupBackend } from '../../src/execution/backend.js';

const modelsDir = resolve(sharedDir, 'models');
const referenceDir = resolve(sharedDir, 'reference');

interface ReferenceCase {
  input_id: string;
  input?: number[];
  input_ref?: { file: string; key: string };
  outputs: Record<string, number[]>;
  species_logits: number[];
  genus_logits?: number[];
  dense_emb_raw?: number[];
}
interface Reference {
  model_file: string;
  output_order: string[];
  labels: Record<string, string[]>;
  input_shape: number[];
  cases: ReferenceCase[];
}

/** The wingbeats project's models (the public models of `wild/` have their own test, wild-models.test.ts). */
function modelFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (path === join(modelsDir, 'wild')) return [];
      return statSync(path).isDirectory() ? modelFiles(path) : name.endsWith('.h5') ? [path] : [];
    });
}

function referenceFor(path: string): Reference | undefined {
  const file = resolve(
    referenceDir,
    'models',
    `${relative(modelsDir, path).replaceAll('/', '__').replace(/\.h5$/, '')}.json`,
  );
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Reference;
  } catch {
    return undefined;
  }
}

/** The model input of a case, [1, ...inputShape], as float32 (spectrogram channel copied into 3 channels). */
function caseInput(c: ReferenceCase, inputShape: number[]): tf.Tensor {
  if (c.input !== undefined) return tf.tensor(Float32Array.from(c.input), [1, ...inputShape]);
  const ref = c.input_ref as { file: string; key: string };
  const channel = (JSON.parse(readFileSync(resolve(referenceDir, ref.file), 'utf8')) as Record<string, number[][]>)[
    ref.key
  ];
  return tf.tidy(() =>
    tf.tile(tf.tensor(Float32Array.from(channel.flat()), [1, channel.length, channel[0].length, 1]), [1, 1, 1, 3]),
  );
}

function scores(model: ExplainableModel, x: tf.Tensor, output: string, kind: 'logits' | 'probabilities'): number[] {
  const y = tf.tidy(() => model.run(x, { output, scores: kind }));
  const values = Array.from(y.dataSync());
  y.dispose();
  return values;
}

describe('models of ../shared match their references', { skip: skipWithoutShared }, () => {
  const files = skipWithoutShared === false ? modelFiles(modelsDir) : [];
  before(useWasm);

  for (const path of files) {
    const reference = referenceFor(path);
    const name = relative(modelsDir, path);
    if (reference !== undefined) {
      test(`${name}: every head equals the reference (float32 precision); nothing leaks`, async () => {
        const before = tf.memory().numTensors;
        const model = await loadModel(path);
        try {
          assert.deepEqual(model.outputNames, reference.output_order);
          assert.deepEqual(model.inputShape, reference.input_shape.slice(1));
          for (const head of reference.output_order) {
            if (head !== 'embedding')
              assert.deepEqual(model.labels(model.resolveOutput('test', head)), reference.labels[head]);
          }
          for (const c of reference.cases) {
            const x = caseInput(c, reference.input_shape.slice(1));
            try {
              for (const head of reference.output_order) {
                // The embedding head has no softmax: its 'logits' are the L2-normalised embedding itself.
                const kind = head === 'embedding' ? 'logits' : 'probabilities';
                assertClose(scores(model, x, head, kind), c.outputs[head], 2e-5, 0, `${c.input_id} ${head}`);
              }
              assertClose(
                scores(model, x, 'species', 'logits'),
                c.species_logits,
                5e-4,
                0,
                `${c.input_id} species logits`,
              );
              if (c.genus_logits !== undefined)
                assertClose(scores(model, x, 'genus', 'logits'), c.genus_logits, 5e-4, 0, `${c.input_id} genus logits`);
            } finally {
              x.dispose();
            }
          }
        } finally {
          model.dispose();
        }
        assert.equal(tf.memory().numTensors, before, 'tensors left after load, run and dispose');
      });
    } else {
      test(`${name}: loads with the right shapes, heads and labels; probabilities sum to 1; nothing leaks`, async () => {
        const before = tf.memory().numTensors;
        const model = await loadModel(path);
        try {
          const arch = String(model.info.architecture);
          const expectedHeads: Record<string, string[]> = {
            HieraEmbCls: ['embedding', 'genus', 'species'],
            SimpleEmbCls: ['embedding', 'species'],
            HieraCls: ['genus', 'species'],
            SimpleCls: ['species'],
          };
          assert.deepEqual(model.outputNames, expectedHeads[arch], `heads of ${arch}`);
          assert.equal(model.info.format, 'keras-h5-weights');
          const dataset = name.startsWith('Keogh') ? DATASETS['keogh-9'] : DATASETS.potamitis;
          assert.equal(model.info.dataset, dataset.name);
          const spectro = name.includes('spectro');
          assert.equal(model.info.kind, spectro ? 'spectrogram' : 'psd');
          assert.deepEqual(model.inputShape, spectro ? [...dataset.spectrogramShape] : [...dataset.psdShape]);
          const x = tf.randomNormal(
            [2, ...(model.inputShape as number[])],
            spectro ? -0.5 : -80,
            spectro ? 0.1 : 15,
            'float32',
            7,
          );
          try {
            model.outputNames.forEach((head, i) => {
              const y = tf.tidy(() =>
                model.run(x, { output: head, scores: head === 'embedding' ? 'logits' : 'probabilities' }),
              );
              const rows = y.arraySync();
              y.dispose();
              const expectedWidth =
                head === 'genus' ? dataset.genera?.length : head === 'species' ? dataset.numSpecies : undefined;
              if (expectedWidth !== undefined) {
                assert.equal(rows[0].length, expectedWidth, `${head} width`);
                assert.deepEqual(model.labels(i), head === 'genus' ? dataset.genera : dataset.species);
              }
              for (const row of rows) {
                const total = head === 'embedding' ? Math.hypot(...row) : row.reduce((a, b) => a + b, 0);
                assert.ok(Math.abs(total - 1) < 1e-5, `${head}: ${head === 'embedding' ? 'norm' : 'sum'} ${total}`);
              }
            });
          } finally {
            x.dispose();
          }
        } finally {
          model.dispose();
        }
        assert.equal(tf.memory().numTensors, before, 'tensors left after load, run and dispose');
      });
    }
  }
});

const models = {
  psd: 'Potatamis/psd/HieraEmbCls/HieraEmbCls_psd_frozen.h5',
  spectro: 'Keogh/Keogh_9/spectro/HieraEmbCls/HieraEmbCls_spectro_9.h5',
  sequential: 'Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5',
};

/** d(logit of `target` in head `output`)/d(input), through the adapter; one-hot mask (wasm has no UnsortedSegmentSum). */
function inputGradient(
  model: ExplainableModel,
  x: tf.Tensor,
  output: string,
  target: number,
  execution?: ExecutionSettings,
): number[] {
  const g = tf.tidy(() => {
    const f = (input: tf.Tensor): tf.Scalar => {
      const logits = model.run(input, { output, scores: 'logits', execution });
      return tf.sum(tf.mul(logits, tf.oneHot([target], logits.shape[1]))) as tf.Scalar;
    };
    return tf.grad(f)(x);
  });
  const values = Array.from(g.dataSync());
  g.dispose();
  return values;
}

function input(model: ExplainableModel, seed: number): tf.Tensor {
  const shape = model.inputShape as number[];
  return shape.length === 2
    ? tf.randomNormal([1, ...shape], -80, 15, 'float32', seed)
    : tf.randomNormal([1, ...shape], -0.85, 0.08, 'float32', seed);
}

/** The PSD model, loaded once for the gradient test and the Monte-Carlo dropout tests (disposed at the end). */
let psd: Promise<ExplainableModel> | undefined;
const psdModel = (): Promise<ExplainableModel> => (psd ??= loadModel(resolve(sharedDir, 'models', models.psd)));
after(async () => (await psd)?.layersModel?.dispose());

describe('gradients through loaded models: wasm equals cpu', { skip: skipWithoutShared }, () => {
  after(useWasm);
  for (const [kind, file] of Object.entries(models)) {
    test(`${kind}: tf.grad of a target logit`, async () => {
      await useWasm();
      const model = kind === 'psd' ? await psdModel() : await loadModel(resolve(sharedDir, 'models', file));
      const x = input(model, 3);
      try {
        const output = model.outputNames[model.outputNames.length - 1];
        const wasm = inputGradient(model, x, output, 1);
        assert.ok(
          wasm.some((v) => v !== 0),
          'gradient is not all zeros',
        );
        await setupBackend({ backend: 'cpu' });
        const xCpu = tf.tensor(x.dataSync(), x.shape);
        const cpu = inputGradient(model, xCpu, output, 1);
        xCpu.dispose();
        const scale = Math.max(...cpu.map(Math.abs));
        assertClose(wasm, cpu, 1e-4 * scale, 1e-3, `${kind} gradient (max |g| ${scale.toExponential(2)})`);
      } finally {
        await useWasm();
        x.dispose();
        if (kind !== 'psd') model.layersModel?.dispose();
      }
    });
  }
});

describe('Monte-Carlo dropout on loaded models', { skip: skipWithoutShared }, () => {
  let model: ExplainableModel;
  before(async () => {
    await useWasm();
    model = await psdModel();
  });

  const statistics = (): number[] =>
    (model.layersModel as tf.LayersModel).weights
      .filter((w) => /moving_(mean|variance)/.test(w.originalName))
      .flatMap((w) => Array.from(w.read().dataSync()));

  test('only Dropout becomes active: samples differ, their mean is near the deterministic output, batch norm untouched', () => {
    const x = tf.concat([input(model, 11), input(model, 12)]);
    const stats = statistics();
    const deterministic = model.predict(x, { output: 'species', scores: 'probabilities' });
    const again = model.predict(x, { output: 'species', scores: 'probabilities' });
    const sample = (seed: number): number[] =>
      tf.tidy(() =>
        Array.from(model.run(x, { output: 'species', scores: 'logits', execution: { dropout: { seed } } }).dataSync()),
      );
    const a = sample(5);
    const b = sample(6);
    assert.notDeepEqual(a, b, 'two dropout samples differ');
    assert.deepEqual(sample(5), a, 'the same seed, the same masks');
    assert.deepEqual(
      Array.from(deterministic.scores.dataSync()),
      Array.from(again.scores.dataSync()),
      'dropout off: deterministic',
    );
    const mc = model.predict(x, { output: 'species', scores: 'probabilities', samples: 200, seed: 1 });
    // Dropout on a 6-unit embedding head is a strong perturbation: the MC mean stays close, not equal.
    assertClose(mc.scores.dataSync(), deterministic.scores.dataSync(), 0.15, 0, 'MC mean vs deterministic');
    assert.ok(Math.max(...mc.std!.dataSync()) > 0, 'std is positive somewhere');
    assert.deepEqual(statistics(), stats, 'moving mean/variance unchanged');
    tf.dispose([x, deterministic.scores, again.scores, mc.scores, mc.std!]);
  });

  test('same seed, same samples; batch norm stays in inference mode (samples are per-example independent)', () => {
    const x = input(model, 13);
    const first = model.predict(x, { output: 'genus', samples: 8, seed: 42 });
    const second = model.predict(x, { output: 'genus', samples: 8, seed: 42 });
    const other = model.predict(x, { output: 'genus', samples: 8, seed: 43 });
    assert.deepEqual(Array.from(first.scores.dataSync()), Array.from(second.scores.dataSync()));
    assert.deepEqual(Array.from(first.std!.dataSync()), Array.from(second.std!.dataSync()));
    assert.notDeepEqual(Array.from(first.scores.dataSync()), Array.from(other.scores.dataSync()));
    // Training-mode batch norm would normalise over the batch: one example alone would then give constant scores.
    const single = model.predict(x, { output: 'genus', scores: 'logits' });
    assert.ok(new Set(Array.from(single.scores.dataSync()).map((v) => v.toFixed(4))).size > 1);
    tf.dispose([x, first.scores, first.std!, second.scores, second.std!, other.scores, other.std!, single.scores]);
  });

  test('gradients work with dropout on (every method can use MC dropout)', () => {
    const x = input(model, 14);
    try {
      const g = inputGradient(model, x, 'species', 0, { dropout: { seed: 9 } });
      assert.ok(g.some((v) => v !== 0));
      assert.notDeepEqual(g, inputGradient(model, x, 'species', 0), 'dropout changes the gradient');
    } finally {
      x.dispose();
    }
  });
});
