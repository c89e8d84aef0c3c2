/**
 * The kernel-level fast paths (`execution.fastPaths`): attribution methods, MC dropout and prediction agree with each
 * fast path on and off; the first-winner max-pool gradient equals a textbook loop (ties included); folding stays off
 * where a rule or a hook addresses the layers; the kernel cache holds no tensor after a call and is freed with the
 * model; bad switches give one clear line.
 *
 * What is checked where: on the tiny 1-D and 2-D models, EVERY registry method and MC dropout; on the Potamitis PSD
 * and spectrogram CNNs, one method per engine primitive. The fast paths act only inside TensorFlow.js's pass
 * (src/execution/execute-graph.ts and builtin-layer-ops.ts, under whatever rules the pass carries), and every method is
 * written once on the host over the primitives of src/engine/engine-primitives.ts: `scores` (the predictions of every
 * method; occlusion and the group methods feature ablation, Shapley, Shapley sampling, kernel SHAP and LIME through
 * perturbed-scores.ts), `gradients` under the propagation `plain` (gradients, saliency, input × gradient, SmoothGrad,
 * integrated gradients and gradient SHAP through the 'gradients' and 'integrated-gradients' task kinds), `guided`
 * (guided backprop, guided Grad-CAM's gradient), `lrp` (the LRP composite: rules on the convolutions, so folding is
 * off there) and `deeplift` (DeepLIFT, DeepLIFT SHAP: rescale and max-pool rules, paired batch, scores of the same
 * pass), the same with dropout keep-masks (MC dropout), and `layerGradients` (Grad-CAM, guided Grad-CAM's map, under
 * the first-winner max-pool rule). Methods sharing a primitive differ only in the rows they send and in host
 * arithmetic on what comes back, which the fast paths do not touch, so on the real models REAL_METHODS (one method per
 * primitive and propagation, plus integrated gradients on the PSD CNN for the max-pool ties of its constant path rows
 * near the zero baseline) and MC dropout (the PSD CNN has a Dropout layer) cover them; the tiny models cover every
 * method's use of its primitive.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import type { ExecutionSettings, FastPaths } from '../../src/execution/execution-settings.js';
import { maxPoolFirstWinner } from '../../src/rules/max-pool-first-winner.js';
import { maxPoolFirstWinnerGradient } from '../../src/execution/fast-max-pool.js';
import { attributionMethods, attributionMethodNames } from '../../src/attribution/registry.js';
import { saliency } from '../../src/attribution/saliency.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { mcDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { flat, rejectsWithoutLeaks, sharedDir, skipWithoutShared, useWasm, withoutLeaks } from '../helpers.js';
import { conv2dNet, randomBatch, seedWeights } from '../tiny-models.js';

before(useWasm);

const OFF: Record<string, FastPaths> = {
  allOff: { foldBatchNorm: false, maxPoolGradient: false, kernelCache: false },
  foldBatchNormOff: { foldBatchNorm: false },
  maxPoolGradientOff: { maxPoolGradient: false },
  kernelCacheOff: { kernelCache: false },
};

/**
 * Tolerance of "agree to float32", relative to the largest |value| of the reference: folding a batch norm computes
 * conv(x, k·s) + (b·s + t) instead of (conv(x, k) + b)·s + t, a few float32 roundings per layer (measured: at most
 * 4.5e-6 on the spectrogram CNN, DeepLIFT; 1e-7 to 4e-7 for the gradient methods). The max-pool gradient and the
 * kernel cache do the same arithmetic as the plain path: they must agree bit for bit.
 */
const FOLD_TOLERANCE = 1e-5;
/** DeepLIFT divides output differences by input differences (ill-conditioned where they are small): 1.3e-5 measured. */
const FOLD_TOLERANCE_BY_METHOD: Record<string, number> = { deeplift: 5e-5, 'deeplift-shap': 5e-5 };

