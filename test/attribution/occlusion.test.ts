/** Occlusion against a slow one-window-at-a-time version (Captum's definition), invariants, batching, errors and leaks. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { occlusion, windowStarts } from '../../src/attribution/occlusion.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { assertClose, flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dNet, denseNet, randomBatch } from '../tiny-models.js';

before(useWasm);

/** Target logit of one example, one model call per input (no batching). */
function score(model: ExplainableModel, input: number[], shape: number[], target: number): number {
  return tf.tidy(() => model.run(tf.tensor(input, [1, ...shape])).dataSync()[target]);
}

/**
 * Textbook occlusion on one example: loop over Captum's window starts along every non-channel axis (1 + ceil((n − w)/s)
 * starts k·s; a window running past the end is cut there), one forward per window; accumulate f(x) − f(occluded) on the covered positions, divide by coverage.
 */
function slowOcclusion(
  model: ExplainableModel,
  input: number[],
  shape: number[],
  target: number,
  window: number[],
  stride: number[],
  baseline: number[],
): number[] {
  const spatial = shape.length === 1 ? shape : shape.slice(0, -1);
  const channels = shape.length === 1 ? 1 : shape[shape.length - 1];
  const positions = spatial.reduce((a, b) => a * b, 1);
  const sum = new Array<number>(positions).fill(0);
  const count = new Array<number>(positions).fill(0);
  const f0 = score(model, input, shape, target);
  const starts = spatial.map((n, a) => {
    const s: number[] = [];
    for (let k = 0; k <= Math.ceil((n - window[a]) / stride[a]); k++) s.push(k * stride[a]);
    return s;
  });
  const combos = starts.reduce<number[][]>((acc, axis) => acc.flatMap((p) => axis.map((s) => [...p, s])), [[]]);
  for (const start of combos) {
    const occluded = input.slice();
    const covered: number[] = [];
    for (let p = 0; p < positions; p++) {
      const index = spatial.length === 1 ? [p] : [Math.floor(p / spatial[1]), p % spatial[1]];
      if (index.every((i, a) => i >= start[a] && i < start[a] + window[a])) {
        covered.push(p);
        for (let c = 0; c < channels; c++) occluded[p * channels + c] = baseline[p * channels + c];
      }
    }
    const drop = f0 - score(model, occluded, shape, target);
    covered.forEach((p) => {
      sum[p] += drop;
      count[p] += 1;
    });
  }
  return sum.flatMap((s, p) => new Array<number>(channels).fill(count[p] > 0 ? s / count[p] : 0));
}

test('occlusion equals the slow one-window-at-a-time version (1-D conv net, overlapping windows, a baseline)', async () => {
  const model = ExplainableModel.from(conv1dNet(31));
  const x = randomBatch([3, 12, 2], 32);
  const baseline = randomBatch([12, 2], 33);
  const result = await occlusion(model, x, { window: 3, stride: 2, baseline: baseline.arraySync() as number[][] });
  const rows = x.arraySync() as number[][][];
  const got = result.attributions.arraySync() as number[][][];
  rows.forEach((row, e) => {
    const expected = slowOcclusion(model, row.flat(), [12, 2], result.targets[e], [3], [2], flat(baseline));
    assertClose(got[e].flat(), expected, 1e-5, 1e-5, `example ${e}`);
  });
  // Stride 2 with window 3 over 12 positions: Captum adds a window at 10 cut to 10–11, so position 11 is covered.
  assert.notDeepEqual(got[0][11], [0, 0]);
  disposeAttribution(result);
  x.dispose();
  baseline.dispose();
});

test('windowStarts places windows as Captum does: 129 bins, window 8, stride 4 end with a cut window at 124', () => {
  const starts = windowStarts(129, 8, 4);
  assert.equal(starts.length, 32);
  assert.equal(starts[starts.length - 1], 124);
  assert.deepEqual(windowStarts(12, 4, 4), [0, 4, 8]);
  assert.deepEqual(windowStarts(5, 5, 3), [0]);
  assert.deepEqual(windowStarts(12, 3, 2), [0, 2, 4, 6, 8, 10]);
});

test('occlusion covers every position: window 8, stride 4 on 129 positions gives the last one its cut window', async () => {
  const weights = Array.from({ length: 129 }, (_, i) => (i % 7) - 3 + 0.5);
  const model = ExplainableModel.from((t: tf.Tensor) =>
    tf.tidy(() =>
      tf.concat(
        [
          tf.matMul(tf.reshape(t, [-1, 129]), tf.tensor2d(weights, [129, 1])),
          tf.zerosLike(tf.slice(tf.reshape(t, [-1, 129]), [0, 0], [-1, 1])),
        ],
        1,
      ),
    ),
  );
  const x = tf.ones([1, 129, 1]);
  const result = await occlusion(model, x, { window: 8, stride: 4, target: 0 });
  const got = flat(result.attributions);
  // Linear model: a window's drop is Σ its weights; bin 128 is covered only by the cut window 124–128.
  const cut = weights.slice(124).reduce((a, b) => a + b, 0);
  assertClose([got[128]], [cut], 1e-5, 1e-5, 'last bin');
  disposeAttribution(result);
  x.dispose();
});

