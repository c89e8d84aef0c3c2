/**
 * The group methods (feature ablation, exact Shapley values, Shapley value sampling, KernelSHAP, LIME) against
 * enumeration by hand on a model whose coalition values are known, against each other where their definitions meet
 * (all permutations, all coalitions, window-1 occlusion), statistically where they sample (within a few standard
 * errors of the exact values, standard errors shrinking as 1/√n), and for batching, targets, errors and leaks. The
 * feature groups they take: the counting rules of bands, time segments and tiles, masks with names, and harmonic groups.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { featureAblation } from '../../src/attribution/feature-ablation.js';
import { shapley } from '../../src/attribution/shapley.js';
import { shapleySampling } from '../../src/attribution/shapley-sampling.js';
import { kernelShap } from '../../src/attribution/kernel-shap.js';
import { lime } from '../../src/attribution/lime.js';
import { occlusion } from '../../src/attribution/occlusion.js';
import { attributionMethods } from '../../src/attribution/registry.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { assertClose, flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dNet, randomBatch } from '../tiny-models.js';
import { groupMaskFromJson, positionGroups, resolveGroups } from '../../src/attribution/feature-groups.js';
import { computeFeatures } from '../../src/signal/features.js';

before(useWasm);

/** f(x) = [x0·x1 + 2·x2 (+ 0·x3), −x0]: coalition values known in closed form. */
function handModel(): ExplainableModel {
  return ExplainableModel.from((t: tf.Tensor) =>
    tf.tidy(() => {
      const x = tf.reshape(t, [-1, 4]);
      const [a, b, c] = tf.split(x, [1, 1, 1, 1], 1);
      return tf.concat([tf.add(tf.mul(a, b), tf.mul(c, 2)), tf.neg(a)], 1);
    }),
  );
}

async function run<T>(promise: Promise<AttributionResult>, read: (r: AttributionResult) => T): Promise<T> {
  const result = await promise;
  try {
    return read(result);
  } finally {
    disposeAttribution(result);
  }
}

const groupValues = (r: AttributionResult): number[][] => r.groupAttributions ?? [];

describe('group methods: enumeration by hand', () => {
  // x = [1, 2, 3, 5], baseline 0, groups {0}, {1}, {2, 3}: v(S) = 2·[0∈S][1∈S] + 6·[2∈S].
  const input = [[1, 2, 3, 5]];
  const groups = { mask: [0, 1, 2, 2], names: ['a', 'b', 'c+d'] };

  test('exact Shapley values: the interaction split in half, the additive group alone; efficiency gap 0', async () => {
    const got = await run(shapley(handModel(), input, { groups, target: 0 }), (r) => {
      assert.deepEqual(
        r.groups?.[0].map((g) => g.name),
        ['a', 'b', 'c+d'],
      );
      assert.deepEqual(flat(r.attributions), [1, 1, 6, 6]);
      assert.ok(Math.abs(r.delta?.[0] ?? NaN) < 1e-6);
      return groupValues(r)[0];
    });
    assertClose(got, [1, 1, 6], 1e-6);
  });

  test('feature ablation: f(x) − f(x without the group)', async () => {
    const got = await run(featureAblation(handModel(), input, { groups, target: 0 }), groupValues);
    assertClose(got[0], [2, 2, 6], 1e-6);
    assert.equal(await run(featureAblation(handModel(), input, { groups, target: 0 }), (r) => r.delta), undefined);
  });

  test('a baseline of ones: v(S) = (x0 or 1)(x1 or 1) + 2 (x2 or 1); Shapley by hand', async () => {
    // v(∅)=3, v(a)=4, v(b)=4, v(c)=7, v(ab)=4+... computed: φa = ½[(v(a)−v(∅)) + (v(ab)−v(b))] over orders with c
    const f = (a: boolean, b: boolean, c: boolean): number => (a ? 1 : 1) * (b ? 2 : 1) + 2 * (c ? 3 : 1);
    const v = (s: number): number => f((s & 1) !== 0, (s & 2) !== 0, (s & 4) !== 0);
    const phi = [0, 1, 2].map((i) => {
      let sum = 0;
      for (let s = 0; s < 8; s++) {
        if ((s >> i) & 1) continue;
        const size = [0, 1, 2].filter((j) => (s >> j) & 1).length;
        const weight = [1 / 3, 1 / 6, 1 / 3][size];
        sum += weight * (v(s | (1 << i)) - v(s));
      }
      return sum;
    });
    const got = await run(shapley(handModel(), input, { groups, target: 0, baseline: [[1, 1, 1, 1]] }), groupValues);
    assertClose(got[0], phi, 1e-6);
  });
});

