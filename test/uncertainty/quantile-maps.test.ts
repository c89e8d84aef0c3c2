import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramMidpoints, quantileMaps, quantileOfSorted } from '../../src/uncertainty/quantile-maps.js';
import { createRng } from '../../src/util/rng.js';
import { assertClose } from '../helpers.js';

/** Textbook NumPy 'linear' quantile: sort, position (n − 1)q, linear interpolation between its neighbours. */
function textbookQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function samples(n: number, positions: number, seed: number): Float32Array[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () =>
    Float32Array.from(
      { length: positions },
      (_, p) => Math.abs(rng.normal()) * (1 + (p % 4)) + (p % 3 === 0 ? rng.uniform() : 0),
    ),
  );
}

test('NumPy linear quantile on small hand cases', () => {
  assert.equal(quantileOfSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantileOfSorted([1, 2, 3, 4], 0.25), 1.75);
  assert.equal(quantileOfSorted([1, 2, 3, 4], 1), 4);
  assert.equal(quantileOfSorted([1, 2, 3, 4], 0), 1);
  assert.equal(quantileOfSorted([7], 0.3), 7);
  assert.equal(quantileOfSorted([0, 10], 0.9), 9);
});

test('exact quantile maps equal a direct per-position sort + interpolation; q25 ≤ q50 ≤ q75 everywhere', () => {
  const heatmaps = samples(37, 200, 1);
  const qs = [0.25, 0.5, 0.75, 0.05, 1];
  const { maps, mean, std, samples: n, method } = quantileMaps(heatmaps, qs);
  assert.equal(n, 37);
  assert.equal(method, 'exact');
  for (let p = 0; p < 200; p++) {
    const column = heatmaps.map((h) => h[p]);
    qs.forEach((q, i) => assertClose([maps[i][p]], [textbookQuantile(column, q)], 1e-12, 0, `q${q} at ${p}`));
    const m = column.reduce((a, b) => a + b, 0) / column.length;
    assertClose([mean[p], std[p]], [m, Math.sqrt(column.reduce((a, b) => a + (b - m) ** 2, 0) / column.length)], 1e-12);
    assert.ok(maps[0][p] <= maps[1][p] && maps[1][p] <= maps[2][p], `monotone at ${p}`);
  }
});

test('the histogram rule reproduces the original algorithm on hand-computed cases', () => {
  // Position 0: samples 0, 1, 2, 3, 10 with 5 bins: edges 0, 2, 4, 6, 8, 10; midpoints 1, 3, 5, 7, 9.
  // 0, 1 → bin 0 (1); 2, 3 → bin 1 (3); 10 → the closed last bin (9). Unfolded [1, 1, 3, 3, 9]:
  // q25 at index 1 → 1; q50 at 2 → 3; q75 at 3 → 3; q90 at 3.6 → 3 + 0.6·(9 − 3) = 6.6.
  // Position 1: all samples 0.3: np.histogram spans 0.3 ± 0.5, so every sample sits in the bin whose midpoint is 0.31 (50 bins).
  const heatmaps = [
    [0, 0.3],
    [1, 0.3],
    [10, 0.3],
    [2, 0.3],
    [3, 0.3],
  ];
  const five = quantileMaps(heatmaps, [0.25, 0.5, 0.75, 0.9], { method: 'histogram', bins: 5 });
  assertClose(
    five.maps.map((m) => m[0]),
    [1, 3, 3, 6.6],
    1e-12,
  );
  const fifty = quantileMaps(heatmaps, [0.1, 0.5, 0.9], { method: 'histogram' });
  // 50 bins of width 0.2 over [0, 10]: 0 → 0.1, 1 → 1.1, 2 → 2.1, 3 → 3.1, 10 → 9.9 (NumPy gives 0.5, 2.1, 7.18).
  assertClose(
    fifty.maps.map((m) => m[0]),
    [0.5, 2.1, 7.18],
    1e-12,
  );
  assertClose(
    fifty.maps.map((m) => m[1]),
    [0.31, 0.31, 0.31],
    1e-12,
  );
  assertClose(fifty.mean, [3.2, 0.3], 1e-12, 0, 'mean maps are the exact means');
  assert.deepEqual(Array.from(histogramMidpoints([0, 1, 2, 3, 10], 5, new Float64Array(5))), [1, 1, 3, 3, 9]);
});

