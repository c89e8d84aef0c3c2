/**
 * Pixel flipping (MoRF and random orders, replacement values from the pixel statistics, batching) on models whose
 * answer is known by construction, and its comparison with random orders (AOPC, AUC and spread; saliency against
 * random seeds on a linear model and on the real PSD models of ../shared). The commands that shell them:
 * `wingbeats-xai evaluate`, the command-line contract of DESIGN.md, against the library API; and `wingbeats-xai stats`,
 * per-position statistics of a data set, read back by `evaluate --stats`.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import path, { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { aopc, perturbationAuc, spread } from '../../src/evaluation/curve-summaries.js';
import { compareWithRandom } from '../../src/evaluation/compare-with-random.js';
import { loadModel } from '../../src/models/load-model.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import {
  assertClose,
  rejectsWithoutLeaks,
  sharedDir,
  skipWithoutShared,
  useWasm,
  withoutLeaks,
  repoRoot,
} from '../helpers.js';
import { flipSchedule, pixelFlipping } from '../../src/evaluation/pixel-flipping.js';
import type { PixelStatistics } from '../../src/evaluation/pixel-statistics.js';
import { createRng } from '../../src/util/rng.js';
import { tmpdir } from 'node:os';
import { explanationMetricsOf } from '../../src/evaluation/explanation-metrics.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { runCli, writeConv1dFiles } from '../cli/cli-helpers.js';

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

/**
 * score₀ = Σ w_p·x_p over a [P, 1] input (class 1 is constant 0): the relevance of each position is known by
 * construction. With x = 1 and replacement statistics mean 0, std 0, flipping p lowers score₀ by exactly w_p.
 */
function linearModel(weights: number[]): tf.LayersModel {
  const model = tf.sequential({
    layers: [tf.layers.flatten({ inputShape: [weights.length, 1] }), tf.layers.dense({ units: 2, useBias: false })],
  });
  const kernel = tf.tensor2d(
    weights.flatMap((w) => [w, 0]),
    [weights.length, 2],
  );
  model.setWeights([kernel]);
  kernel.dispose();
  return model;
}

function zeroStatistics(shape: number[]): PixelStatistics {
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, mean: new Float64Array(size), std: new Float64Array(size), count: 1 };
}

/** Distinct positive weights in a shuffled order. */
function shuffledWeights(n: number, seed: number): number[] {
  const rng = createRng(seed);
  const w = Array.from({ length: n }, (_, i) => (i + 1) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [w[i], w[j]] = [w[j], w[i]];
  }
  return w;
}

const ones = (n: number): number[][] => Array.from({ length: n }, () => [1]);

test('the original step rule, with at least one position per step', () => {
  assert.deepEqual(flipSchedule('f', 129, 0.25, 0.005), { total: 32, perStep: 1, steps: 32 });
  assert.deepEqual(flipSchedule('f', 129 * 113, 0.25, 0.005), { total: 3644, perStep: 72, steps: 50 });
  assert.deepEqual(flipSchedule('f', 10, 0.1, 0.5), { total: 1, perStep: 1, steps: 1 });
});

