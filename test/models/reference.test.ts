/**
 * Every model in ../shared/models: scores against the independent references (float32 tolerances: probabilities and
 * embeddings 2e-5, logits 5e-4) where a reference exists; otherwise shapes, heads, labels and probabilities summing to 1.
 * Each test also checks that loading, predicting and disposing the model leaves no tensor behind (the check of
 * load-dispose-leaks.test.ts for these files, made here on the one load of each).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { DATASETS } from '../../src/models/labels.js';
import { assertClose, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';

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
