/**
 * SmoothGrad's noisy copies as rows of one chunked gradient computation: equal (float32) to the textbook definition —
 * the mean over copies of the inner method called one copy at a time on the same noise — for every gradient-type inner
 * method and every kind, on 1-D and 2-D models; identical for any batch size; no leaks.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradients } from '../../src/attribution/gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { inputXGradient } from '../../src/attribution/input-x-gradient.js';
import { guidedBackprop } from '../../src/attribution/guided-backprop.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { SmoothGradKind, smoothGrad } from '../../src/attribution/smooth-grad.js';
import { disposeAttribution, type AttributionMethod, type AttributionResult } from '../../src/attribution/types.js';
import { createRng } from '../../src/util/rng.js';
import { assertClose, flat, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dNet, randomBatch } from '../tiny-models.js';

before(useWasm);

/** The textbook: copy s = x + N(0,1; seed_s)·stdev·(max − min) per example; the inner method on each copy alone. */
async function textbook(
  inner: AttributionMethod,
  model: tf.LayersModel,
  x: tf.Tensor,
  targets: number[],
  options: { noiseSamples: number; noiseStdev: number; seed: number; kind: SmoothGradKind },
): Promise<number[]> {
  const rng = createRng(options.seed);
  const values = Array.from(x.dataSync());
  const batch = x.shape[0];
  const size = values.length / batch;
  const sigma = Array.from({ length: batch }, (_, e) => {
    const row = values.slice(e * size, (e + 1) * size);
    return (Math.max(...row) - Math.min(...row)) * options.noiseStdev;
  });
  const sum = new Float64Array(values.length);
  const sumSq = new Float64Array(values.length);
  for (let s = 0; s < options.noiseSamples; s++) {
    const noise = tf.randomNormal(x.shape, 0, 1, 'float32', rng.int32());
    const noiseValues = noise.dataSync();
    noise.dispose();
    rng.int32(); // the inner method's seed
    const noisy = tf.tensor(
      values.map((v, i) => v + noiseValues[i] * sigma[Math.floor(i / size)]),
      x.shape,
    );
    const result = await inner(model, noisy, { target: targets });
    const a = result.attributions.dataSync();
    a.forEach((v, i) => {
      sum[i] += v;
      sumSq[i] += v * v;
    });
    disposeAttribution(result);
    noisy.dispose();
  }
  const n = options.noiseSamples;
  return Array.from(sum, (v, i) => {
    const mean = v / n;
    if (options.kind === 'smoothgrad') return mean;
    const meanSq = sumSq[i] / n;
    return options.kind === 'smoothgrad-sq' ? meanSq : Math.max(0, meanSq - mean * mean);
  });
}

/** The method name and attributions of a result, which is then freed. */
async function readOnce(pending: Promise<AttributionResult>): Promise<{ method: string; values: number[] }> {
  const result = await pending;
  const values = flat(result.attributions);
  disposeAttribution(result);
  return { method: result.method, values };
}

const INNER: [string, AttributionMethod][] = [
  ['gradients', gradients],
  ['saliency', saliency],
  ['input-x-gradient', inputXGradient],
  ['guided-backprop', guidedBackprop],
];

test('SmoothGrad rows equal the textbook (one inner call per copy) for every gradient method and kind, 1-D and 2-D', async () => {
  for (const [label, model, x, targets] of [
    ['1-D', conv1dNet(71), randomBatch([3, 12, 2], 72), [0, 2, 1]],
    ['2-D', conv2dNet(73), randomBatch([2, 6, 5, 2], 74), [1, 0]],
  ] as const) {
    for (const [name, inner] of INNER) {
      for (const kind of ['smoothgrad', 'smoothgrad-sq', 'vargrad'] as const) {
        const options = { noiseSamples: 5, noiseStdev: 0.2, seed: 9, kind };
        const expected = await textbook(inner, model, x, [...targets], options);
        const result = await withoutLeaks(() =>
          readOnce(smoothGrad(inner, options)(model, x, { target: [...targets], batchSize: 4 })),
        );
        assert.equal(result.method, `${name}+${kind}`);
        const scale = Math.max(...expected.map(Math.abs));
        assertClose(result.values, expected, 1e-6 * scale, 1e-5, `${label} ${name} ${kind}`);
      }
    }
    x.dispose();
    model.dispose();
  }
});

test('SmoothGrad rows: batch size 1, 5 (copies split across chunks) and 64 give identical numbers', async () => {
  const model = conv1dNet(75);
  const x = randomBatch([3, 12, 2], 76);
  for (const inner of [saliency, guidedBackprop, inputXGradient, integratedGradients]) {
    const runs: number[][] = [];
    for (const batchSize of [1, 5, 64]) {
      const result = await smoothGrad(inner, { noiseSamples: 4, seed: 2 })(model, x, { batchSize, steps: 4 } as object);
      runs.push(flat(result.attributions));
      disposeAttribution(result);
    }
    if (inner === integratedGradients) {
      // The nested path: integrated gradients itself differs by about one float32 ulp between batch sizes.
      assertClose(runs[1], runs[0], 1e-6, 1e-6, 'integrated gradients, batch 5');
      assertClose(runs[2], runs[0], 1e-6, 1e-6, 'integrated gradients, batch 64');
      continue;
    }
    assert.deepEqual(runs[1], runs[0]);
    assert.deepEqual(runs[2], runs[0]);
  }
  x.dispose();
  model.dispose();
});

test('SmoothGrad of a non-gradient method keeps the nested path and still equals the textbook', async () => {
  const model = conv1dNet(77);
  const x = randomBatch([2, 12, 2], 78);
  const inner: AttributionMethod = (m, xs, o) => integratedGradients(m, xs, { ...o, steps: 4 });
  const options = { noiseSamples: 3, noiseStdev: 0.1, seed: 5, kind: 'smoothgrad' as const };
  const expected = await textbook(inner, model, x, [0, 1], options);
  const result = await withoutLeaks(() => readOnce(smoothGrad(inner, options)(model, x, { target: [0, 1] })));
  assertClose(result.values, expected, 1e-6, 1e-5, 'nested');
  x.dispose();
  model.dispose();
});

test('SmoothGrad rows: progress counts copies; errors inside the model leak nothing', async () => {
  const model = conv1dNet(79);
  const x = randomBatch([3, 12, 2], 80);
  const seen: number[] = [];
  const result = await smoothGrad(saliency, { noiseSamples: 4, seed: 1 })(model, x, {
    batchSize: 5,
    onProgress: (done, total) => {
      assert.equal(total, 4);
      seen.push(done);
    },
  });
  disposeAttribution(result);
  assert.deepEqual(seen, [1, 2, 3, 4]);
  await rejectsWithoutLeaks(
    () => smoothGrad(saliency, { noiseSamples: 2 })(model, x, { target: 7 }),
    /Argument 'target' passed to 'smoothGrad'/,
  );
  const failing = {
    rules: [
      {
        name: 'failing',
        appliesTo: { activations: ['relu'] },
        wrap: () => () => {
          throw new Error('boom inside the pass');
        },
      },
    ],
  };
  await rejectsWithoutLeaks(
    () => smoothGrad(saliency, { noiseSamples: 3 })(model, x, { execution: failing }),
    /boom inside the pass/,
  );
  x.dispose();
  model.dispose();
});