test('MoRF on a linear model flips the largest weights first and the score falls by exactly those weights', async () => {
  const n = 129;
  const w = shuffledWeights(n, 7);
  const model = linearModel(w);
  const result = await withoutLeaks(() =>
    pixelFlipping(model, [ones(n)], { heatmaps: [w], statistics: zeroStatistics([n, 1]), target: 0, seed: 1 }),
  );
  const curve = result.curves[0];
  const byWeight = Array.from({ length: n }, (_, i) => i).sort((a, b) => w[b] - w[a]);
  assert.equal(result.positionsPerStep, 1, 'one position per step for a 129-bin spectrum');
  assert.equal(result.steps, 32);
  assert.deepEqual(curve.positions, byWeight.slice(0, 32), 'MoRF order = weight order');
  assert.equal(new Set(curve.positions).size, curve.positions.length, 'positions are unique');
  assert.equal(curve.scores.length, 33);
  assert.deepEqual(curve.scores[0].length, 2);
  const total = w.reduce((a, b) => a + b, 0);
  let expected = total;
  const expectedCurve = [total];
  for (const p of curve.positions) expectedCurve.push((expected -= w[p]));
  assertClose(curve.targetScores, expectedCurve, 2e-5, 0, 'target scores');
  assertClose(
    curve.fractions,
    Array.from({ length: 33 }, (_, k) => k / n),
    1e-15,
  );
  assert.deepEqual(result.statistics, 'given');
  assert.equal(result.order, 'most-relevant-first');
  const flipped = new Set(curve.positions);
  curve.finalInput.forEach((v, i) => assert.equal(v, flipped.has(i) ? 0 : 1));

  // LeRF flips the smallest weights first; any other order moves the score less than MoRF at every step.
  const lerf = await pixelFlipping(model, [ones(n)], {
    heatmaps: [w],
    order: 'least-relevant-first',
    statistics: zeroStatistics([n, 1]),
    target: 0,
    seed: 1,
  });
  assert.deepEqual(lerf.curves[0].positions, [...byWeight].reverse().slice(0, 32));
  const random = await pixelFlipping(model, [ones(n)], { statistics: zeroStatistics([n, 1]), target: 0, seed: 1 });
  for (let k = 1; k <= 32; k++) {
    assert.ok(curve.targetScores[k] < random.curves[0].targetScores[k], `MoRF below random at step ${k}`);
    assert.ok(random.curves[0].targetScores[k] < lerf.curves[0].targetScores[k], `random below LeRF at step ${k}`);
  }
  model.dispose();
});

test('random flipping draws without replacement, reproducibly from the seed', async () => {
  const n = 200;
  const model = linearModel(shuffledWeights(n, 3));
  const opts = { fraction: 1, step: 0.05, statistics: zeroStatistics([n, 1]) };
  const a = await withoutLeaks(() => pixelFlipping(model, [ones(n)], { ...opts, seed: 5 }));
  const b = await pixelFlipping(model, [ones(n)], { ...opts, seed: 5 });
  const c = await pixelFlipping(model, [ones(n)], { ...opts, seed: 6 });
  assert.equal(a.order, 'random');
  assert.equal(a.curves[0].positions.length, n);
  assert.deepEqual(
    [...a.curves[0].positions].sort((x, y) => x - y),
    Array.from({ length: n }, (_, i) => i),
    'every position exactly once',
  );
  assert.deepEqual(a, b, 'same seed, same result');
  assert.notDeepEqual(a.curves[0].positions, c.curves[0].positions, 'another seed, other positions');
  model.dispose();
});