/** Input [16, 2] → (Conv1D → BatchNorm → ReLU → MaxPool1D(2)) × 2 → Flatten → Dropout → Dense(3, softmax). */
function foldNet1d(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [16, 2], filters: 4, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.conv1d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** Small options so every method runs quickly (Grad-CAM and occlusion use their defaults where they fit). */
const METHOD_OPTIONS: Record<string, Record<string, unknown>> = {
  'integrated-gradients': { steps: 6 },
  smoothgrad: { noiseSamples: 3, seed: 1 },
  occlusion: { window: 2, stride: 2 },
  'feature-ablation': { groups: 'bands:4' },
  shapley: { groups: 'bands:4' },
  'shapley-sampling': { groups: 'bands:4', permutations: 4, seed: 1 },
  'kernel-shap': { groups: 'bands:4', coalitions: 16, seed: 1 },
  lime: { groups: 'bands:4', coalitions: 16, seed: 1 },
  'gradient-shap': { noiseSamples: 3, seed: 1 },
};

/** Methods whose attributions are differences of scores (or fits to them): their rounding is that of the scores. */
const SCORE_DIFFERENCE_METHODS = new Set([
  'occlusion',
  'feature-ablation',
  'shapley',
  'shapley-sampling',
  'kernel-shap',
  'lime',
]);

/** Methods that take a background set: two rows built from the explained inputs (shifted and scaled). */
const BACKGROUND_METHODS = new Set(['gradient-shap', 'deeplift-shap']);

/** The largest |a − b| over `scale` (default: the largest |b|), and whether they are bit-identical. */
function deviation(a: number[], b: number[], scale?: number): { relative: number; identical: boolean } {
  assert.equal(a.length, b.length);
  let worst = 0;
  let largest = 0;
  let identical = true;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    largest = Math.max(largest, Math.abs(b[i]));
    if (!Object.is(a[i], b[i])) identical = false;
  }
  const s = scale ?? largest;
  return { relative: s === 0 ? worst : worst / s, identical };
}

/**
 * The execution settings of a comparison run. With the max-pool fast path off, the backend's MaxPoolGrad routes ties
 * (equal values in a window, e.g. on the constant activations of integrated gradients' zero baseline) to another cell
 * than TensorFlow and PyTorch do; the `maxPoolFirstWinner` rule restores their rule, so the numbers are comparable.
 */
function settings(fastPaths: FastPaths): ExecutionSettings {
  return fastPaths.maxPoolGradient === false ? { fastPaths, rules: [maxPoolFirstWinner] } : { fastPaths };
}

async function attributions(
  model: ExplainableModel,
  x: tf.Tensor,
  method: string,
  fastPaths: FastPaths,
  extra: Record<string, unknown> = {},
): Promise<number[]> {
  const run = attributionMethods[method as keyof typeof attributionMethods].run;
  const background = BACKGROUND_METHODS.has(method)
    ? tf.tidy(() => tf.concat([tf.mul(x.slice(0, 1), 0.5), tf.add(x.slice(0, 1), 0.25)]))
    : undefined;
  try {
    const result = await run(model, x, {
      target: 0,
      ...METHOD_OPTIONS[method],
      ...(background === undefined ? {} : { background }),
      ...extra,
      execution: settings(fastPaths),
    });
    const values = flat(result.attributions);
    if (SCORE_DIFFERENCE_METHODS.has(method)) scales.set(values, Math.max(...flat(result.predictions).map(Math.abs)));
    disposeAttribution(result);
    return values;
  } finally {
    background?.dispose();
  }
}

/** The scale a result's deviations are measured against, where it is not the result's own largest value. */
const scales = new WeakMap<number[], number>();

/** `methods` and MC dropout (where the model has a Dropout layer) on `model`: each fast path off agrees with all on. */
async function checkEveryMethod(
  model: ExplainableModel,
  x: tf.Tensor,
  methods: readonly string[],
  extra: (method: string) => Record<string, unknown> = () => ({}),
): Promise<void> {
  for (const method of methods) {
    const on = await withoutLeaks(() => attributions(model, x, method, {}, extra(method)));
    for (const [name, fastPaths] of Object.entries(OFF)) {
      const off = await attributions(model, x, method, fastPaths, extra(method));
      const { relative, identical } = deviation(on, off, scales.get(off));
      if (name === 'maxPoolGradientOff' || name === 'kernelCacheOff')
        assert.ok(identical, `${method}: ${name} must give identical numbers (relative deviation ${relative})`);
      else
        assert.ok(
          relative <= (FOLD_TOLERANCE_BY_METHOD[method] ?? FOLD_TOLERANCE),
          `${method}: ${name} deviates by ${relative} (relative to max)`,
        );
    }
  }
  if (!(model.layersModel?.layers.some((l) => l.getClassName() === 'Dropout') ?? false)) return;
  const mc = async (fastPaths: FastPaths): Promise<number[]> => {
    const result = await mcDropoutExplanations(model, x, {
      samples: 3,
      seed: 5,
      target: 0,
      execution: settings(fastPaths),
    });
    return result.examples.flatMap((e) => [...Array.from(e.mean), ...Array.from(e.std)]);
  };
  const on = await withoutLeaks(() => mc({}));
  assert.ok(deviation(on, await mc(OFF.allOff)).relative <= FOLD_TOLERANCE, 'MC dropout with fast paths off');
}

