/**
 * The cascading randomisation sanity check: statistics against hand values, the model untouched, curves on a real
 * model; and `wingbeats-xai sanity`, its command-line contract (JSON equals the library's numbers; plots with --out;
 * errors).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import path, { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sanityCheck } from '../../src/evaluation/sanity-check.js';
import { averageRanks, spearman } from '../../src/evaluation/rank-correlation.js';
import { ssim } from '../../src/evaluation/ssim.js';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import {
  assertClose,
  flat,
  rejectsWithoutLeaks,
  sharedDir,
  skipWithoutShared,
  useWasm,
  withoutLeaks,
} from '../helpers.js';
import { conv1dNet, conv2dNet, randomBatch } from '../tiny-models.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { runCli, writeConv1dFiles } from '../cli/cli-helpers.js';

before(useWasm);

test('Spearman: average ranks for ties, hand values, invariance to monotone maps', () => {
  assert.deepEqual(Array.from(averageRanks([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
  // Ranks (1,2,3,4) vs (1,3,2,4): d² = 0,1,1,0 → 1 − 6·2/(4·15) = 0.8 (no ties: the textbook formula applies).
  assert.equal(spearman([1, 2, 3, 4], [1, 3, 2, 4]).toFixed(12), (0.8).toFixed(12));
  assert.equal(spearman([1, 2, 3, 4], [40, 30, 20, 10]), -1);
  assert.equal(spearman([0.1, 0.5, 0.2], [Math.exp(0.1), Math.exp(0.5), Math.exp(0.2)]), 1);
  assert.equal(spearman([1, 1, 1], [1, 2, 3]), 0);
  assert.throws(
    () => spearman([1, 2], [1, 2, 3]),
    /Argument 'b' passed to 'spearman' must be as long as a \(2, at least 2\) but got length 3\./,
  );
});

test('SSIM: 1 for identical maps, symmetric, hand value for a 3 × 3 window on constant maps', () => {
  const a = Array.from({ length: 12 * 13 }, (_, i) => Math.sin(i) * 0.5 + 0.5);
  const b = a.map((v, i) => (i % 7 === 0 ? 1 - v : v));
  assert.equal(ssim(a, a, 12, 13), 1);
  assertClose([ssim(a, b, 12, 13)], [ssim(b, a, 12, 13)], 1e-15, 0, 'symmetry');
  assert.ok(ssim(a, b, 12, 13) < 1);
  // Constant maps 0.2 and 0.6 (3 × 3, window cut to 3): variances 0, so SSIM = (2·0.2·0.6 + C1)/(0.04 + 0.36 + C1).
  const c1 = 1e-4;
  assertClose(
    [ssim(new Array(9).fill(0.2), new Array(9).fill(0.6), 3, 3)],
    [(0.24 + c1) / (0.4 + c1)],
    1e-12,
    0,
    'constant maps',
  );
});

test('sanityCheck on a tiny 1-D model: step 0 is 1, one step per weighted layer, leak-free, the model unchanged', async () => {
  const model = conv1dNet(51);
  const before = model.getWeights().map((w) => Array.from(w.dataSync()));
  const x = randomBatch([2, 12, 2], 52);
  const result = await withoutLeaks(() =>
    sanityCheck(model, x, { seed: 3, methods: ['gradients', 'saliency'], target: [0, 1] }),
  );
  assert.deepEqual(result.layers, [model.layers[4].name, model.layers[0].name]);
  assert.deepEqual(
    result.results.map((r) => r.target),
    [0, 1],
  );
  for (const r of result.results) {
    assert.deepEqual(
      r.curves.map((c) => c.method),
      ['gradients', 'saliency'],
    );
    for (const c of r.curves) {
      assert.equal(c.spearman.length, 3);
      assert.equal(c.spearman[0], 1);
      assert.equal(c.ssim, undefined);
    }
  }
  model.getWeights().forEach((w, i) => assert.deepEqual(Array.from(w.dataSync()), before[i], `weight ${i} changed`));
  // Same seed → same numbers.
  const again = await sanityCheck(model, x, { seed: 3, methods: ['gradients', 'saliency'], target: [0, 1] });
  assert.deepEqual(again, result);
  x.dispose();
  model.dispose();
});

test('sanityCheck on a 2-D model reports SSIM; bad methods, seeds and function models are clear errors', async () => {
  const model = conv2dNet(53);
  const x = randomBatch([1, 6, 5, 2], 54);
  const result = await sanityCheck(model, x, { methods: ['gradients'] });
  const curve = result.results[0].curves[0];
  assert.equal(curve.ssim?.length, result.layers.length + 1);
  assert.equal(curve.ssim?.[0], 1);
  await rejectsWithoutLeaks(
    () => sanityCheck(model, x, { methods: ['nope' as 'gradients'] }),
    /^Argument 'methods' passed to 'sanityCheck' must be a non-empty list of 'gradients'/,
  );
  await rejectsWithoutLeaks(
    () => sanityCheck(model, x, { seed: NaN }),
    /Argument 'seed' passed to 'sanityCheck' must be a finite number but got NaN\./,
  );
  await rejectsWithoutLeaks(
    () =>
      sanityCheck(
        ExplainableModel.from((t: tf.Tensor) => tf.reshape(t, [1, -1]), { inputShape: [6, 5, 2] }),
        x,
      ),
    /'sanityCheck' needs a tf\.LayersModel/,
  );
  x.dispose();
  model.dispose();
});

test(
  'sanityCheck on the Potamitis PSD model: gradient explanations decorrelate as layers are randomised; weights unchanged',
  { skip: skipWithoutShared },
  async () => {
    const model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
    const inputs = JSON.parse(
      (await import('node:fs')).readFileSync(
        resolve(sharedDir, 'reference/models/Potatamis_Sequential__PSD__Mosquito_CNN_PSD.json'),
        'utf8',
      ),
    ).cases.map((c: { input: number[] }) => c.input.map((v) => [v]));
    const weightsBefore = flat(
      tf.concat((model.layersModel as tf.LayersModel).getWeights().map((w) => tf.reshape(w, [-1]))),
    );
    const result = await sanityCheck(model, inputs.slice(0, 2), {
      seed: 1,
      methods: ['gradients', 'guided-backprop', 'integrated-gradients'],
      methodOptions: { steps: 16 },
    });
    assert.equal(result.layers[0], 'dense');
    assert.equal(result.layers.at(-1), 'batch_norm_0');
    for (const r of result.results) {
      for (const c of r.curves) {
        const last = c.spearman.at(-1) as number;
        // Fully randomised: far from the trained explanation (Adebayo et al.: correlations fall towards 0).
        assert.ok(last < 0.6, `${c.method}: Spearman after full randomisation ${last.toFixed(3)} should have fallen`);
        const mean = c.spearman.slice(1).reduce((a, b) => a + b, 0) / (c.spearman.length - 1);
        assert.ok(mean < 0.9, `${c.method}: mean Spearman over the cascade ${mean.toFixed(3)}`);
      }
    }
    const weightsAfter = flat(
      tf.concat((model.layersModel as tf.LayersModel).getWeights().map((w) => tf.reshape(w, [-1]))),
    );
    assert.deepEqual(weightsAfter, weightsBefore, 'the model given to sanityCheck must not change');
    model.dispose();
  },
);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-sanity-'));

test('sanity --json: the numbers of sanityCheck; --out writes sanity.json and a plot per input; bad options are one line', async () => {
  const { modelFile, inputFile, inputs } = await writeConv1dFiles(work, { model: 61, inputs: 62 });
  const x = tf.tensor3d(inputs);
  const { code, stdout, stderr } = await runCli([
    'sanity',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--methods',
    'gradients,integrated-gradients',
    '--steps',
    '8',
    '--seed',
    '5',
    '--json',
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.equal(document.command, 'sanity');
  assert.equal(document.seed, 5);
  const model = await loadModelFile(modelFile);
  const api = await sanityCheck(model, x, {
    methods: ['gradients', 'integrated-gradients'],
    seed: 5,
    methodOptions: { steps: 8 },
  });
  model.dispose();
  assert.deepEqual(document.layers, api.layers);
  assert.deepEqual(
    document.results.map(({ input: _input, ...rest }: { input: string }) => rest),
    JSON.parse(JSON.stringify(api.results)),
  );
  const out = path.join(work, 'out');
  const written = await runCli(['sanity', '--model', modelFile, '--input', inputFile, '--out', out, '--quiet']);
  assert.equal(written.code, 0, written.stderr);
  assert.match(
    written.stdout,
    /^inputs\.json#0: target class \d; Spearman after full randomisation: gradients -?[\d.]+, guided-backprop -?[\d.]+, integrated-gradients -?[\d.]+\n/,
  );
  for (const name of ['sanity.json', 'sanity-0.svg', 'sanity-0.png', 'sanity-1.png'])
    assert.ok(existsSync(path.join(out, name)), name);
  const bad = await runCli(['sanity', '--model', modelFile, '--input', inputFile, '--methods', 'nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Option '--methods' must be a comma-separated list of .* but got 'nope'\./);
  x.dispose();
});
