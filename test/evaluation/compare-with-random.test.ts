import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { aopc, perturbationAuc, spread } from '../../src/evaluation/curve-summaries.js';
import { compareWithRandom } from '../../src/evaluation/compare-with-random.js';
import { loadModel } from '../../src/models/load-model.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import { assertClose, rejectsWithoutLeaks, sharedDir, skipWithoutShared, useWasm, withoutLeaks } from '../helpers.js';

before(useWasm);

test('AOPC, AUC and spread on hand-computed curves', () => {
  assertClose([aopc([3, 2, 0.5])], [(0 + 1 + 2.5) / 3], 1e-15);
  assert.equal(aopc([4]), 0);
  assertClose([perturbationAuc([2, 1, 0], [0, 0.1, 0.2])], [(0.1 * (1 + 0.5)) / 2 + (0.1 * (0.5 + 0)) / 2], 1e-15);
  assert.ok(
    Number.isNaN(perturbationAuc([-1, -2], [0, 0.5])),
    'no normalised curve for a non-positive unflipped score',
  );
  const s = spread([1, 2, 3]);
  assertClose([s.mean, s.std], [2, Math.sqrt(2 / 3)], 1e-15);
  assert.throws(
    () => aopc([]),
    /Argument 'targetScores' passed to 'aopc' must be a curve of at least one point but got an empty curve\./,
  );
  assert.throws(
    () => perturbationAuc([1, 2], [0]),
    /Argument 'fractions' passed to 'perturbationAuc' must be one fraction per score \(2\) but got 1 fractions\./,
  );
  assert.throws(
    () => spread([]),
    /Argument 'values' passed to 'spread' must be at least one number but got an empty list\./,
  );
});

test('compareWithRandom: saliency of a linear model beats every random seed, in the evaluate JSON layout', async () => {
  const n = 64;
  const weights = Array.from({ length: n }, (_, i) => 0.1 + ((i * 37) % n) / n);
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [n, 1] }), tf.layers.dense({ units: 2, useBias: false })],
  });
  const kernel = tf.tensor2d(
    weights.flatMap((w) => [w, -w]),
    [n, 2],
  );
  model.setWeights([kernel]);
  kernel.dispose();
  // Positive weights and inputs, replacement by 0: flipping p lowers the class-0 score by its contribution w_p·x_p.
  const x = [Array.from({ length: n }, () => [1]), Array.from({ length: n }, (_, i) => [0.5 + ((i * 11) % 7) / 7])];
  const stats = { shape: [n, 1], mean: new Float64Array(n), std: new Float64Array(n), count: 1 };
  const options = {
    methods: ['saliency', 'input-x-gradient'] as const,
    randomSeeds: 4,
    seed: 10,
    fraction: 0.5,
    step: 0.05,
    statistics: stats,
    target: 0,
  };
  const result = await withoutLeaks(() => compareWithRandom(model, x, options));
  assert.deepEqual(result.randomSeeds, [10, 11, 12, 13]);
  assert.equal(result.results.length, 2);
  for (const r of result.results) {
    assert.deepEqual(
      r.curves.map((c) => c.method),
      ['saliency', 'input-x-gradient', 'random', 'random', 'random', 'random'],
    );
    assert.deepEqual(
      r.curves.map((c) => c.seed),
      [undefined, undefined, 10, 11, 12, 13],
    );
    for (const c of r.curves) {
      assert.deepEqual(
        Object.keys(c).filter((k) => k !== 'seed'),
        ['method', 'positions', 'scores', 'targetScores', 'aopc', 'auc'],
      );
      assert.equal(c.positions.length, result.steps * result.positionsPerStep);
      assert.equal(c.scores.length, result.steps + 1);
      assert.equal(c.aopc, aopc(c.targetScores));
    }
    assertClose([r.random.aopc.mean], [r.curves.slice(2).reduce((a, c) => a + c.aopc, 0) / 4], 1e-12);
    for (const m of r.methods) {
      assert.ok(
        m.aopc > Math.max(...r.random.aopc.values),
        `${m.method} beats every random seed: ${m.aopc} vs ${r.random.aopc.values}`,
      );
      assertClose([m.aopcOverRandom], [m.aopc - r.random.aopc.mean], 1e-12);
    }
  }
  const again = await compareWithRandom(model, x, options);
  assert.deepEqual(again, result, 'reproducible from the seed');
  await rejectsWithoutLeaks(
    () => compareWithRandom(model, x, { methods: ['magic' as never] }),
    /Argument 'methods' passed to 'compareWithRandom' must be a list of 'gradients', 'saliency', .* but got 'magic'\./,
  );
  await rejectsWithoutLeaks(
    () => compareWithRandom(model, x, { randomSeeds: 0 }),
    /Argument 'randomSeeds' passed to 'compareWithRandom' must be a positive integer or a list of seeds but got 0\./,
  );
  await rejectsWithoutLeaks(
    () => compareWithRandom(model, x, { target: 5 }),
    /Argument 'target' passed to 'compareWithRandom' must be in \[0, 2\) \(number of classes\) but got 5\./,
  );
  model.dispose();
});

const psdInputs = (): { id: string; values: number[] }[] => {
  const json = JSON.parse(readFileSync(resolve(sharedDir, 'reference/models/psd_inputs.json'), 'utf8')) as {
    inputs: Record<string, { values: number[] }>;
  };
  return Object.entries(json.inputs).map(([id, v]) => ({ id, values: v.values }));
};

