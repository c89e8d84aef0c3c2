/**
 * The explanation metrics against slow textbook versions on tiny models and on models whose answer is known by
 * construction; batching equals no batching; no tensor leaks. Infidelity and max-sensitivity also on the Potamitis PSD
 * model against independent float64 PyTorch numbers (Captum's definitions, written out in
 * scripts/reference/metric_reference.py; numbers in test/fixtures/metric-reference.json): exactly on fixed
 * perturbations, statistically on the library's own random ones (those two skip without ../shared).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { sparseness } from '../../src/evaluation/sparseness.js';
import { complexity } from '../../src/evaluation/complexity.js';
import { deletion } from '../../src/evaluation/deletion.js';
import { insertion } from '../../src/evaluation/insertion.js';
import { road } from '../../src/evaluation/road.js';
import { noisyLinearImputation } from '../../src/evaluation/noisy-linear-imputation.js';
import { positionLayout } from '../../src/evaluation/flip-order.js';
import { faithfulnessCorrelation } from '../../src/evaluation/faithfulness-correlation.js';
import { infidelity, type InfidelityPerturb } from '../../src/evaluation/infidelity.js';
import { sensitivityMax, type SensitivityPerturb } from '../../src/evaluation/sensitivity-max.js';
import { randomLogit, randomOtherClasses } from '../../src/evaluation/random-logit.js';
import { explanationMetricsOf } from '../../src/evaluation/explanation-metrics.js';
import { spearman } from '../../src/evaluation/rank-correlation.js';
import type { PixelStatistics } from '../../src/evaluation/pixel-statistics.js';
import { gradients } from '../../src/attribution/gradients.js';
import { inputXGradient } from '../../src/attribution/input-x-gradient.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { createRng } from '../../src/util/rng.js';
import { conv1dNet, conv2dNet, randomBatch } from '../tiny-models.js';
import {
  assertClose,
  rejectsWithoutLeaks,
  useWasm,
  withoutLeaks,
  repoRoot,
  sharedDir,
  skipWithoutShared,
} from '../helpers.js';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadModel } from '../../src/models/load-model.js';

before(useWasm);

/** score₀ = Σ w_p·x_p over a [P, 1] input, score₁ = 0: each position's share of the score is known. */
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

test('sparseness and complexity equal their textbook formulas', () => {
  assert.equal(sparseness([0, 0, 0, 4]), 0.75);
  assert.equal(sparseness([1, 1, 1, 1]), 0);
  assert.ok(Number.isNaN(sparseness([0, 0])));
  assertClose([complexity([1, 1, 0, 0])], [Math.log(2)], 1e-15);
  assert.equal(complexity([0, -3, 0]), 0);
  const rng = createRng(1);
  const a = Array.from({ length: 50 }, () => rng.normal());
  // Slow Gini: mean absolute difference over all pairs / (2·mean).
  let pairs = 0;
  let mean = 0;
  for (const x of a) {
    mean += Math.abs(x) / a.length;
    for (const y of a) pairs += Math.abs(Math.abs(x) - Math.abs(y));
  }
  assertClose([sparseness(a)], [pairs / (2 * a.length * a.length * mean)], 1e-12);
  const total = a.reduce((s, x) => s + Math.abs(x), 0);
  assertClose(
    [complexity(a)],
    [-a.reduce((s, x) => s + (Math.abs(x) / total) * Math.log(Math.abs(x) / total), 0)],
    1e-12,
  );
});