test('replacement values: one normal draw per position shared by its channels; seeded; batch size does not matter', async () => {
  // Input [4, 3, 2]: 12 positions × 2 channels; per-element mean and std.
  const shape = [4, 3, 2];
  const size = 24;
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: shape }), tf.layers.dense({ units: 3 })] });
  const stats: PixelStatistics = {
    shape,
    mean: Float64Array.from({ length: size }, (_, i) => 10 + i),
    std: Float64Array.from({ length: size }, (_, i) => 0.5 + (i % 5)),
    count: 9,
  };
  const x = tf.tensor(
    Array.from({ length: 2 * size }, (_, i) => Math.sin(i)),
    [2, ...shape],
  );
  const heatmaps = tf.tensor(
    Array.from({ length: 24 }, (_, i) => Math.cos(i)),
    [2, 4, 3],
  );
  const options = { heatmaps, statistics: stats, fraction: 0.5, step: 0.25, seed: 3, target: [0, 2] };
  const small = await withoutLeaks(() => pixelFlipping(model, x, { ...options, batchSize: 1 }));
  const large = await pixelFlipping(model, x, { ...options, batchSize: 1000 });
  assert.deepEqual(small, large, 'batchSize 1 and 1000 give identical results');
  assert.deepEqual(small.positionShape, [4, 3]);
  assert.equal(small.positionsPerStep, 3);
  assert.equal(small.steps, 2);
  small.curves.forEach((curve, e) => {
    assert.equal(curve.target, [0, 2][e]);
    assert.deepEqual(
      curve.targetScores,
      curve.scores.map((row) => row[curve.target]),
    );
    for (const p of curve.positions) {
      const z0 = (curve.finalInput[2 * p] - stats.mean[2 * p]) / stats.std[2 * p];
      const z1 = (curve.finalInput[2 * p + 1] - stats.mean[2 * p + 1]) / stats.std[2 * p + 1];
      assert.ok(Math.abs(z0 - z1) < 1e-5, `same draw in both channels of position ${p}`);
    }
  });
  // The same heatmaps in every accepted form: [batch, 4, 3] tensor (above), [batch, 12] tensor, typed arrays, nested arrays.
  const values = Array.from(heatmaps.dataSync());
  const flatTensor = tf.tensor(values, [2, 12]);
  const forms = [
    flatTensor,
    [Float32Array.from(values.slice(0, 12)), Float32Array.from(values.slice(12))],
    [values.slice(0, 12), values.slice(12)],
    heatmaps.arraySync() as number[][][],
  ];
  for (const form of forms) {
    const again = await pixelFlipping(model, x, { ...options, heatmaps: form as never });
    assert.deepEqual(
      again.curves.map((c) => c.positions),
      small.curves.map((c) => c.positions),
    );
  }
  flatTensor.dispose();
  const one = tf.slice(x, 0, 1);
  const single = await pixelFlipping(model, one, {
    ...options,
    target: 0,
    heatmaps: (heatmaps.arraySync() as number[][][])[0],
  });
  assert.deepEqual(single.curves[0].positions, small.curves[0].positions, 'one example without batch axis');
  one.dispose();
  assert.notDeepEqual(
    small.curves[0].finalInput,
    (await pixelFlipping(model, x, { ...options, seed: 4 })).curves[0].finalInput,
  );
  x.dispose();
  heatmaps.dispose();
  model.dispose();
});

test('a batch of inputs, each with its own heatmap and target, equals the inputs flipped one by one', async () => {
  const n = 40;
  const model = linearModel(shuffledWeights(n, 9));
  const inputs = [0, 1, 2].map((e) => Array.from({ length: n }, (_, i) => [Math.cos(i + e)]));
  const heatmaps = [0, 1, 2].map((e) => Array.from({ length: n }, (_, i) => Math.sin(3 * i + e)));
  const common = { statistics: zeroStatistics([n, 1]), fraction: 0.5, step: 0.1, seed: 2 };
  const together = await pixelFlipping(model, inputs, { ...common, heatmaps, target: [0, 1, 0] });
  for (let e = 0; e < 3; e++) {
    const alone = await pixelFlipping(model, [inputs[e]], { ...common, heatmaps: [heatmaps[e]], target: [0, 1, 0][e] });
    assert.deepEqual(together.curves[e], alone.curves[0], `example ${e}`);
  }
  model.dispose();
});