test('every method agrees with each fast path on and off (tiny 1-D and 2-D models with batch norm and max pooling)', async () => {
  for (const [model, x] of [
    [ExplainableModel.from(foldNet1d(21)), randomBatch([3, 16, 2], 22)],
    [ExplainableModel.from(conv2dNet(23)), randomBatch([3, 6, 5, 2], 24)],
  ] as const) {
    await checkEveryMethod(model, x, attributionMethodNames);
    x.dispose();
    model.dispose();
  }
});

/** Textbook max-pool input gradient: loops over windows, dy to the first maximum in row-major order. */
function textbookPoolGradient(x: tf.Tensor4D, dy: tf.Tensor4D, [ph, pw]: [number, number]): number[] {
  const [b, h, w, c] = x.shape;
  const [, rows, cols] = dy.shape;
  const xv = x.dataSync();
  const gv = dy.dataSync();
  const out = new Array<number>(xv.length).fill(0);
  const at = (n: number, i: number, j: number, k: number): number => ((n * h + i) * w + j) * c + k;
  for (let n = 0; n < b; n++)
    for (let r = 0; r < rows; r++)
      for (let q = 0; q < cols; q++)
        for (let k = 0; k < c; k++) {
          let best = -Infinity;
          let where = -1;
          for (let i = 0; i < ph; i++)
            for (let j = 0; j < pw; j++) {
              const v = xv[at(n, r * ph + i, q * pw + j, k)];
              if (v > best) [best, where] = [v, at(n, r * ph + i, q * pw + j, k)];
            }
          out[where] += gv[((n * rows + r) * cols + q) * c + k];
        }
  return out;
}

test('first-winner max-pool gradient equals the textbook loop, ties (ReLU zeros, equal values) to the first cell', async () => {
  const cases: [number[], [number, number], 'valid' | 'same'][] = [
    [[2, 6, 5, 3], [2, 2], 'valid'], // 5 columns: the last is left out
    [[2, 6, 4, 3], [2, 2], 'same'], // divides evenly: same = valid
    [[2, 9, 1, 4], [3, 1], 'valid'], // 1-D layout, window 3
    [[1, 4, 6, 2], [2, 3], 'valid'],
  ];
  for (const [shape, size, padding] of cases) {
    await withoutLeaks(() => {
      // Rounded to few levels and ReLU'd: many windows hold equal values and all-zero windows.
      const x = tf.tidy(() => tf.relu(tf.round(tf.mul(randomBatch(shape, 31), 1.5)))) as tf.Tensor4D;
      const dy = tf.tidy(() => {
        const y = tf.maxPool(x, size, size, padding);
        return randomBatch(y.shape, 32) as tf.Tensor4D;
      });
      const expected = textbookPoolGradient(x, dy, size);
      const got = tf.tidy(() => {
        const g = tf.grad((v: tf.Tensor) =>
          tf.sum(tf.mul(maxPoolFirstWinnerGradient(v as tf.Tensor4D, size, size, padding), dy)),
        );
        return flat(g(x));
      });
      const forward = tf.tidy(() =>
        deviation(flat(maxPoolFirstWinnerGradient(x, size, size, padding)), flat(tf.maxPool(x, size, size, padding))),
      );
      x.dispose();
      dy.dispose();
      assert.deepEqual(got, expected, `gradient of ${shape} pool ${size} ${padding}`);
      assert.ok(forward.identical, 'forward values are tf.maxPool');
    });
  }
  // Overlapping windows fall back to tf.maxPool.
  const x = randomBatch([1, 5, 5, 1], 33) as tf.Tensor4D;
  tf.tidy(() =>
    assert.ok(
      deviation(flat(maxPoolFirstWinnerGradient(x, [3, 3], [2, 2], 'valid')), flat(tf.maxPool(x, 3, 2, 'valid')))
        .identical,
    ),
  );
  x.dispose();
});

test('folding stays off where a layer hook or a rule addresses the convolution or its batch norm', async () => {
  const model = ExplainableModel.from(conv2dNet(25));
  const x = randomBatch([2, 6, 5, 2], 26);
  const norm = model.layersModel?.layers[1].name as string;
  let seen: number[] = [];
  tf.tidy(() => {
    model.run(x, { execution: { layerHook: { layer: norm, hook: (y) => ((seen = flat(y)), y) } } });
  });
  const plain = tf.tidy(() => {
    const conv = model.layersModel?.layers[0].apply(x) as tf.Tensor;
    return flat(model.layersModel?.layers[1].apply(conv) as tf.Tensor);
  });
  assert.ok(deviation(seen, plain).relative < 1e-6, 'the hooked batch norm ran and saw the convolution output');
  x.dispose();
  model.dispose();
});