test('deletion and insertion: curves known by construction, normalised so that "unchanged" reads 1', async () => {
  const w = [0.5, 0.1, 0.3, 0.8, 0.2, 0.6];
  const model = linearModel(w);
  const x = tf.ones([1, w.length, 1]);
  const heatmaps = [w]; // the true relevance of each position (x = 1)
  const statistics = zeroStatistics([w.length, 1]);
  const total = w.reduce((a, b) => a + b, 0);
  const order = w.map((_, i) => i).sort((a, b) => w[b] - w[a]);
  const common = { heatmaps, statistics, fraction: 1, step: 1 / w.length, randomSeeds: 3, seed: 4, target: 0 };
  const [del] = await withoutLeaks(() => deletion(model, x, common));
  const [ins] = await withoutLeaks(() => insertion(model, x, common));
  // Textbook: after k removals the score is the sum of the remaining weights; insertion is the complement.
  let remaining = total;
  const expectedDeletion = [total];
  const expectedInsertion = [0];
  for (const p of order) {
    remaining -= w[p];
    expectedDeletion.push(remaining);
    expectedInsertion.push(total - remaining);
  }
  assertClose(del.scores, expectedDeletion, 1e-6);
  assertClose(ins.scores, expectedInsertion, 1e-6);
  assert.equal(del.removedScore, 0);
  assertClose([del.originalScore], [total], 1e-6);
  const height = (v: number[]): number => {
    let area = 0;
    for (let k = 1; k < v.length; k++) area += (v[k] + v[k - 1]) / 2 / w.length;
    return area;
  };
  assertClose([del.auc], [height(expectedDeletion.map((s) => s / total))], 1e-6);
  assertClose([ins.auc], [height(expectedInsertion.map((s) => s / total))], 1e-6);
  // The true order is the best possible: it beats every random order.
  assert.ok(del.random.values.every((v) => v >= del.auc - 1e-9) && del.overRandom > 0);
  assert.ok(ins.random.values.every((v) => v <= ins.auc + 1e-9) && ins.overRandom > 0);
  // A constant heatmap keeps index order; an order that removes nothing of the score reads 1.
  const flat = linearModel([1, 0, 0, 0, 0, 0]);
  const [unchanged] = await deletion(flat, x, { ...common, heatmaps: [[0, 1, 1, 1, 1, 1]], fraction: 5 / 6 });
  assertClose([unchanged.auc], [1], 1e-6);
  x.dispose();
  model.dispose();
  flat.dispose();
});

test('deletion: batching equals no batching, and bad heatmaps are refused naming the argument', async () => {
  const model = conv1dNet(3);
  const x = randomBatch([3, 12, 2], 5);
  const heatmaps = Array.from({ length: 3 }, (_, e) => Array.from({ length: 12 }, (_, i) => Math.sin(i * (e + 1))));
  const one = await deletion(model, x, { heatmaps, seed: 2, batchSize: 1, step: 0.1, workers: 1 });
  const all = await deletion(model, x, { heatmaps, seed: 2, batchSize: 64, step: 0.1, workers: 1 });
  assert.deepEqual(one, all);
  await rejectsWithoutLeaks(() => deletion(model, x, { heatmaps: [[1, 2]] }), /heatmaps/);
  await rejectsWithoutLeaks(() => insertion(model, x, { heatmaps, fraction: 2 }), /fraction/);
  x.dispose();
  model.dispose();
});

/** Dense Gaussian elimination of the imputation system: the textbook solution of ROAD's linear imputation. */
function denseImputation(values: Float32Array, shape: number[], channels: number, removed: Uint8Array): Float64Array {
  const positions = shape.reduce((a, b) => a * b, 1);
  const unknown = [...removed.keys()].filter((p) => removed[p] === 1);
  const slot = new Map(unknown.map((p, i) => [p, i]));
  const out = Float64Array.from(values);
  const neighbours = (p: number): [number, number][] => {
    const list: [number, number][] = [];
    if (shape.length === 1) {
      for (const q of [p - 1, p + 1]) if (q >= 0 && q < positions) list.push([q, 1]);
      return list;
    }
    const [rows, cols] = shape;
    const r = Math.floor(p / cols);
    const c = p % cols;
    for (let dr = -1; dr <= 1; dr++)
      for (let dc = -1; dc <= 1; dc++) {
        if ((dr === 0 && dc === 0) || r + dr < 0 || r + dr >= rows || c + dc < 0 || c + dc >= cols) continue;
        list.push([(r + dr) * cols + c + dc, dr === 0 || dc === 0 ? 1 / 6 : 1 / 12]);
      }
    return list;
  };
  for (let ch = 0; ch < channels; ch++) {
    const n = unknown.length;
    const A = Array.from({ length: n }, () => new Float64Array(n + 1));
    unknown.forEach((p, i) => {
      for (const [q, wq] of neighbours(p)) {
        A[i][i] += wq;
        if (slot.has(q)) A[i][slot.get(q) as number] -= wq;
        else A[i][n] += wq * values[q * channels + ch];
      }
    });
    for (let col = 0; col < n; col++) {
      let pivot = col;
      for (let r = col + 1; r < n; r++) if (Math.abs(A[r][col]) > Math.abs(A[pivot][col])) pivot = r;
      [A[col], A[pivot]] = [A[pivot], A[col]];
      for (let r = 0; r < n; r++) {
        if (r === col) continue;
        const f = A[r][col] / A[col][col];
        for (let k = col; k <= n; k++) A[r][k] -= f * A[col][k];
      }
    }
    unknown.forEach((p, i) => (out[p * channels + ch] = A[i][n] / A[i][i]));
  }
  return out;
}