test('the histogram rule equals the original Python quantile_maps (NumPy 2.4) on a 12-sample, 6-position case', () => {
  // Expected values printed by the original algorithm (np.histogram with 50 bins, midpoints unfolded by count,
  // np.quantile) for these samples; position 5 is constant, position 2 has a tie.
  const samples = [
    [0.538, 0.343, 0.369, 0.374, 0.987, 0.25],
    [0.674, 0.33, 0.68, 0.123, 0.052, 0.25],
    [0.009, 0.979, 0.827, 0.785, 0.048, 0.25],
    [0.85, 0.432, 0.828, 0.122, 0.186, 0.25],
    [0.759, 0.54, 0.107, 0.866, 0.14, 0.25],
    [0.587, 0.319, 0.418, 0.887, 0.454, 0.25],
    [0.97, 0.276, 0.895, 0.362, 0.312, 0.25],
    [0.065, 0.867, 0.828, 0.895, 0.06, 0.25],
    [0.775, 0.437, 0.005, 0.693, 0.8, 0.25],
    [0.151, 0.252, 0.841, 0.092, 0.274, 0.25],
    [0.418, 0.543, 0.869, 0.631, 0.654, 0.25],
    [0.211, 0.45, 0.988, 0.909, 0.767, 0.25],
  ];
  const expected = [
    [0.06666000000000001, 0.278172, 0.13868800000000003, 0.11650999999999999, 0.057390000000000004, 0.26],
    [0.19639500000000001, 0.328335, 0.412945, 0.300335, 0.11373, 0.26],
    [0.5663800000000001, 0.43374999999999997, 0.82089, 0.6557299999999999, 0.30152999999999996, 0.26],
    [0.76819, 0.5391649999999999, 0.845465, 0.872235, 0.68652, 0.26],
    [0.8373820000000001, 0.8379620000000001, 0.8955980000000001, 0.899196, 0.8048339999999999, 0.26],
  ];
  const { maps } = quantileMaps(samples, [0.1, 0.25, 0.5, 0.75, 0.9], { method: 'histogram' });
  maps.forEach((map, i) => assertClose(map, expected[i], 1e-15, 0, `quantile ${i}`));
});

test('the histogram rule is within half a bin of the exact quantiles', () => {
  const heatmaps = samples(100, 50, 2);
  const exact = quantileMaps(heatmaps, [0.25, 0.5, 0.75]);
  const hist = quantileMaps(heatmaps, [0.25, 0.5, 0.75], { method: 'histogram' });
  for (let p = 0; p < 50; p++) {
    const column = heatmaps.map((h) => h[p]);
    const halfBin = (Math.max(...column) - Math.min(...column)) / 100;
    for (let i = 0; i < 3; i++)
      assert.ok(Math.abs(hist.maps[i][p] - exact.maps[i][p]) <= halfBin + 1e-12, `position ${p}, quantile ${i}`);
  }
});

test('quantileMaps names the argument at fault', () => {
  assert.throws(
    () => quantileMaps([], [0.5]),
    /Argument 'heatmaps' passed to 'quantileMaps' must be a non-empty list of heatmaps \(one array per sample\) but got an array of length 0\./,
  );
  assert.throws(
    () => quantileMaps([[1, 2], [1]], [0.5]),
    /Argument 'heatmaps\[1\]' passed to 'quantileMaps' must be of length 2 \(as heatmaps\[0\]\) but got length 1\./,
  );
  assert.throws(
    () => quantileMaps([[1]], [1.5]),
    /Argument 'quantiles\[0\]' passed to 'quantileMaps' must be a number in \[0, 1\] but got 1\.5\./,
  );
  assert.throws(
    () => quantileMaps([[1]], [0.5], { method: 'median' as never }),
    /Argument 'method' passed to 'quantileMaps' must be 'exact' or 'histogram' but got 'median'\./,
  );
  assert.throws(
    () => quantileMaps([[1]], [0.5], { bins: 0 }),
    /Argument 'bins' passed to 'quantileMaps' must be a positive integer but got 0\./,
  );
  assert.throws(
    () => quantileMaps([[1, Number.NaN]], [0.5]),
    /Argument 'heatmaps\[0\]' passed to 'quantileMaps' must be finite but got NaN at position 1\./,
  );
});