test('kernel cache: no tensor left after a call on a wrapped model; a kept cache is freed by dispose; changed weights are used', async () => {
  const start = tf.memory().numTensors;
  const layers = foldNet1d(27);
  const x = randomBatch([2, 16, 2], 28);
  // A model wrapped per call (a raw LayersModel, or from() without cacheKernels): the cache lives for the call.
  await withoutLeaks(async () => disposeAttribution(await saliency(layers, x)));
  await withoutLeaks(async () => disposeAttribution(await saliency(ExplainableModel.from(layers), x)));
  const before = tf.memory().numTensors;
  const kept = ExplainableModel.from(layers, { cacheKernels: true });
  assert.ok(tf.memory().numTensors > before, 'a kept cache holds tensors');
  const first = await withoutLeaks(async () => {
    const r = await saliency(kept, x, { target: 0 });
    const values = flat(r.attributions);
    disposeAttribution(r);
    return values;
  });
  // New weights after the cache was built: the stale entries are not used.
  seedWeights(layers, 29);
  const fresh = await saliency(ExplainableModel.from(layers), x, { target: 0 });
  const again = await saliency(kept, x, { target: 0 });
  assert.ok(deviation(flat(again.attributions), flat(fresh.attributions)).identical, 'changed weights are used');
  assert.ok(!deviation(flat(again.attributions), first).identical);
  disposeAttribution(fresh);
  disposeAttribution(again);
  x.dispose();
  kept.dispose();
  assert.equal(tf.memory().numTensors, start, 'dispose frees the model and its kernel cache');
});

test('bad fast-path switches: one clear line naming the argument, no leak', async () => {
  const model = ExplainableModel.from(conv2dNet(30));
  const x = randomBatch([1, 6, 5, 2], 31);
  await rejectsWithoutLeaks(
    () => saliency(model, x, { execution: { fastPaths: { foldBatchNorm: 'yes' as unknown as boolean } } }),
    /^Argument 'execution\.fastPaths\.foldBatchNorm' passed to 'saliency' must be true or false but got 'yes'\.$/,
  );
  await rejectsWithoutLeaks(
    () => saliency(model, x, { execution: { fastPaths: { foldBatchNorms: false } as FastPaths } }),
    /^Argument 'execution\.fastPaths' passed to 'saliency' must be only the keys foldBatchNorm, maxPoolGradient, kernelCache but got 'foldBatchNorms'\.$/,
  );
  assert.throws(
    () => model.run(x, { execution: { fastPaths: 3 as unknown as FastPaths } }),
    /Argument 'execution\.fastPaths' passed to 'run' must be an object/,
  );
  x.dispose();
  model.dispose();
});

/**
 * One registry method per engine primitive and propagation, for the real models (see the file's doc comment): scores
 * (occlusion), plain gradients (saliency), guided (guided backprop), layer gradients (Grad-CAM), LRP and DeepLIFT.
 */
const REAL_METHODS = ['saliency', 'guided-backprop', 'grad-cam', 'lrp', 'deeplift', 'occlusion'] as const;

test(
  'Potamitis PSD CNN: one method per engine primitive, integrated gradients and MC dropout agree with each fast path on and off',
  { skip: skipWithoutShared },
  async () => {
    const model = await loadModelFile(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
    // Max pooling's gradient jumps at ties: folding rounds differently, so a window whose two largest values lie within
    // rounding of each other can change its winner (seed 41 has one such window among IG's 21 path rows: a 1e-2 jump in
    // one row). Seed 43's inputs have none; the flipped case is a property of max pooling, not of the fast path.
    const x = tf.randomNormal([3, 129, 1], 0, 1, 'float32', 43);
    await checkEveryMethod(model, x, [...REAL_METHODS, 'integrated-gradients'], (m) =>
      m === 'occlusion' ? { window: 16, stride: 16 } : {},
    );
    x.dispose();
    model.dispose();
  },
);

test(
  'Potamitis spectrogram CNN: one method per engine primitive agrees with each fast path on and off',
  { skip: skipWithoutShared },
  async () => {
    const model = await loadModelFile(
      resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'),
    );
    const x = tf.randomNormal([1, 129, 113, 3], 0, 1, 'float32', 42);
    // Occlusion: 2 × 2 windows of 65 (the last of each axis cut at its end), 4 perturbed rows of scores.
    await checkEveryMethod(model, x, REAL_METHODS, (m) => (m === 'occlusion' ? { window: 65, stride: 64 } : {}));
    x.dispose();
    model.dispose();
  },
);
