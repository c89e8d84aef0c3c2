/**
 * The real Keras models of ../shared/models/wild (Keras 2.2 to 3.2, .h5 and .keras, LSTM, GRU reset_after, dilated
 * residual convolutions, a Lambda layer): each loads (the Lambda model is refused in one line), predicts what an
 * independent NumPy forward pass computed from the file's weights (test/fixtures/wild-models.json, made by
 * scripts/reference/keras-forward.py), and explains with finite, leak-free saliency and integrated gradients, all on
 * one load of each file, after whose dispose no tensor is left (the check of load-dispose-leaks.test.ts for these
 * files).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WingbeatsError } from '../../src/util/errors.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { assertClose, repoRoot, sharedDir, skipWithoutShared, useWasm, withoutLeaks } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';

interface Reference {
  models: Record<
    string,
    { inputShape: number[]; examples: { k: number; outputs: number[]; preActivation: number[] }[] }
  >;
}

const reference = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/wild-models.json'), 'utf8')) as Reference;
const wild = (name: string): string => resolve(sharedDir, 'models', 'wild', name);

/** The reference script's input: float32(((i*7919 + k*104729) % 2003) / 1001.5 - 1). */
function deterministicInput(shape: number[], k: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, (_, i) => ((i * 7919 + k * 104729) % 2003) / 1001.5 - 1);
  return tf.tensor(values, [1, ...shape]);
}

before(useWasm);

describe('real Keras models from public repositories', () => {
  for (const [file, expected] of Object.entries(reference.models)) {
    test(
      `${file}: loads, predicts as the NumPy reference, explains with finite leak-free saliency and integrated gradients; disposing leaves nothing`,
      { skip: skipWithoutShared },
      async () => {
        const before = tf.memory().numTensors;
        const model = await loadModel(wild(file));
        try {
          assert.deepEqual(model.inputShape, expected.inputShape);
          for (const example of expected.examples) {
            const x = deterministicInput(expected.inputShape, example.k);
            const [outputs, logits] = tf.tidy(() => [
              model.run(x, { scores: 'probabilities' }),
              model.run(x, { scores: 'logits' }),
            ]);
            if (model.endsInSoftmax(0)) {
              assertClose(outputs.dataSync(), example.outputs, 2e-6, 1e-5, `${file} probabilities, input ${example.k}`);
              assertClose(logits.dataSync(), example.preActivation, 2e-5, 1e-5, `${file} logits, input ${example.k}`);
            } else {
              // A sigmoid head gives its outputs both as its scores and as its probabilities.
              assertClose(logits.dataSync(), example.outputs, 2e-6, 1e-5, `${file} outputs, input ${example.k}`);
              assertClose(outputs.dataSync(), example.outputs, 2e-6, 1e-5, `${file} probabilities, input ${example.k}`);
            }
            tf.dispose([x, outputs, logits]);
          }
          // Scaled up so that some ReLU paths are open in every model (the speech model expects MFCCs of tens).
          const x = tf.tidy(() => tf.mul(deterministicInput(expected.inputShape, 0), 20));
          try {
            for (const method of [
              saliency,
              // Finite, not all zero and leak-free, whatever the step count: 4 steps (5 path points) show it.
              (m: ExplainableModel, input: tf.Tensor) => integratedGradients(m, input, { steps: 4 }),
            ]) {
              await withoutLeaks(
                () => method(model, x),
                (result) => {
                  const values = result.attributions.dataSync();
                  assert.ok(values.every(Number.isFinite), `${file}: attributions must be finite`);
                  assert.ok(
                    values.some((v) => v !== 0),
                    `${file}: attributions must not all be zero`,
                  );
                  disposeAttribution(result);
                },
              );
            }
          } finally {
            x.dispose();
          }
        } finally {
          model.dispose();
        }
        assert.equal(tf.memory().numTensors, before, `${file}: tensors left after load, run, explain and dispose`);
      },
    );
  }

  test('the .h5 and .keras copies of one model predict identically', { skip: skipWithoutShared }, async () => {
    const h5 = await loadModel(wild('11_nonbang_ecg.h5'));
    const keras = await loadModel(wild('12_nonbang_ecg.keras'));
    try {
      assert.equal(keras.info.format, 'keras');
      assert.equal(h5.info.format, 'keras-h5');
      const x = tf.concat([
        deterministicInput([187, 1], 0),
        deterministicInput([187, 1], 1),
        deterministicInput([187, 1], 5),
      ]);
      const a = tf.tidy(() => h5.run(x, { scores: 'logits' }));
      const b = tf.tidy(() => keras.run(x, { scores: 'logits' }));
      assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
      tf.dispose([x, a, b]);
    } finally {
      h5.dispose();
      keras.dispose();
    }
  });

  test('the Lambda model is refused in one line naming the layer', { skip: skipWithoutShared }, async () => {
    const before = tf.memory().numTensors;
    await assert.rejects(
      () => loadModel(wild('10_carnd_lambda.h5')),
      (error: WingbeatsError) => {
        assert.equal(error.code, 'UNSAFE_LAYER');
        assert.match(error.message, /Lambda layer \(layer 'lambda_1'\)/);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
    );
    assert.equal(tf.memory().numTensors, before);
  });

  test(
    'the command line explains a .keras model and a dilated-convolution model',
    { skip: skipWithoutShared },
    async () => {
      const work = mkdtempSync(join(tmpdir(), 'wingbeats-wild-cli-'));
      after(() => rmSync(work, { recursive: true, force: true }));
      for (const [file, length] of [
        ['12_nonbang_ecg.keras', 187],
        ['09_ksur_ecg_resnet.h5', 186],
      ] as const) {
        const input = join(work, `${file}.json`);
        const x = deterministicInput([length, 1], 2);
        writeFileSync(input, JSON.stringify((x.arraySync() as number[][][])[0]));
        x.dispose();
        const { code, stdout, stderr } = await runCli([
          'explain',
          '--model',
          wild(file),
          '--input',
          input,
          '--method',
          'integrated-gradients',
          '--steps',
          '8',
          '--json',
          '--quiet',
        ]);
        assert.equal(code, 0, stderr);
        const document = JSON.parse(stdout) as { results: { attributions: number[][] }[] };
        assert.equal(document.results[0].attributions.length, length);
        assert.ok(document.results[0].attributions.flat().every(Number.isFinite));
      }
    },
  );
});