describe('group methods agree where their definitions meet', () => {
  test('1-D: shapley = shapley-sampling with all 4! permutations = kernel-shap with all 2^4 − 2 coalitions', async () => {
    const model = ExplainableModel.from(conv1dNet(41));
    const x = randomBatch([3, 12, 2], 42);
    const baseline = randomBatch([12, 2], 43).arraySync() as number[][];
    const options = { groups: 'bands:4', baseline, target: [0, 1, 2] };
    const exact = await run(shapley(model, x, options), (r) => {
      r.delta?.forEach((d) => assert.ok(Math.abs(d) < 2e-6, `efficiency gap ${d}`));
      return groupValues(r);
    });
    const sampled = await run(shapleySampling(model, x, { ...options, permutations: 24 }), (r) => {
      r.standardErrors?.forEach((se) => assert.deepEqual(se, [0, 0, 0, 0]));
      return groupValues(r);
    });
    const kernel = await run(kernelShap(model, x, { ...options, coalitions: 14 }), (r) => {
      r.delta?.forEach((d) => assert.ok(Math.abs(d) < 2e-6));
      return groupValues(r);
    });
    assertClose(sampled.flat(), exact.flat(), 2e-6, 1e-5, 'all permutations');
    assertClose(kernel.flat(), exact.flat(), 2e-6, 1e-5, 'all coalitions');
    x.dispose();
  });

  test('2-D: the same on tiles 2×2 of a spectrogram-like input, and on time segments', async () => {
    const model = ExplainableModel.from(conv2dNet(44));
    const x = randomBatch([2, 6, 5, 2], 45);
    for (const groups of ['tiles:2x2', 'time:3']) {
      const exact = await run(shapley(model, x, { groups }), groupValues);
      const sampled = await run(shapleySampling(model, x, { groups, permutations: 24 }), groupValues);
      const kernel = await run(kernelShap(model, x, { groups, coalitions: 100 }), groupValues);
      assertClose(sampled.flat(), exact.flat(), 2e-6, 1e-5, `${groups}: all permutations`);
      assertClose(kernel.flat(), exact.flat(), 2e-6, 1e-5, `${groups}: all coalitions`);
    }
    x.dispose();
  });

  test('probabilities: Σφ = p(x) − p(baseline) for the target, per example', async () => {
    const model = ExplainableModel.from(conv1dNet(55));
    const x = randomBatch([2, 12, 2], 56);
    const r = await shapley(model, x, { groups: 'bands:3', scores: 'probabilities', target: [1, 2] });
    try {
      const p = r.predictions.arraySync() as number[][];
      assert.ok(p.every((row) => Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5));
      r.delta?.forEach((d) => assert.ok(Math.abs(d) < 1e-6, `gap ${d}`));
      const zero = tf.zeros([2, 12, 2]);
      const pb = tf.tidy(() => model.run(zero, { scores: 'probabilities' }).arraySync() as number[][]);
      zero.dispose();
      (r.groupAttributions ?? []).forEach((row, e) => {
        const t = [1, 2][e];
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - (p[e][t] - pb[e][t])) < 1e-5);
      });
    } finally {
      disposeAttribution(r);
      x.dispose();
    }
  });

  test('feature ablation without groups (one position per group) = occlusion with window 1', async () => {
    const model = ExplainableModel.from(conv2dNet(46));
    const x = randomBatch([2, 6, 5, 2], 47);
    const a = await run(featureAblation(model, x, { baseline: 0.3 }), (r) => flat(r.attributions));
    const b = await run(occlusion(model, x, { window: 1, stride: 1, baseline: 0.3 }), (r) => flat(r.attributions));
    assertClose(a, b, 1e-6, 0, 'ablation vs occlusion');
    x.dispose();
  });

  test('batching equals no batching, and the results are seeded', async () => {
    const model = ExplainableModel.from(conv1dNet(48));
    const x = randomBatch([2, 12, 2], 49);
    for (const method of ['shapley', 'shapley-sampling', 'kernel-shap', 'lime', 'feature-ablation'] as const) {
      const go = (batchSize: number): Promise<number[]> =>
        run(
          attributionMethods[method].run(model, x, {
            groups: 'bands:5',
            batchSize,
            seed: 7,
            coalitions: 20,
            permutations: 10,
          }),
          (r) => groupValues(r).flat(),
        );
      assert.deepEqual(await go(3), await go(1000), method);
    }
    x.dispose();
  });

  test('lime on an additive model with no ridge recovers each group exactly, R² = 1', async () => {
    const weights = [0.5, -1, 2, 0.25, 3, -0.75];
    const model = ExplainableModel.from((t: tf.Tensor) =>
      tf.tidy(() => tf.matMul(tf.reshape(t, [-1, 6]), tf.tensor2d(weights, [6, 1]))),
    );
    const x = [[1, 2, 3, 4, 5, 6]];
    const [values, r2] = await run(
      lime(model, x, { groups: { mask: [0, 0, 1, 1, 2, 2] }, ridge: 0, seed: 3, coalitions: 40 }),
      (res) => [groupValues(res)[0], res.fitR2?.[0]] as const,
    );
    assertClose(values, [0.5 - 2, 6 + 1, 15 - 4.5], 1e-4);
    assert.ok(Math.abs((r2 ?? 0) - 1) < 1e-9);
  });
});