test('default statistics: the input batch norm the model learned, else the example’s own', async () => {
  const n = 2000;
  const bnModel = tf.sequential({
    layers: [tf.layers.batchNormalization({ inputShape: [n, 1] }), tf.layers.flatten(), tf.layers.dense({ units: 2 })],
  });
  const [gamma, beta, mean, variance] = [tf.ones([1]), tf.zeros([1]), tf.fill([1], 5), tf.fill([1], 4)];
  bnModel.layers[0].setWeights([gamma, beta, mean, variance]);
  [gamma, beta, mean, variance].forEach((t) => t.dispose());
  const x = [Array.from({ length: n }, () => [0])];
  const auto = await withoutLeaks(() => pixelFlipping(bnModel, x, { fraction: 0.5, step: 0.5, seed: 1 }));
  assert.equal(auto.statistics, 'batch-norm');
  const values = auto.curves[0].positions.map((p) => auto.curves[0].finalInput[p]);
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const s = Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / values.length);
  assert.ok(Math.abs(m - 5) < 0.25 && Math.abs(s - 2) < 0.2, `draws from N(5, 2²): mean ${m}, std ${s}`);
  const own = await pixelFlipping(bnModel, x, { fraction: 0.5, step: 0.5, seed: 1, statistics: 'input' });
  assert.equal(own.statistics, 'input');
  own.curves[0].finalInput.forEach((v) => assert.equal(v, 0), 'a constant input has mean 0 and std 0');
  const plain = linearModel(shuffledWeights(n, 1));
  assert.equal((await pixelFlipping(plain, x, { fraction: 0.01, seed: 1 })).statistics, 'input');
  await rejectsWithoutLeaks(
    () => pixelFlipping(plain, x, { statistics: 'batch-norm' }),
    /Argument 'statistics' passed to 'pixelFlipping' is 'batch-norm' but model '.*' with input \[2000,1\] .* does not begin with a batch normalisation of its 1 input channel\(s\)/,
  );
  bnModel.dispose();
  plain.dispose();
});

test('pixelFlipping names the argument at fault and leaks nothing on errors', async () => {
  const n = 10;
  const model = linearModel(shuffledWeights(n, 2));
  const x = [ones(n)];
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, x, { fraction: 0.05 }),
    /Argument 'fraction' passed to 'pixelFlipping' must be at least 1\/10 so that one of the 10 positions is flipped but got 0\.05\./,
  );
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, x, { step: 0 }),
    /Argument 'step' passed to 'pixelFlipping' must be a number in \(0, 1\] but got 0\./,
  );
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, x, { order: 'upside-down' as never }),
    /Argument 'order' passed to 'pixelFlipping' must be 'most-relevant-first' or 'least-relevant-first' but got 'upside-down'\./,
  );
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, x, { heatmaps: [[1, 2, 3]] }),
    /Argument 'heatmaps' passed to 'pixelFlipping' must be one map of 10 positions \(shape \[10\]\) per example \(1\) but got 1 maps of 3 values\./,
  );
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, x, { statistics: zeroStatistics([3]) }),
    /Argument 'statistics' passed to 'pixelFlipping' must be of shape \[10,1\] or \[10\] \(the input's\) but got statistics of shape \[3\]\./,
  );
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, x, { target: 7 }),
    /Argument 'target' passed to 'pixelFlipping' must be in \[0, 2\) \(number of classes\) but got 7\./,
  );
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, [ones(3)]),
    /Argument 'inputs' passed to 'pixelFlipping' must be of shape \[batch,10,1\]/,
  );
  const heatmap = tf.zeros([1, 10]);
  heatmap.dispose();
  await rejectsWithoutLeaks(
    () => pixelFlipping(model, x, { heatmaps: heatmap }),
    /Argument 'heatmaps' passed to 'pixelFlipping' must be a live tensor but got a disposed tensor\./,
  );
  model.dispose();
});

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-evaluate-'));

/** The tiny Conv1D net and two inputs, as files. */
const fixtures = () => writeConv1dFiles(work, { inputs: 5 });

