/**
 * Loading and disposing leaves no tensor behind: for every model file in ../shared/models (the wingbeats models, the
 * real models of wild/ and wild2/, TensorFlow.js folders; refused ones included), for tiny models written with the
 * project's own writers (an LSTM with `unit_forget_bias`, whose TensorFlow.js initializer left four tensors per
 * load), for copies of a model, and for loads that fail. The wingbeats `.h5` models are checked by reference.test.ts
 * and those of wild/ by wild-models.test.ts, on the one load each of them takes there (a real model's load costs
 * 0.1–0.3 s of CPU); the others here.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadModel } from '../../src/models/load-model.js';
import { copyExplainableModel } from '../../src/execution/model-copy.js';
import { rejectsWithoutLeaks, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { writeKerasH5 } from './write-keras-h5.js';

const dir = mkdtempSync(join(tmpdir(), 'wingbeats-leaks-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

/** Every model file under `root`: `.h5`, `.keras`, and the `model.json` of TensorFlow.js folders. */
function modelFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) out.push(...modelFiles(path));
    else if (/\.(h5|keras)$/i.test(name) || name === 'model.json') out.push(path);
  }
  return out;
}

/** Loads `path` (or fails to) and disposes it; returns how many tensors are left over. */
async function leftOver(load: () => Promise<{ dispose(): void }>): Promise<number> {
  const before = tf.memory().numTensors;
  try {
    (await load()).dispose();
  } catch {
    // refused files count too: a refusal must leave nothing behind either
  }
  return tf.memory().numTensors - before;
}

/** A Sequential Keras 2 config: input [5, 3] → LSTM(4, unit_forget_bias) → Dense(2, softmax). */
function lstmConfig(unitForgetBias: boolean, denseName: unknown = 'dense'): Record<string, unknown> {
  return {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        { class_name: 'InputLayer', config: { name: 'x', batch_input_shape: [null, 5, 3], dtype: 'float32' } },
        {
          class_name: 'LSTM',
          config: { name: 'lstm', units: 4, unit_forget_bias: unitForgetBias, return_sequences: false },
        },
        { class_name: 'Dense', config: { name: denseName, units: 2, activation: 'softmax' } },
      ],
    },
  };
}

const values = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => ((i * 37) % 11) / 20 - 0.25);

async function writeLstm(path: string, unitForgetBias: boolean): Promise<void> {
  await writeKerasH5(
    path,
    [
      [
        'lstm',
        [
          { name: 'lstm/lstm_cell/kernel:0', shape: [3, 16], values: values(48) },
          { name: 'lstm/lstm_cell/recurrent_kernel:0', shape: [4, 16], values: values(64) },
          { name: 'lstm/lstm_cell/bias:0', shape: [16], values: values(16) },
        ],
      ],
      [
        'dense',
        [
          { name: 'dense/kernel:0', shape: [4, 2], values: values(8) },
          { name: 'dense/bias:0', shape: [2], values: values(2) },
        ],
      ],
    ],
    lstmConfig(unitForgetBias),
  );
}

describe('load and dispose leave no tensor behind', () => {
  const shared = modelFiles(join(sharedDir, 'models'));
  const wild = join(sharedDir, 'models', 'wild') + sep;
  /** Those whose own tests check their load and dispose: the `.h5` files outside wild/ and everything in wild/. */
  const checkedElsewhere = (path: string): boolean => path.startsWith(wild) || /\.h5$/i.test(path);
  test('every model file in ../shared/models', { skip: skipWithoutShared }, async () => {
    assert.ok(shared.length >= 30, `expected the shared models, found ${shared.length}`);
    const rest = shared.filter((path) => !checkedElsewhere(path));
    assert.ok(rest.length >= 5, `expected the models of wild2/, found ${rest.join(', ')}`);
    const leaks: string[] = [];
    for (const path of rest) {
      const n = await leftOver(() => loadModel(path));
      if (n !== 0) leaks.push(`${relative(sharedDir, path)}: ${n}`);
    }
    assert.deepEqual(leaks, [], 'tensors left after load + dispose');
  });

  for (const unitForgetBias of [true, false]) {
    test(`an LSTM with unit_forget_bias ${unitForgetBias}, loaded, copied and disposed ten times`, async () => {
      const path = join(dir, `lstm-${unitForgetBias}.h5`);
      await writeLstm(path, unitForgetBias);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 10; i++) {
        const model = await loadModel(path);
        const copy = await copyExplainableModel(model);
        const p = tf.tidy(() => Array.from(copy.run(tf.ones([1, 5, 3]), { scores: 'probabilities' }).dataSync()));
        assert.ok(Math.abs(p[0] + p[1] - 1) < 1e-6);
        copy.dispose();
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, before);
    });
  }

  test('failed loads: a layer named by an object, a number or a list; weights that do not fit', async () => {
    for (const name of [{ evil: 1 }, 17, ['a']]) {
      const json = JSON.stringify({ modelTopology: lstmConfig(true, name), format: 'layers-model' });
      await rejectsWithoutLeaks(
        () => loadModel(new TextEncoder().encode(json), { fileName: 'model.json' }),
        /'model\.json' has a layer whose name is not a string \(got (object|number|a list): /,
      );
    }
    const path = join(dir, 'lstm-bad.h5');
    await writeKerasH5(
      path,
      [
        [
          'lstm',
          [
            { name: 'lstm/lstm_cell/kernel:0', shape: [3, 16], values: values(48) },
            { name: 'lstm/lstm_cell/recurrent_kernel:0', shape: [4, 16], values: values(64) },
          ],
        ],
        ['dense', []],
      ],
      lstmConfig(true),
    );
    await rejectsWithoutLeaks(() => loadModel(path), /Weight 'lstm\/bias' of layer 'lstm' .* is missing/);
  });
});