describe('sampled methods against the exact values', () => {
  let model: ExplainableModel;
  before(() => {
    model = ExplainableModel.from(conv1dNet(50));
  });

  test('shapley-sampling: within 4 standard errors of exact; standard errors shrink as 1/√n; efficiency exact', async () => {
    const x = randomBatch([1, 12, 2], 51);
    const options = { groups: 'bands:6', target: 1 };
    const exact = (await run(shapley(model, x, options), groupValues))[0];
    const s64 = await run(shapleySampling(model, x, { ...options, permutations: 64, seed: 1 }), (r) => ({
      values: groupValues(r)[0],
      se: r.standardErrors?.[0] ?? [],
      delta: r.delta?.[0] ?? NaN,
    }));
    const s256 = await run(shapleySampling(model, x, { ...options, permutations: 256, seed: 2 }), (r) => ({
      values: groupValues(r)[0],
      se: r.standardErrors?.[0] ?? [],
    }));
    s64.values.forEach((v, g) => assert.ok(Math.abs(v - exact[g]) <= 4 * s64.se[g] + 1e-6, `group ${g}`));
    s256.values.forEach((v, g) => assert.ok(Math.abs(v - exact[g]) <= 4 * s256.se[g] + 1e-6, `group ${g}`));
    const ratio = s256.se.reduce((a, b) => a + b, 0) / s64.se.reduce((a, b) => a + b, 0);
    assert.ok(ratio > 0.3 && ratio < 0.75, `SE ratio 256 vs 64 permutations ${ratio} (expected about 0.5)`);
    assert.ok(Math.abs(s64.delta) < 1e-5);
    x.dispose();
  });

  test('kernel-shap: within 4 standard errors of exact over 12 positions; standard errors shrink as 1/√n', async () => {
    const x = randomBatch([1, 12, 2], 52);
    const exact = (await run(shapley(model, x, { target: 0 }), groupValues))[0];
    const fit = (coalitions: number, seed: number): Promise<{ values: number[]; se: number[]; delta: number }> =>
      run(kernelShap(model, x, { target: 0, coalitions, seed }), (r) => ({
        values: groupValues(r)[0],
        se: r.standardErrors?.[0] ?? [],
        delta: r.delta?.[0] ?? NaN,
      }));
    const a = await fit(200, 1);
    const b = await fit(800, 2);
    for (const s of [a, b]) {
      const worst = Math.max(...s.values.map((v, g) => Math.abs(v - exact[g]) / Math.max(s.se[g], 1e-9)));
      assert.ok(worst < 4.5, `worst |error|/SE ${worst}`);
      assert.ok(Math.abs(s.delta) < 1e-5);
    }
    const ratio = b.se.reduce((p, q) => p + q, 0) / a.se.reduce((p, q) => p + q, 0);
    assert.ok(ratio > 0.3 && ratio < 0.75, `SE ratio 800 vs 200 coalitions ${ratio} (expected about 0.5)`);
    x.dispose();
  });
});

