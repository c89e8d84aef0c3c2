import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  pixelStatistics,
  pixelStatisticsFromJSON,
  pixelStatisticsToJSON,
} from '../../src/evaluation/pixel-statistics.js';
import { loadPixelStatistics, savePixelStatistics } from '../../src/node/pixel-statistics-file.js';
import { createRng } from '../../src/util/rng.js';
import { assertClose, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';

before(useWasm);

/** 23 examples of shape [5, 2] with per-element offsets, so means and spreads differ by element. */
function dataset(): Float32Array[] {
  const rng = createRng(11);
  return Array.from({ length: 23 }, () =>
    Float32Array.from({ length: 10 }, (_, i) => 100 + i + (1 + i) * rng.normal()),
  );
}

/** Two-pass float64 mean and population std per element. */
function direct(examples: Float32Array[]): { mean: number[]; std: number[] } {
  const n = examples.length;
  const mean = Array.from({ length: examples[0].length }, (_, i) => examples.reduce((a, e) => a + e[i], 0) / n);
  const std = mean.map((m, i) => Math.sqrt(examples.reduce((a, e) => a + (e[i] - m) ** 2, 0) / n));
  return { mean, std };
}

test('pixelStatistics equals a two-pass computation, however the data set is split into batches', async () => {
  const examples = dataset();
  const expected = direct(examples);
  const asBatch = (list: Float32Array[]): tf.Tensor =>
    tf.tensor(
      list.flatMap((e) => Array.from(e)),
      [list.length, 5, 2],
    );
  const splits = [[23], [1, 22], [5, 5, 5, 5, 3]];
  for (const split of splits) {
    let offset = 0;
    const batches = split.map((size) => asBatch(examples.slice(offset, (offset += size))));
    const stats = await withoutLeaks(() => pixelStatistics(batches));
    batches.forEach((b) => b.dispose());
    assert.deepEqual(stats.shape, [5, 2]);
    assert.equal(stats.count, 23);
    assertClose(stats.mean, expected.mean, 1e-11, 0, `mean, split ${split}`);
    assertClose(stats.std, expected.std, 1e-11, 0, `std, split ${split}`);
  }
});

test('pixelStatistics streams async iterables of typed arrays and nested arrays', async () => {
  const examples = dataset();
  const expected = direct(examples);
  async function* flatExamples(): AsyncGenerator<Float32Array> {
    for (const e of examples) yield e;
  }
  const fromAsync = await pixelStatistics(flatExamples(), { shape: [5, 2] });
  assert.deepEqual(fromAsync.shape, [5, 2]);
  assertClose(fromAsync.mean, expected.mean, 1e-11);
  const nested = examples.map((e) => Array.from({ length: 5 }, (_, r) => [e[2 * r], e[2 * r + 1]]));
  const fromNestedBatch = await pixelStatistics([nested]);
  assert.deepEqual(fromNestedBatch.shape, [5, 2]);
  assertClose(fromNestedBatch.std, expected.std, 1e-11);
  const fromNestedExamples = await pixelStatistics(nested, { shape: [5, 2] });
  assert.equal(fromNestedExamples.count, 23);
  assertClose(fromNestedExamples.mean, expected.mean, 1e-11);
});

test('pixel statistics survive a JSON file round trip', async () => {
  const stats = await pixelStatistics(dataset(), { shape: [5, 2] });
  const dir = mkdtempSync(join(tmpdir(), 'wingbeats-stats-'));
  try {
    const path = join(dir, 'stats.json');
    await savePixelStatistics(path, stats);
    const back = await loadPixelStatistics(path);
    assert.deepEqual(back, stats);
    assert.deepEqual(pixelStatisticsFromJSON(JSON.parse(JSON.stringify(pixelStatisticsToJSON(stats)))), stats);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ shape: [5, 2], mean: [1, 2], std: [1, 2], count: 3 }));
    await assert.rejects(loadPixelStatistics(join(dir, 'bad.json')), /"mean" has 2 numbers but shape \[5,2\] needs 10/);
    await assert.rejects(
      loadPixelStatistics(join(dir, 'missing.json')),
      /Pixel statistics file '.*missing\.json' does not exist/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pixelStatistics rejects empty data sets, shape changes and NaN, leaking nothing', async () => {
  await rejectsWithoutLeaks(
    () => pixelStatistics([]),
    /Argument 'inputs' passed to 'pixelStatistics' must be a data set of at least one example but got no examples\./,
  );
  const a = tf.zeros([2, 3]);
  const b = tf.zeros([2, 4]);
  await rejectsWithoutLeaks(
    () => pixelStatistics([a, b]),
    /Argument 'inputs \(item 1\)' passed to 'pixelStatistics' must be examples of shape \[3\] but got shape \[2,4\]\./,
  );
  await rejectsWithoutLeaks(
    () => pixelStatistics([[1, Number.NaN, 3]]),
    /must be finite but got NaN in item 0, element 1/,
  );
  await rejectsWithoutLeaks(
    () => pixelStatistics(42 as never),
    /Argument 'inputs' passed to 'pixelStatistics' must be an iterable/,
  );
  a.dispose();
  b.dispose();
});
