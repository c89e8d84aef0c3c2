/**
 * The default rows per call comes from the model's activation sizes (64 for the PSD CNN, 2 for the spectrogram CNN:
 * fewer where one call's activations together would pass 16 MiB), and results do not depend on the batch size.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { TAPE_BUDGET, defaultRowsPerCall, tapePerRow } from '../../src/execution/rows-per-call.js';
import { saliency } from '../../src/attribution/saliency.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, flat, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { conv2dNet, randomBatch } from '../tiny-models.js';

before(useWasm);

test('rows per call: all activations of a row set it, a power of two in [1, 64]', () => {
  const small = conv2dNet(1);
  assert.ok(tapePerRow(small) < TAPE_BUDGET / 64);
  assert.equal(defaultRowsPerCall(small), 64);
  const wide = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [128, 128, 1], filters: 32, kernelSize: 3, padding: 'same' }),
      tf.layers.reLU(),
    ],
  });
  // Two outputs of 128·128·32 floats per row: 4 Mi / 1 048 576 = 4 rows.
  assert.equal(tapePerRow(wide), 2 * 128 * 128 * 32);
  assert.equal(defaultRowsPerCall(wide), 4);
  assert.equal(ExplainableModel.from(wide).defaultBatchSize, 4);
  const huge = tf.sequential({
    layers: [tf.layers.conv2d({ inputShape: [1024, 1024, 1], filters: 32, kernelSize: 3, padding: 'same' })],
  });
  assert.equal(defaultRowsPerCall(huge), 1, 'at least one row');
  huge.dispose();
  assert.equal(ExplainableModel.from((x) => x).defaultBatchSize, 64);
  small.dispose();
  wide.dispose();
});

async function attributionValues(run: () => Promise<{ attributions: tf.Tensor }>): Promise<number[]> {
  const result = await run();
  const values = flat(result.attributions);
  disposeAttribution(result as Parameters<typeof disposeAttribution>[0]);
  return values;
}

/** Saliency is identical and integrated gradients agree to float32 summation order for any batch size. */
async function checkBatchSizes(model: ExplainableModel, x: tf.Tensor, sizes: number[], steps: number): Promise<void> {
  const saliencyDefault = await attributionValues(() => saliency(model, x, { target: 0 }));
  const igDefault = await attributionValues(() => integratedGradients(model, x, { target: 0, steps }));
  const scale = Math.max(...igDefault.map(Math.abs));
  for (const batchSize of sizes) {
    assert.deepEqual(await attributionValues(() => saliency(model, x, { target: 0, batchSize })), saliencyDefault);
    const ig = await attributionValues(() => integratedGradients(model, x, { target: 0, steps, batchSize }));
    // Chunks change only the order of the quadrature sum.
    assertClose(ig, igDefault, 1e-6 * scale, 0, `integrated gradients, batchSize ${batchSize}`);
  }
}

test('results do not change with the batch size (tiny model)', async () => {
  const model = ExplainableModel.from(conv2dNet(2));
  const x = randomBatch([5, 6, 5, 2], 3);
  await checkBatchSizes(model, x, [1, 3, 7, 200], 6);
  x.dispose();
  model.dispose();
});

test(
  'Potamitis spectrogram CNN: 2 rows per call by default (1.1 M floats of activations per row), and the same numbers in chunks of 1, 5 and 16',
  { skip: skipWithoutShared },
  async () => {
    const model = await loadModelFile(
      resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'),
    );
    assert.equal(model.defaultBatchSize, 2);
    const x = tf.randomNormal([2, 129, 113, 3], 0, 1, 'float32', 4);
    // IG-4: 10 path rows, cut into chunks of 2 (the default), 1, 5 (two chunks) and 16 (one chunk of all rows).
    await checkBatchSizes(model, x, [1, 5, 16], 4);
    x.dispose();
    model.dispose();
  },
);