test("ROAD's linear imputation equals a dense solve of its system (1-D and 2-D), and the noise is as stated", () => {
  for (const [shape, channels] of [
    [[20], 1],
    [[6, 7], 2],
  ] as [number[], number][]) {
    const layout = positionLayout(channels === 1 ? shape : [...shape, channels]);
    const rng = createRng(9);
    const values = Float32Array.from({ length: layout.positions * layout.channels }, () => rng.normal());
    const removed = Uint8Array.from({ length: layout.positions }, () => (rng.uniform() < 0.6 ? 1 : 0));
    const got = noisyLinearImputation(values, layout, removed, 0, createRng(1));
    assertClose(got, denseImputation(values, layout.positionShape, layout.channels, removed), 1e-5);
    // Kept values are untouched; noise is added to removed values only.
    const noisy = noisyLinearImputation(values, layout, removed, 0.5, createRng(1));
    for (let i = 0; i < values.length; i++) {
      const p = Math.floor(i / layout.channels);
      if (removed[p] === 0) assert.equal(noisy[i], values[i]);
    }
  }
});

test('ROAD on a linear model: linear imputation of a constant input gives it back, so the score never moves', async () => {
  const w = [0.5, 0.1, 0.3, 0.8, 0.2, 0.6, 0.4, 0.9, 0.7, 0.35];
  const model = linearModel(w);
  const x = tf.ones([1, w.length, 1]);
  const [curve] = await withoutLeaks(() =>
    road(model, x, {
      heatmaps: [w],
      noise: 0,
      statistics: zeroStatistics([w.length, 1]),
      seed: 1,
      randomSeeds: 2,
      target: 0,
    }),
  );
  // Linear imputation of a constant signal is that constant: every score equals the original.
  assertClose(curve.scores, new Array(10).fill(w.reduce((a, b) => a + b, 0)), 1e-5);
  assertClose([curve.auc], [1], 1e-6);
  x.dispose();
  model.dispose();
});

test('faithfulness correlation is 1 for input × gradient on a linear model with removal to zero', async () => {
  const w = [0.5, -0.1, 0.3, 0.8, -0.2, 0.6, 0.4, 0.9, -0.7, 0.35];
  const model = linearModel(w);
  const x = randomBatch([2, w.length, 1], 3);
  const attribution = await inputXGradient(model, x, { target: 0 });
  const rho = await withoutLeaks(() =>
    faithfulnessCorrelation(model, x, {
      attributions: attribution.attributions,
      statistics: zeroStatistics([w.length, 1]),
      perturbations: 20,
      subsetFraction: 0.3,
      seed: 5,
      target: 0,
    }),
  );
  assertClose(rho, [1, 1], 1e-5);
  disposeAttribution(attribution);
  x.dispose();
  model.dispose();
});

/** A fixed perturbation per example and sample (as a Captum test would pass one). */
const fixedNoise =
  (scale: number): InfidelityPerturb =>
  (input, example, sample) => {
    const perturbation = Float32Array.from(
      input,
      (_, i) => scale * Math.sin(1 + i * 0.7 + example * 1.3 + sample * 2.1),
    );
    return { perturbation, perturbed: Float32Array.from(input, (v, i) => v - perturbation[i]) };
  };

test("infidelity equals Captum's definition computed one perturbation at a time (normalize off and on)", async () => {
  const model = ExplainableModel.from(conv2dNet(7));
  const x = randomBatch([2, 6, 5, 2], 8);
  const result = await gradients(model, x, { target: [0, 2] });
  const a = Array.from(result.attributions.dataSync());
  const size = a.length / 2;
  const perturb = fixedNoise(0.05);
  const data = x.dataSync() as Float32Array;
  // Textbook: one model call per perturbed input, float64 sums, Captum's formulas.
  const textbook = (normalize: boolean): number[] =>
    [0, 1].map((e) => {
      const row = data.slice(e * size, (e + 1) * size);
      const target = e === 0 ? 0 : 2;
      const f = (input: ArrayLike<number>): number =>
        tf.tidy(() => model.run(tf.tensor(Array.from(input), [1, 6, 5, 2])).dataSync()[target]);
      const fx = f(row);
      const pairs = [0, 1, 2, 3].map((s) => {
        const { perturbation, perturbed } = perturb(row, e, s);
        let dot = 0;
        for (let i = 0; i < size; i++) dot += a[e * size + i] * perturbation[i];
        return [dot, fx - f(perturbed)];
      });
      if (!normalize) return pairs.reduce((s, [u, v]) => s + (u - v) ** 2, 0) / 4;
      const beta = pairs.reduce((s, [u, v]) => s + u * v, 0) / pairs.reduce((s, [u]) => s + u * u, 0);
      return pairs.reduce((s, [u, v]) => s + (beta * u - v) ** 2, 0) / 4;
    });
  for (const normalize of [false, true]) {
    const got = await withoutLeaks(() =>
      infidelity(model, x, {
        attributions: result.attributions,
        perturb,
        perturbations: 4,
        normalize,
        target: [0, 2],
        batchSize: 3,
      }),
    );
    assertClose(got, textbook(normalize), 1e-6, 1e-4, `normalize ${normalize}`);
  }
  // Gaussian perturbations: seeded, and the same for any batch size.
  const first = await infidelity(model, x, { attributions: result.attributions, seed: 3, batchSize: 1, workers: 1 });
  const second = await infidelity(model, x, { attributions: result.attributions, seed: 3, batchSize: 64, workers: 1 });
  assert.deepEqual(first, second);
  await rejectsWithoutLeaks(() => infidelity(model, x, { attributions: [[1]] }), /attributions/);
  disposeAttribution(result);
  x.dispose();
});