/** Saliency against random pixel flipping (5 seeds, batch-norm statistics, logits) of a real PSD model on the 6 reference inputs. */
async function saliencyVersusRandom(
  path: string,
): Promise<{ wins: number; report: string; result: Awaited<ReturnType<typeof compareWithRandom>>; ids: string[] }> {
  const model = await loadModel(resolve(sharedDir, path));
  const inputs = psdInputs();
  const x = tf.tensor(
    inputs.flatMap((i) => i.values),
    [inputs.length, 129, 1],
  );
  try {
    const result = await withoutLeaks(() =>
      compareWithRandom(model, x, { methods: ['saliency'], randomSeeds: 5, seed: 0 }),
    );
    const wins = result.results.filter((r) => r.methods[0].aopcOverRandom > 0).length;
    const report = result.results
      .map(
        (r, i) =>
          `${inputs[i].id}: saliency AOPC ${r.methods[0].aopc.toFixed(2)} vs random ${r.random.aopc.mean.toFixed(2)} ± ${r.random.aopc.std.toFixed(2)}`,
      )
      .join('; ');
    return { wins, report, result, ids: inputs.map((i) => i.id) };
  } finally {
    x.dispose();
    model.layersModel?.dispose();
  }
}

test(
  'real Keogh-9 PSD model: the MoRF curve of saliency falls faster than random on most inputs',
  { skip: skipWithoutShared },
  async (t) => {
    const { wins, report, result } = await saliencyVersusRandom(
      'models/Keogh/Keogh_9/psd/SimpleCls/SimpleCls_psd_9.h5',
    );
    t.diagnostic(report);
    assert.equal(result.positionsPerStep, 1, 'one bin per step');
    assert.equal(result.steps, 32);
    assert.equal(result.statistics, 'batch-norm', 'the wingbeats CNNs begin with a batch norm of the raw input');
    assert.ok(
      wins > result.results.length / 2,
      `saliency beats random on ${wins} of ${result.results.length} inputs: ${report}`,
    );
  },
);

// On the two Potamitis PSD models saliency does NOT beat random on these inputs (measured with seed 0: Mosquito_CNN_PSD 1 of 6,
// SimpleCls_psd_frozen 2 of 6; flipping the bins with the largest first-order predicted drop does not either, so the
// curves are dominated by the models' non-linearity for -20 dB → -95 dB replacements). These tests check what must
// hold — step 0 is the model's reference output — and report the comparison as a diagnostic.
const potamitis = [
  {
    path: 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5',
    reference: 'reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json',
  },
  { path: 'models/Potatamis/psd/SimpleCls/SimpleCls_psd_frozen.h5', reference: null },
];
for (const { path, reference } of potamitis) {
  test(
    `real Potamitis PSD model ${path}: flipping curves start at the model's reference scores (saliency vs random reported)`,
    { skip: skipWithoutShared },
    async (t) => {
      const { wins, report, result, ids } = await saliencyVersusRandom(path);
      t.diagnostic(`saliency beats random on ${wins} of ${result.results.length} inputs: ${report}`);
      for (const r of result.results) {
        const curves = r.curves;
        assert.ok(
          curves.every((c) => c.scores[0].every((v, j) => v === curves[0].scores[0][j])),
          'every curve starts at the unflipped scores',
        );
        assert.ok(
          curves.every((c) => new Set(c.positions).size === 32),
          '32 distinct bins flipped',
        );
      }
      if (reference !== null) {
        const cases = (
          JSON.parse(readFileSync(resolve(sharedDir, reference), 'utf8')) as {
            cases: { input_id: string; species_logits: number[] }[];
          }
        ).cases;
        for (const c of cases) {
          const i = ids.indexOf(c.input_id);
          if (i >= 0)
            assertClose(
              result.results[i].curves[0].scores[0],
              c.species_logits,
              5e-4,
              0,
              `step-0 logits of ${c.input_id}`,
            );
        }
      }
    },
  );
}

test(
  'real Potamitis SimpleCls PSD model on the real recordings: saliency falls faster than random on most inputs',
  { skip: skipWithoutShared },
  async (t) => {
    // Up to three 5000-sample windows of each of the six microphone recordings, through the potamitis-psd preset.
    const folder = resolve(sharedDir, 'data/recordings');
    const rows: number[][] = [];
    for (const name of readdirSync(folder)
      .filter((f) => f.endsWith('.wav'))
      .sort()) {
      const windows = featuresFromRecording(await readWavFile(resolve(folder, name)), 'potamitis-psd', {
        windows: 'all',
      });
      for (const w of windows.slice(0, 3)) rows.push(Array.from(w.data));
    }
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis/psd/SimpleCls/SimpleCls_psd_frozen.h5'));
    const x = tf.tensor(rows.flat(), [rows.length, 129, 1]);
    try {
      const result = await compareWithRandom(model, x, { methods: ['saliency'], randomSeeds: 5, seed: 0 });
      const wins = result.results.filter((r) => r.methods[0].aopcOverRandom > 0).length;
      t.diagnostic(`saliency beats random (AOPC, 5 seeds) on ${wins} of ${rows.length} windows`);
      assert.ok(wins > rows.length / 2, `saliency beats random on ${wins} of ${rows.length} windows`);
    } finally {
      x.dispose();
      model.layersModel?.dispose();
    }
  },
);