describe('group methods: errors and leaks', () => {
  let model: ExplainableModel;
  before(() => {
    model = ExplainableModel.from(conv1dNet(53));
  });

  test('no tensor leaks on success, for every method', async () => {
    const x = randomBatch([2, 12, 2], 54);
    for (const method of ['shapley', 'shapley-sampling', 'kernel-shap', 'lime', 'feature-ablation'] as const)
      await withoutLeaks(
        () => attributionMethods[method].run(model, x, { groups: 'bands:3', coalitions: 8, permutations: 4 }),
        disposeAttribution,
      );
    x.dispose();
  });

  test('more than 16 groups are refused with the cost; bad specs and masks name the argument', async () => {
    const x = randomBatch([1, 12, 2], 55);
    const wide = ExplainableModel.from((t: tf.Tensor) => tf.tidy(() => tf.reshape(t, [-1, 17])));
    await rejectsWithoutLeaks(
      () => shapley(wide, [new Array<number>(17).fill(0)]),
      /^Argument 'groups' passed to 'shapley' must give at most 16 groups for exact Shapley values but gave 17: all 2\^17 = 131,072 coalitions would cost 131,071 forward passes per example/,
    );
    await rejectsWithoutLeaks(
      () => shapley(model, x, { groups: 'bands:13' }),
      /Argument 'groups' passed to 'shapley' must be at most 12 bands \(the axis' length\) but got 13/,
    );
    await rejectsWithoutLeaks(
      () => kernelShap(model, x, { groups: 'octaves' }),
      /Argument 'groups' passed to 'kernelShap' must be 'bands:N', 'time:N', 'tiles:FxT', 'harmonics', 'harmonics:TOL' or a mask but got 'octaves'/,
    );
    await rejectsWithoutLeaks(
      () => featureAblation(model, x, { groups: { mask: [0, 1, 2] } }),
      /Argument 'groups' passed to 'featureAblation' must be a mask with one group index per position of the non-channel shape \[12\] \(12 values\) but got 3 values/,
    );
    await rejectsWithoutLeaks(
      () => featureAblation(model, x, { groups: { mask: [0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2] } }),
      /group indices 0\.\.2 each used by at least one position but got no position in group 1/,
    );
    await rejectsWithoutLeaks(
      () => featureAblation(model, x, { groups: 'time:2' }),
      /must be 'time:N' on inputs with a time axis \(2-D\)/,
    );
    await rejectsWithoutLeaks(() => shapley(model, x, { groups: 'harmonics' }), /needs the frequency of each bin/);
    await rejectsWithoutLeaks(
      () => shapleySampling(model, x, { groups: 'bands:2', permutations: 1 }),
      /Argument 'permutations' passed to 'shapleySampling' must be an integer in \[2, 100000\] but got 1/,
    );
    x.dispose();
  });
});

const psdHz = Array.from({ length: 129 }, (_, i) => i * 31.25);

test("bands:N: floor(L/N) positions each, the last takes the remainder; Hz ranges from 'frequencyHz'", () => {
  const [{ groups }] = resolveGroups('f', 'bands:8', [129], new Float32Array(129), 1, 1, psdHz);
  assert.deepEqual(
    groups.map((g) => g.positions.length),
    [16, 16, 16, 16, 16, 16, 16, 17],
  );
  assert.deepEqual(
    groups[7].positions,
    Array.from({ length: 17 }, (_, i) => 112 + i),
  );
  assert.deepEqual([groups[0].name, groups[0].lowHz, groups[0].highHz], ['band 0', 0, 468.75]);
  assert.equal(groups[7].highHz, 4000);
});

test('time:N and tiles:FxT on a [6, 5] spectrogram: rows × frames, row-major tiles', () => {
  const [{ groups: time }] = resolveGroups('f', 'time:2', [6, 5], new Float32Array(30), 1, 1);
  // 5 frames in 2 segments: frames 0-1 and 2-4.
  assert.deepEqual(time[0].positions, [0, 1, 5, 6, 10, 11, 15, 16, 20, 21, 25, 26]);
  assert.equal(time[1].positions.length, 18);
  const [{ groups: tiles }] = resolveGroups('f', 'tiles:3×2', [6, 5], new Float32Array(30), 1, 1);
  assert.equal(tiles.length, 6);
  assert.deepEqual(tiles[3].positions, [12, 13, 14, 17, 18, 19]); // band 1 (rows 2-3), segment 1 (frames 2-4)
  assert.equal(tiles[3].name, 'tile 1,1');
});

test('a mask: nested in the non-channel shape or flat, optional names; the JSON forms', () => {
  const mask = groupMaskFromJson({ mask: [[0], [0], [1], [2]], names: ['low', 'mid', 'high'] }, 'm');
  const [{ groups }] = resolveGroups('f', mask, [4, 1], new Float32Array(4), 1, 1);
  assert.deepEqual(
    groups.map((g) => [g.name, g.positions]),
    [
      ['low', [0, 1]],
      ['mid', [2]],
      ['high', [3]],
    ],
  );
  assert.deepEqual(groupMaskFromJson([0, 1], 'm'), { mask: [0, 1] });
  assert.throws(() => groupMaskFromJson({ names: [] }, "Option '--groups' file 'm.json'"), /must hold an array/);
  assert.equal(positionGroups([3], 2)[1].groups.length, 3);
});

test('harmonics: per example f0 (JSON key f0Hz), then below f0, f0, 2f0, ... and the bins between', () => {
  const tone = (f0: number): Float32Array =>
    computeFeatures(
      Float64Array.from({ length: 5000 }, (_, t) =>
        [1, 0.5, 0.3].reduce((s, a, k) => s + a * Math.sin((2 * Math.PI * (k + 1) * f0 * t) / 8000), 0),
      ),
      'potamitis-psd',
    ).data;
  const data = new Float32Array(258);
  data.set(tone(500), 0);
  data.set(tone(730), 129);
  const [a, b] = resolveGroups('f', 'harmonics', [129], data, 2, 1, psdHz);
  assert.ok(Math.abs((a.f0Hz ?? 0) - 500) < 5 && Math.abs((b.f0Hz ?? 0) - 730) < 7.3);
  assert.deepEqual(
    a.groups.map((g) => g.name),
    ['below f0', 'f0', '2f0', '3f0', '4f0', '5f0', '6f0', '7f0', '8f0', 'between harmonics'],
  );
  // The f0 group: the bins within one bin width (31.25 Hz) of the estimated f0, 500 Hz among them.
  assert.ok(a.groups[1].positions.includes(16));
  a.groups[1].positions.forEach((p) => assert.ok(Math.abs(psdHz[p] - (a.f0Hz ?? 0)) <= 31.25));
  assert.equal(b.groups.length, 7); // 5 harmonics of 730 Hz below 4000 Hz
  const all = a.groups.flatMap((g) => g.positions).sort((p, q) => p - q);
  assert.deepEqual(
    all,
    Array.from({ length: 129 }, (_, i) => i),
  ); // a partition
  const [c] = resolveGroups('f', 'harmonics:10', [129], data, 1, 1, psdHz);
  assert.deepEqual(c.groups[1].positions, [16]);
});