test("sensitivity-max equals Captum's definition computed one perturbation at a time", async () => {
  const model = ExplainableModel.from(conv1dNet(4));
  const x = randomBatch([2, 12, 2], 9);
  const perturb: SensitivityPerturb = (input, example, sample) =>
    Float32Array.from(input, (v, i) => v + 0.05 * Math.cos(i + example * 3 + sample * 5));
  const data = x.dataSync() as Float32Array;
  const size = data.length / 2;
  const explain = async (input: ArrayLike<number>, target: number): Promise<number[]> => {
    const t = tf.tensor(Array.from(input), [1, 12, 2]);
    const r = await integratedGradients(model, t, { target, steps: 8 });
    const values = Array.from(r.attributions.dataSync());
    disposeAttribution(r);
    t.dispose();
    return values;
  };
  const targets = [1, 2];
  const expected: number[] = [];
  for (let e = 0; e < 2; e++) {
    const row = data.slice(e * size, (e + 1) * size);
    const clean = await explain(row, targets[e]);
    const norm = Math.hypot(...clean) || 1;
    let worst = 0;
    for (let s = 0; s < 3; s++) {
      const moved = await explain(perturb(row, e, s), targets[e]);
      worst = Math.max(worst, Math.hypot(...moved.map((v, i) => v - clean[i])) / norm);
    }
    expected.push(worst);
  }
  const got = await withoutLeaks(() =>
    sensitivityMax(model, x, {
      method: 'integrated-gradients',
      methodOptions: { steps: 8 },
      perturb,
      perturbations: 3,
      target: targets,
    }),
  );
  assertClose(got, expected, 1e-5, 1e-4);
  // Default uniform perturbations: zero radius leaves the explanation where it was.
  assertClose(await sensitivityMax(model, x, { method: 'gradients', radius: 0, seed: 1 }), [0, 0], 1e-7);
  x.dispose();
});

test('random-logit: Spearman of the heatmaps for the target and a seeded random other class', async () => {
  const model = ExplainableModel.from(conv1dNet(5));
  const x = randomBatch([2, 12, 2], 10);
  const { similarity, otherClasses } = await withoutLeaks(() =>
    randomLogit(model, x, { method: 'gradients', seed: 4, target: [0, 1] }),
  );
  assert.deepEqual(otherClasses, randomOtherClasses([0, 1], 3, 4));
  assert.ok(otherClasses.every((c, e) => c !== [0, 1][e]));
  const mine = await gradients(model, x, { target: [0, 1] });
  const other = await gradients(model, x, { target: otherClasses });
  const h1 = Array.from(mine.heatmaps.dataSync());
  const h2 = Array.from(other.heatmaps.dataSync());
  assertClose(similarity, [spearman(h1.slice(0, 12), h2.slice(0, 12)), spearman(h1.slice(12), h2.slice(12))], 1e-12);
  disposeAttribution(mine);
  disposeAttribution(other);
  x.dispose();
});

test('explanationMetricsOf: every metric per method and input, with a reading for each, leak-free and seeded', async () => {
  const model = ExplainableModel.from(conv2dNet(11));
  const x = randomBatch([2, 6, 5, 2], 12);
  const run = (batchSize: number) =>
    explanationMetricsOf(model, x, {
      methods: ['saliency', 'input-x-gradient'],
      perturbations: 4,
      step: 0.1,
      randomSeeds: 2,
      seed: 7,
      batchSize,
      workers: 1,
    });
  const result = await withoutLeaks(() => run(64));
  assert.deepEqual(await run(2), result);
  assert.equal(result.results.length, 2);
  for (const r of result.results) {
    for (const method of ['saliency', 'input-x-gradient']) {
      assert.equal(Object.keys(r.metrics[method]).length, 9);
      assert.equal(typeof r.metrics[method].infidelity, 'number');
      assert.equal(typeof (r.metrics[method].deletion as { auc: number }).auc, 'number');
    }
  }
  assert.equal(Object.keys(result.readings).length, 9);
  assert.match(result.readings.deletion, /lower is better/i);
  await rejectsWithoutLeaks(() => explanationMetricsOf(model, x, { metrics: ['nope' as never] }), /metrics/);
  x.dispose();
});