test('evaluate --json: one JSON document with the curves of the library, per input and per random seed', async () => {
  const { modelFile, inputFile, inputs } = await fixtures();
  const argv = [
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--methods',
    'saliency,gradients',
    '--random-seeds',
    '3',
    '--fraction',
    '0.5',
    '--step',
    '0.1',
    '--seed',
    '4',
    '--json',
  ];
  const { code, stdout, stderr } = await runCli(argv);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.equal(document.command, 'evaluate');
  assert.deepEqual(document.randomSeeds, [4, 5, 6]);
  assert.equal(document.results.length, 2);
  assert.deepEqual(
    document.results[0].curves.map((c: { method: string }) => c.method),
    ['saliency', 'gradients', 'random', 'random', 'random'],
  );
  const model = await loadModelFile(modelFile);
  const x = tf.tensor(inputs.flat(2), [2, 12, 2]);
  const api = await compareWithRandom(model, x, {
    methods: ['saliency', 'gradients'],
    randomSeeds: 3,
    fraction: 0.5,
    step: 0.1,
    seed: 4,
  });
  x.dispose();
  model.layersModel?.dispose();
  const apiJson = JSON.parse(JSON.stringify(api.results));
  assert.deepEqual(
    document.results.map(
      ({
        input: _input,
        head: _head,
        warnings: _warnings,
        ...rest
      }: {
        input: string;
        head: string;
        warnings: string[];
      }) => rest,
    ),
    apiJson,
    'the numbers of compareWithRandom',
  );
  assert.ok(
    document.results.every(
      (r: { head: string; warnings: string[] }) => r.head === document.head && Array.isArray(r.warnings),
    ),
    'every result names its head and carries warnings',
  );
  assert.match(document.reading.aopc, /higher is better/);
  assert.match(document.reading.auc, /lower is better/);
  assert.deepEqual(
    document.results.map((r: { input: string }) => r.input),
    ['inputs.json#0', 'inputs.json#1'],
  );
});

