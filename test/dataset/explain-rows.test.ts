/** Rows of a chunk: batched equals one by one, bad examples become error rows, no tensor is left behind. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { explainExamples, exampleSeed, type LoadedExample } from '../../src/dataset/explain-rows.js';
import { attributionMethodNames } from '../../src/attribution/registry.js';
import { conv1dNet } from '../tiny-models.js';
import { useWasm } from '../helpers.js';
import { createRng } from '../../src/util/rng.js';

before(useWasm);

function examples(n: number): LoadedExample[] {
  const rng = createRng(3);
  return Array.from({ length: n }, (_, i) => ({
    example: { path: `${['a', 'b', 'c'][i % 3]}/${i}.npy`, label: ['a', 'b', 'c'][i % 3], split: null },
    inputs: [Float32Array.from({ length: 24 }, () => rng.normal())],
  }));
}

const settings = {
  methods: ['saliency', 'integrated-gradients', 'smoothgrad'] as const,
  methodOptions: { steps: 7, samples: 3 },
  scores: 'logits' as const,
  seed: 5,
};

test('a chunk explained at once equals its examples explained one by one, bit for bit; no tensor leaks', async () => {
  const model = ExplainableModel.from(conv1dNet(), { labels: ['a', 'b', 'c'] });
  const loaded = examples(5);
  const before = tf.memory().numTensors;
  const together = await explainExamples(model, loaded, settings);
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  const alone = [];
  for (const one of loaded) alone.push(...(await explainExamples(model, [one], settings)));
  assert.deepEqual(together, alone);
  assert.equal(together.length, 15);
  assert.deepEqual(
    together.slice(0, 3).map((r) => r.method),
    ['saliency', 'integrated-gradients', 'smoothgrad'],
  );
  const row = together[1];
  assert.equal(row.predicted, ['a', 'b', 'c'][row.predictedIndex as number]);
  assert.equal(row.probabilities?.length, 3);
  assert.ok(typeof row.delta === 'number' && Math.abs(row.delta) < 1, 'integrated gradients has a completeness gap');
  assert.deepEqual(
    JSON.parse(row.heads as string).map((h: { head: string }) => h.head),
    model.outputNames,
  );
  assert.notEqual(exampleSeed(5, 'a/0.npy', 0), exampleSeed(5, 'a/1.npy', 0));
});

test('unreadable and unexplainable examples become error rows (one per method) without stopping the others; no leak on the error path', async () => {
  const model = ExplainableModel.from(conv1dNet(), { labels: ['a', 'b', 'c'] });
  const loaded = examples(3);
  loaded[0] = { example: loaded[0].example, error: 'File is not a WAV file' };
  loaded[2] = { ...loaded[2], inputs: [new Float32Array(24).fill(Number.NaN)] };
  const before = tf.memory().numTensors;
  const rows = await explainExamples(model, loaded, { ...settings, target: 'label' });
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  const failed = (path: string): boolean => path !== 'b/1.npy';
  assert.deepEqual(
    rows.map((r) => [r.path, r.method, r.error !== null]),
    ['a/0.npy', 'b/1.npy', 'c/2.npy'].flatMap((path) => settings.methods.map((method) => [path, method, failed(path)])),
  );
  assert.equal(rows[0].error, 'File is not a WAV file');
  assert.match(rows[6].error as string, /NaN|finite/i);
  assert.equal(rows[3].target, 1, "--target label explains the example's label");
});

test('every registered method gives the same rows in a chunk as one by one, without errors or leaks', async () => {
  const model = ExplainableModel.from(conv1dNet(), { labels: ['a', 'b', 'c'] });
  const loaded = examples(4);
  const all = {
    ...settings,
    methods: attributionMethodNames,
    methodOptions: { steps: 5, noiseSamples: 2, window: 3, groups: 'bands:3', coalitions: 8, permutations: 4 },
    background: [loaded[0].inputs?.[0] as Float32Array, loaded[1].inputs?.[0] as Float32Array],
  };
  const before = tf.memory().numTensors;
  const together = await explainExamples(model, loaded, all);
  assert.equal(tf.memory().numTensors, before, 'no tensor leak');
  assert.deepEqual(
    together.filter((r) => r.error !== null).map((r) => `${r.method}: ${r.error}`),
    [],
  );
  const alone = [];
  for (const one of loaded) alone.push(...(await explainExamples(model, [one], all)));
  assert.deepEqual(together, alone);
});
