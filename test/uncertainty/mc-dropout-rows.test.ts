/**
 * Monte-Carlo samples as rows: row seeds give each row exactly the thinned network of its sample; the batched samples
 * equal the textbook (one method call per sample under fixed masks) for every gradient-type method and map kind, on
 * 1-D and 2-D models; identical for any batch size; no leaks; a wrong number of row seeds is one clear error.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { attributionMethods } from '../../src/attribution/registry.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { mcDropoutExplanations, type McDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';
import { createRng } from '../../src/util/rng.js';
import { assertClose, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dDropoutNet, randomBatch } from '../tiny-models.js';

before(useWasm);

test('row seeds: each row runs the network its seed gives under fixed masks, whatever shares the batch', () => {
  const model = ExplainableModel.from(conv1dNet(81));
  const x = randomBatch([5, 12, 2], 82);
  const seeds = [4, 4, 9, 4, 11];
  const together = tf.tidy(() => model.run(x, { execution: { dropout: { seed: 0, rowSeeds: seeds } } }).arraySync());
  seeds.forEach((seed, r) => {
    const alone = tf.tidy(() =>
      model.run(tf.slice(x, r, 1), { execution: { dropout: { seed, fixedMasks: true } } }).arraySync(),
    );
    assert.deepEqual(together[r], alone[0], `row ${r}`);
  });
  const before = tf.memory().numTensors;
  assert.throws(
    () => tf.tidy(() => model.run(x, { execution: { dropout: { seed: 0, rowSeeds: [1, 2] } } })),
    /Argument 'execution.dropout.rowSeeds' passed to 'run' must be one seed per row \(5\) but got 2/,
  );
  assert.equal(tf.memory().numTensors, before, 'no leak on the error');
  x.dispose();
  model.dispose();
});

/** The textbook: sample s runs the method alone under `{ seed: seed_s, fixedMasks: true }`. */
async function textbook(
  method: keyof typeof attributionMethods,
  model: tf.LayersModel,
  x: tf.Tensor,
  targets: number[],
  samples: number,
  seed: number,
  maps: 'heatmap' | 'signed',
): Promise<{ mean: number[]; std: number[]; scores: number[][][]; probabilities: number[][] }> {
  const rng = createRng(seed);
  const batch = x.shape[0];
  const perExample: number[][][] = targets.map(() => []);
  const scores: number[][][] = targets.map(() => []);
  const probabilities: number[][] = targets.map(() => []);
  for (let s = 0; s < samples; s++) {
    const sampleSeed = rng.int32();
    const result = await attributionMethods[method].run(model, x, {
      target: targets,
      execution: { dropout: { seed: sampleSeed, fixedMasks: true } },
    });
    const source = maps === 'heatmap' ? result.heatmaps : tf.sum(result.attributions, -1);
    const values = Array.from(source.dataSync());
    if (maps === 'signed') source.dispose();
    const positions = values.length / batch;
    const rows = result.predictions.arraySync();
    const probs = result.probabilities?.arraySync() ?? [];
    targets.forEach((_, e) => {
      perExample[e].push(values.slice(e * positions, (e + 1) * positions));
      scores[e].push(rows[e]);
      probabilities[e].push(...probs[e]);
    });
    disposeAttribution(result);
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (const maps of perExample) {
    for (let p = 0; p < maps[0].length; p++) {
      const column = maps.map((m) => m[p]);
      const mu = column.reduce((a, b) => a + b, 0) / samples;
      mean.push(mu);
      std.push(Math.sqrt(column.reduce((a, b) => a + (b - mu) ** 2, 0) / samples));
    }
  }
  return { mean, std, scores, probabilities };
}

test('MC rows equal the textbook (one method call per sample) for every gradient method, heatmap and signed maps', async () => {
  for (const [label, model, x, targets] of [
    ['1-D', conv1dNet(83), randomBatch([2, 12, 2], 84), [0, 2]],
    ['2-D', conv2dDropoutNet(85), randomBatch([3, 6, 5, 2], 86), [1, 0, 2]],
  ] as const) {
    for (const method of ['gradients', 'saliency', 'input-x-gradient', 'guided-backprop'] as const) {
      for (const maps of ['heatmap', 'signed'] as const) {
        const expected = await textbook(method, model, x, [...targets], 6, 13, maps);
        const result = await withoutLeaks(() =>
          mcDropoutExplanations(model, x, { method, samples: 6, seed: 13, target: [...targets], maps, batchSize: 4 }),
        );
        const what = `${label} ${method} ${maps}`;
        const mean = result.examples.flatMap((e) => Array.from(e.mean));
        const std = result.examples.flatMap((e) => Array.from(e.std));
        const scale = Math.max(1e-3, ...expected.mean.map(Math.abs));
        assertClose(mean, expected.mean, 1e-6 * scale, 1e-5, `${what}: mean`);
        assertClose(std, expected.std, 1e-5 * scale, 1e-4, `${what}: std`);
        result.examples.forEach((example, e) => {
          assertClose(example.predictions.samples.flat(), expected.scores[e].flat(), 1e-6, 1e-5, `${what}: scores`);
          const probs = expected.probabilities[e];
          const classes = example.predictions.mean.length;
          const meanProbs = Array.from({ length: classes }, (_, c) => {
            let sum = 0;
            for (let s = 0; s < 6; s++) sum += probs[s * classes + c];
            return sum / 6;
          });
          assertClose(example.probabilities?.mean ?? [], meanProbs, 1e-6, 1e-5, `${what}: probabilities`);
        });
      }
    }
    x.dispose();
    model.dispose();
  }
});

test('MC rows: batch size 1, 4 (samples split across chunks) and 64 give identical results; samples stream in order', async () => {
  const model = conv1dNet(87);
  const x = randomBatch([3, 12, 2], 88);
  const runs: McDropoutExplanations[] = [];
  for (const batchSize of [1, 4, 64]) {
    const indices: number[] = [];
    runs.push(
      await mcDropoutExplanations(model, x, {
        samples: 5,
        seed: 3,
        batchSize,
        keepSamples: true,
        onSample: (sample) => void indices.push(sample.index),
      }),
    );
    assert.deepEqual(indices, [0, 1, 2, 3, 4]);
  }
  assert.deepEqual(runs[1], runs[0]);
  assert.deepEqual(runs[2], runs[0]);
  x.dispose();
  model.dispose();
});

test('MC rows: an error inside the pass leaks nothing', async () => {
  const model = conv1dNet(89);
  const x = randomBatch([2, 12, 2], 90);
  const failing = {
    rules: [
      {
        name: 'failing',
        appliesTo: { activations: ['relu'] },
        wrap: () => () => {
          throw new Error('boom inside the sample');
        },
      },
    ],
  };
  let calls = 0;
  await rejectsWithoutLeaks(
    () =>
      mcDropoutExplanations(model, x, {
        samples: 3,
        execution: {
          rules: [
            {
              ...failing.rules[0],
              wrap: (forward) => (v) => {
                // The request frame's prediction passes; the first sample's gradient pass fails.
                if (calls++ > 0) throw new Error('boom inside the sample');
                return forward(v);
              },
            },
          ],
        },
      }),
    /boom inside the sample/,
  );
  x.dispose();
  model.dispose();
});