interface Reference {
  targets: number[];
  sigma: number;
  radius: number;
  noise: number[][][][];
  perturbed: number[][][][];
  exact: Record<string, { infidelity: number[]; infidelityNormalized: number[]; sensitivityMax: number[] }>;
  statistical: Record<
    string,
    {
      infidelitySquaredError: { mean: number; std: number }[];
      sensitivityMaxOf100: { q001: number; q999: number; median: number }[];
    }
  >;
}

const reference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/metric-reference.json'), 'utf8'),
) as Reference;
const methods = { gradients, 'input-x-gradient': inputXGradient } as const;

async function psdModelAndInputs() {
  const model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
  const cases = JSON.parse(
    readFileSync(resolve(sharedDir, 'reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json'), 'utf8'),
  ).cases as { input: number[] }[];
  const x = tf.tensor(
    cases.slice(0, 2).map((c) => c.input.map((v) => [v])),
    [2, 129, 1],
  );
  return { model, x };
}

test(
  "infidelity and max-sensitivity equal Captum's definitions on fixed perturbations (Potamitis PSD model)",
  { skip: skipWithoutShared },
  async () => {
    const { model, x } = await psdModelAndInputs();
    const targets = reference.targets;
    for (const [name, method] of Object.entries(methods)) {
      const expected = reference.exact[name];
      const result = await method(model, x, { target: targets });
      assert.deepEqual(result.targets, targets);
      const perturb = (input: Float32Array, e: number, s: number) => {
        const perturbation = Float32Array.from(reference.noise[e][s].flat());
        return { perturbation, perturbed: Float32Array.from(input, (v, i) => v - perturbation[i]) };
      };
      for (const normalize of [false, true]) {
        const got = await infidelity(model, x, {
          attributions: result.attributions,
          perturb,
          perturbations: 4,
          normalize,
          target: targets,
        });
        const want = normalize ? expected.infidelityNormalized : expected.infidelity;
        // Float32 logits (≈ 30) carry ≈ 2e-6 of rounding; infidelity squares score changes of 0.01–0.05 built from them.
        assertClose(got, want, 2e-7, 3e-4, `${name} infidelity (normalize ${normalize})`);
      }
      const sensitivity = await sensitivityMax(model, x, {
        method: name,
        perturb: (_input, e, s) => Float32Array.from(reference.perturbed[e][s].flat()),
        perturbations: 4,
        target: targets,
      });
      assertClose(sensitivity, expected.sensitivityMax, 0, 1e-5, `${name} sensitivity-max`);
      disposeAttribution(result);
    }
    x.dispose();
    model.dispose();
  },
);

test(
  "infidelity and max-sensitivity with the library's random perturbations follow the reference distributions",
  { skip: skipWithoutShared },
  async () => {
    const { model, x } = await psdModelAndInputs();
    const targets = reference.targets;
    for (const [name, method] of Object.entries(methods)) {
      const expected = reference.statistical[name];
      const result = await method(model, x, { target: targets });
      const draws = 2000;
      const got = await infidelity(model, x, {
        attributions: result.attributions,
        noiseStdev: reference.sigma,
        perturbations: draws,
        seed: 11,
        target: targets,
      });
      got.forEach((value, e) => {
        const { mean, std } = expected.infidelitySquaredError[e];
        const error = 4.5 * (std / Math.sqrt(draws));
        assert.ok(Math.abs(value - mean) <= error, `${name} infidelity ${value} vs ${mean} ± ${error} (example ${e})`);
      });
      const sensitivity = await sensitivityMax(model, x, {
        method: name,
        radius: reference.radius,
        perturbations: 100,
        seed: 12,
        target: targets,
      });
      sensitivity.forEach((value, e) => {
        const { q001, q999 } = expected.sensitivityMaxOf100[e];
        assert.ok(
          value >= q001 * 0.999 && value <= q999 * 1.001,
          `${name} sensitivity-max ${value} outside [${q001}, ${q999}] (example ${e})`,
        );
      });
      disposeAttribution(result);
    }
    x.dispose();
    model.dispose();
  },
);