test('evaluate reads --stats files, writes charts with --out, and prints a summary without --json', async () => {
  const { modelFile, inputFile } = await fixtures();
  const statsFile = path.join(work, 'stats.json');
  writeFileSync(
    statsFile,
    JSON.stringify({ shape: [12, 2], mean: new Array(24).fill(0), std: new Array(24).fill(1), count: 10 }),
  );
  const out = path.join(work, 'out');
  const { code, stdout, stderr } = await runCli([
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--stats',
    statsFile,
    '--random-seeds',
    '2',
    '--out',
    out,
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^inputs\.json#0: head '[^']+', target class \d; random orders AOPC -?[\d.]+ ± [\d.]+ logits\n  saliency: AOPC -?[\d.]+ logits \([+-][\d.]+ against random: (better|no better) than random\), AUC/,
  );
  assert.match(stdout, /AOPC: mean drop of the target logit .* in logit units; higher is better/);
  assert.match(stdout, /AUC: .*lower is better/);
  for (const name of ['evaluate.json', 'pixel-flipping-0.svg', 'pixel-flipping-0.png', 'pixel-flipping-1.png'])
    assert.ok(existsSync(path.join(out, name)), name);
  const json = await runCli([
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--stats',
    statsFile,
    '--random-seeds',
    '2',
    '--json',
    '--quiet',
  ]);
  assert.equal(JSON.parse(json.stdout).statistics, 'given');
});

test('evaluate errors: one line on stderr naming the option, exit code 1', async () => {
  const { modelFile, inputFile } = await fixtures();
  const cases: [string[], RegExp][] = [
    [
      ['--methods', 'saliency,magic'],
      /^wingbeats-xai: Option '--methods' must be a comma-separated list of gradients, saliency, .* but got 'magic'\.\n$/,
    ],
    [['--fraction', '2'], /^wingbeats-xai: Option '--fraction' must be a number in \[0, 1\] but got '2'\.\n$/],
    [
      ['--random-seeds', '0'],
      /^wingbeats-xai: Option '--random-seeds' must be an integer in \[1, 10000\] but got '0'\.\n$/,
    ],
    [
      ['--stats', path.join(work, 'missing.json')],
      /^wingbeats-xai: The --stats file '.*missing\.json' does not exist or cannot be read\.\n$/,
    ],
  ];
  for (const [extra, pattern] of cases) {
    const { code, stdout, stderr } = await runCli([
      'evaluate',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--json',
      '--quiet',
      ...extra,
    ]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, pattern);
  }
});

test('evaluate --metrics --json: results[i].metrics[method][metric] as the library computes them, with readings', async () => {
  const { modelFile, inputFile, inputs } = await fixtures();
  const argv = [
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--methods',
    'saliency,input-x-gradient',
    '--metrics',
    'deletion,infidelity,sensitivity-max,sparseness',
    '--perturbations',
    '4',
    '--infidelity-stdev',
    '0.1',
    '--radius',
    '0.05',
    '--normalize',
    '--random-seeds',
    '2',
    '--step',
    '0.1',
    '--seed',
    '3',
    '--json',
  ];
  const { code, stdout, stderr } = await runCli(argv);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.deepEqual(document.metrics, ['deletion', 'infidelity', 'sensitivity-max', 'sparseness']);
  assert.match(document.reading.infidelity, /N\(0, 0\.1²\)/);
  assert.match(document.reading['sensitivity-max'], /U\(−0\.05, 0\.05\)/);
  assert.equal(document.better.deletion, 'lower');
  const model = await loadModelFile(modelFile);
  const x = tf.tensor(inputs);
  const library = await explanationMetricsOf(model, x, {
    methods: ['saliency', 'input-x-gradient'],
    metrics: ['deletion', 'infidelity', 'sensitivity-max', 'sparseness'],
    perturbations: 4,
    noiseStdev: 0.1,
    radius: 0.05,
    normalize: true,
    randomSeeds: 2,
    fraction: 0.25,
    step: 0.1,
    seed: 3,
  });
  x.dispose();
  model.dispose();
  assert.deepEqual(
    document.results.map((r: { metrics: unknown }) => r.metrics),
    JSON.parse(JSON.stringify(library.results.map((r) => r.metrics))),
  );
  const bad = await runCli(['evaluate', '--model', modelFile, '--input', inputFile, '--metrics', 'deletion,nope']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /'--metrics' must be a comma-separated list of .* but got 'nope'/);
});

const statsWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-stats-'));
const recordings = path.join(repoRoot, 'assets', 'demo-recordings');
const demoModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');

test('stats over a folder of recordings equals the mean and population std of their features; evaluate reads it', async () => {
  const out = path.join(statsWork, 'stats.json');
  const { code, stdout, stderr } = await runCli([
    'stats',
    '--input',
    recordings,
    '--model',
    demoModel,
    '--json',
    '--quiet',
    '--out',
    out,
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  const saved = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(saved.shape, [129, 1]);
  assert.deepEqual(document.mean, saved.mean);
  const rows: Float32Array[] = [];
  for (const name of readdirSync(recordings).sort()) {
    const windows = featuresFromRecording(await readWavFile(path.join(recordings, name)), 'potamitis-psd', {
      windows: 'all',
    });
    rows.push(...windows.map((w) => w.data));
  }
  assert.equal(saved.count, rows.length);
  const mean = Array.from({ length: 129 }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / rows.length));
  assertClose(saved.mean, mean, 1e-9, 1e-9, 'mean');
  assertClose(saved.std, std, 1e-9, 1e-9, 'std');
  const evaluated = await runCli([
    'evaluate',
    '--model',
    demoModel,
    '--input',
    path.join(recordings, 'Ae_aegypti_synthetic.wav'),
    '--stats',
    out,
    '--json',
    '--quiet',
  ]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.equal(JSON.parse(evaluated.stdout).statistics, 'given');
});

test('stats errors: no layout, nothing to read, a missing path — one line, no file written', async () => {
  const out = path.join(statsWork, 'never.json');
  const empty = path.join(statsWork, 'empty-folder');
  mkdirSync(empty);
  const cases: [string[], RegExp][] = [
    [
      ['stats', '--input', recordings, '--out', out],
      /^wingbeats-xai: Command 'stats' needs --model or --preset to know the input layout\.\n$/,
    ],
    [
      ['stats', '--input', path.join(statsWork, 'missing'), '--preset', 'potamitis-psd', '--out', out],
      /^wingbeats-xai: Input '.*missing' does not exist\.\n$/,
    ],
    [
      ['stats', '--input', empty, '--preset', 'potamitis-psd', '--out', out],
      /^wingbeats-xai: Option '--input' names no \.wav, \.npy or \.json file/,
    ],
  ];
  for (const [argv, pattern] of cases) {
    const { code, stderr } = await runCli(argv);
    assert.equal(code, 1);
    assert.match(stderr, pattern);
  }
  assert.equal(existsSync(out), false);
});