test('occlusion on a 2-D model: per-axis windows and strides, all channels of a position equal', async () => {
  const model = ExplainableModel.from(conv2dNet(34));
  const x = randomBatch([2, 6, 5, 2], 35);
  const result = await occlusion(model, x, { window: [2, 3], stride: [2, 1], target: [0, 2] });
  const rows = x.arraySync() as number[][][][];
  const got = flat(result.attributions);
  const perExample = 6 * 5 * 2;
  rows.forEach((row, e) => {
    const expected = slowOcclusion(
      model,
      row.flat(2),
      [6, 5, 2],
      [0, 2][e],
      [2, 3],
      [2, 1],
      new Array<number>(60).fill(0),
    );
    assertClose(got.slice(e * perExample, (e + 1) * perExample), expected, 1e-5, 1e-5, `example ${e}`);
  });
  disposeAttribution(result);
  x.dispose();
});

test('occlusion with window 1 equals one-at-a-time differences f(x) − f(x with feature i set to the baseline)', async () => {
  const model = ExplainableModel.from(denseNet(36));
  const x = randomBatch([2, 4], 37);
  const result = await occlusion(model, x, { window: 1, stride: 1, baseline: 0.5 });
  const rows = x.arraySync() as number[][];
  rows.forEach((row, e) => {
    const t = result.targets[e];
    const expected = row.map((_, i) => {
      const changed = row.slice();
      changed[i] = 0.5;
      return score(model, row, [4], t) - score(model, changed, [4], t);
    });
    assertClose((result.attributions.arraySync() as number[][])[e], expected, 1e-6, 1e-6, `example ${e}`);
  });
  disposeAttribution(result);
  x.dispose();
});

test('occlusion: batched equals one by one, for any batchSize', async () => {
  const model = conv1dNet(38);
  const x = randomBatch([3, 12, 2], 39);
  const all = await occlusion(model, x, { window: 4, stride: 3, batchSize: 5 });
  const big = await occlusion(model, x, { window: 4, stride: 3, batchSize: 1000 });
  assertClose(flat(all.attributions), flat(big.attributions), 0, 0, 'batch sizes');
  for (let e = 0; e < 3; e++) {
    const one = tf.slice(x, e, 1);
    const single = await occlusion(model, one, { window: 4, stride: 3 });
    assertClose(
      flat(single.attributions),
      flat(all.attributions).slice(e * 24, (e + 1) * 24),
      1e-6,
      1e-6,
      `example ${e}`,
    );
    disposeAttribution(single);
    one.dispose();
  }
  disposeAttribution(all);
  disposeAttribution(big);
  x.dispose();
  model.dispose();
});

test('occlusion reports progress, leaks nothing, and names bad window, stride and baseline arguments', async () => {
  const model = conv1dNet(40);
  const x = randomBatch([2, 12, 2], 41);
  const seen: number[][] = [];
  await withoutLeaks(
    () => occlusion(model, x, { window: 4, stride: 4, batchSize: 2, onProgress: (d, t) => seen.push([d, t]) }),
    disposeAttribution,
  );
  // Rows done after each task (the pool's task plan: at most batchSize rows per task), rising to the total.
  assert.ok(seen.length >= 3, 'one report per task of at most 2 rows');
  seen.forEach(([done, total], i) => {
    assert.equal(total, 6);
    assert.ok(done > (seen[i - 1]?.[0] ?? 0) && done - (seen[i - 1]?.[0] ?? 0) <= 2, `report ${i}: ${done}`);
  });
  assert.deepEqual(seen[seen.length - 1], [6, 6]);
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { window: 0 }),
    /^Argument 'window' passed to 'occlusion' must be a positive integer or 1 positive integers \(one per non-channel axis\) but got 0\.$/,
  );
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { window: 13 }),
    /Argument 'window' passed to 'occlusion' must be at most the input's size \[12\] along each non-channel axis but got 13\./,
  );
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { stride: [1, 2] }),
    /Argument 'stride' passed to 'occlusion' must be a positive integer or 1 positive integers/,
  );
  await rejectsWithoutLeaks(
    () => occlusion(model, x, { baseline: [[1, 2]] }),
    /Argument 'baseline' passed to 'occlusion' must be/,
  );
  x.dispose();
  model.dispose();
});
