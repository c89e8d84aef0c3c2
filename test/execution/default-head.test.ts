/** The default head: the finest classifier head (species, else genus, else the first labelled head). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { defaultHeadIndex } from '../../src/execution/default-head.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { saliency } from '../../src/attribution/saliency.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { skipWithoutShared, sharedDir, useWasm, withoutLeaks } from '../helpers.js';

test('defaultHeadIndex: species, else genus, else the first labelled head, else the first', () => {
  assert.equal(
    defaultHeadIndex(['embedding', 'genus', 'species'], () => true),
    2,
  );
  assert.equal(
    defaultHeadIndex(['embedding', 'genus'], () => false),
    1,
  );
  assert.equal(
    defaultHeadIndex(['embedding', 'scores'], (i) => i === 1),
    1,
  );
  assert.equal(
    defaultHeadIndex(['a', 'b'], () => false),
    0,
  );
  assert.equal(
    defaultHeadIndex(['output'], () => false),
    0,
  );
});

/** Input [4] → three heads: embedding (2), genus (2), species (3). */
function threeHeads(): tf.LayersModel {
  const input = tf.input({ shape: [4] });
  const hidden = tf.layers.dense({ units: 5, activation: 'relu', name: 'hidden' }).apply(input) as tf.SymbolicTensor;
  const heads = ['embedding', 'genus', 'species'].map(
    (name, i) => tf.layers.dense({ units: [2, 2, 3][i], name }).apply(hidden) as tf.SymbolicTensor,
  );
  return tf.model({ inputs: input, outputs: heads });
}

test('an explanation without `output` explains the species head of a hierarchical model, and says so', async () => {
  await useWasm();
  const model = ExplainableModel.from(threeHeads(), { labels: { genus: ['G0', 'G1'], species: ['S0', 'S1', 'S2'] } });
  assert.equal(model.defaultOutput, 2);
  assert.equal(model.resolveOutput('test', undefined), 2);
  const x = tf.ones([2, 4]);
  const result = await withoutLeaks(
    () => saliency(model, x),
    (r) => disposeAttribution(r),
  );
  assert.ok(
    result.targetNames.every((n) => n !== undefined && /^S\d$/.test(n)),
    `species names, got ${result.targetNames.join(',')}`,
  );
  x.dispose();
  model.dispose();
});

test(
  'real HieraEmbCls model: the default head is species, not the embedding',
  { skip: skipWithoutShared },
  async () => {
    await useWasm();
    const model = await loadModelFile(`${sharedDir}/models/Potatamis/psd/HieraEmbCls/HieraEmbCls_psd_frozen.h5`);
    try {
      assert.deepEqual(model.outputNames, ['embedding', 'genus', 'species']);
      assert.equal(model.outputNames[model.defaultOutput], 'species');
    } finally {
      model.dispose();
    }
  },
);
