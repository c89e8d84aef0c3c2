/**
 * Recurrent layers (LSTM, GRU with reset_after both ways, Bidirectional) and dilated and causal convolutions, in
 * Keras files this test writes itself (Keras 2 `.h5`, Keras 3 `.h5`, Keras 3 `.keras`): scores and input gradients
 * against a float64 NumPy forward and its central differences (test/fixtures/gradient-cases.json, made by
 * scripts/reference/gradient-cases.py).
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gradients } from '../../src/attribution/gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModel } from '../../src/models/load-model.js';
import { assertClose, repoRoot, useWasm, withoutLeaks } from '../helpers.js';
import { LayerSpec, writeKeras2H5, writeKeras3Archive, writeKeras3H5 } from './keras-files.js';

interface GradientCase {
  name: string;
  style: 'keras2-h5' | 'keras3';
  inputShape: number[];
  layers: LayerSpec[];
  input: number[];
  scores: number[];
  target: number;
  gradient: number[];
}

const { cases } = JSON.parse(readFileSync(resolve(repoRoot, 'test/fixtures/gradient-cases.json'), 'utf8')) as {
  cases: GradientCase[];
};
const dir = mkdtempSync(join(tmpdir(), 'wingbeats-keras-gradients-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(useWasm);

const writers = {
  'keras2.h5': writeKeras2H5,
  'keras3.h5': writeKeras3H5,
  'keras3.keras': writeKeras3Archive,
} as const;

describe('recurrent and dilated layers: scores and input gradients against float64 finite differences', () => {
  for (const c of cases) {
    const formats = c.style === 'keras2-h5' ? (['keras2.h5'] as const) : (['keras3.h5', 'keras3.keras'] as const);
    for (const format of formats) {
      test(`${c.name} (${format})`, async () => {
        const path = join(dir, `${c.name}-${format.replace('.', '-')}.${format.split('.')[1]}`);
        await writers[format](path, c.layers, c.inputShape);
        const model = await loadModel(path);
        const x = tf.tensor(c.input, [1, ...c.inputShape]);
        try {
          const scores = tf.tidy(() => model.run(x));
          assertClose(scores.dataSync(), c.scores, 1e-6, 1e-5, `${c.name} scores`);
          // TensorFlow.js's own execution of the built model (registered layers included) agrees with the executor's.
          if (!c.layers.some((l) => l.config.padding === 'causal')) {
            const predicted = model.layersModel!.predict(x) as tf.Tensor;
            assertClose(predicted.dataSync(), scores.dataSync(), 1e-6, 1e-6, `${c.name} tfjs predict`);
            predicted.dispose();
          }
          scores.dispose();
          await withoutLeaks(
            () => gradients(model, x, { target: c.target }),
            (result) => {
              assertClose(result.attributions.dataSync(), c.gradient, 1e-6, 1e-4, `${c.name} input gradient`);
              disposeAttribution(result);
            },
          );
        } finally {
          x.dispose();
          model.dispose();
        }
      });
    }
  }

  test('a 2-D recurrent output is flattened as in Keras', async () => {
    const c = cases.find((k) => k.name === 'gru-reset-after')!;
    assert.equal(c.layers[1].class_name, 'Flatten');
    const path = join(dir, 'flatten-2d.keras');
    await writeKeras3Archive(path, c.layers, c.inputShape);
    const model = await loadModel(path);
    try {
      assert.deepEqual(model.layersModel!.outputs[0].shape, [null, 3]);
      assert.equal(model.layersModel!.layers[1].getClassName(), 'GRUResetAfter');
    } finally {
      model.dispose();
    }
  });
});
