/**
 * Monte-Carlo dropout explanations: fixed-mask dropout settings, samples that differ and reproduce from the seed, running
 * mean/std equal to the kept samples', batch norm left in inference mode, signed maps, errors and the engine named.
 * Monte-Carlo samples as rows: row seeds give each row exactly the thinned network of its sample; the batched samples
 * equal the textbook (one method call per sample under fixed masks) for every gradient-type method and map kind, on
 * 1-D and 2-D models; identical for any batch size; no leaks; a wrong number of row seeds is one clear error.
 * `wingbeats-xai uncertainty`: the command-line contract of DESIGN.md, against the library API.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { mcDropoutExplanations, type McDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';
import { quantileMaps } from '../../src/uncertainty/quantile-maps.js';
import { assertClose, rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, denseNet, randomBatch, seedWeights, conv2dDropoutNet } from '../tiny-models.js';
import { attributionMethods } from '../../src/attribution/registry.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { createRng } from '../../src/util/rng.js';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { runCli, saveModelJson, writeConv1dFiles } from '../cli/cli-helpers.js';

before(useWasm);

/** Input [12, 2] → BatchNorm → Conv1D → Flatten → Dropout(rate) → Dense(3, softmax), moving statistics far from 0/1. */
function bnDropoutNet(rate: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.batchNormalization({ inputShape: [12, 2] }),
      tf.layers.conv1d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, 8);
  return model;
}

test('fixed-mask dropout settings: one thinned network for every call, row and chunking', () => {
  const model = ExplainableModel.from(conv1dNet());
  const x = randomBatch([1, 12, 2], 1);
  const tiled = tf.tile(x, [6, 1, 1]);
  const execution = { dropout: { seed: 3, fixedMasks: true } };
  const rows = tf.tidy(() => model.run(tiled, { execution }).arraySync());
  const again = tf.tidy(
    () =>
      tf
        .concat([model.run(tf.slice(tiled, 0, 2), { execution }), model.run(tf.slice(tiled, 2, 4), { execution })])
        .arraySync() as number[][],
  );
  rows.forEach((row) => assert.deepEqual(row, rows[0], 'all rows share the masks'));
  assert.deepEqual(again, rows, 'another chunking, the same network');
  const clean = tf.tidy(() => model.run(x).arraySync());
  assert.notDeepEqual(rows[0], clean[0], 'dropout is on');
  const varied = tf.tidy(() => model.run(tiled, { execution: { dropout: { seed: 3 } } }).arraySync());
  assert.ok(
    varied.some((row) => row.some((v, j) => v !== varied[0][j])),
    'without fixedMasks every row draws its own masks',
  );
  assert.deepEqual(
    tf.tidy(() => model.run(x).arraySync()),
    clean,
    'nothing stays switched on',
  );
  x.dispose();
  tiled.dispose();
  model.layersModel?.dispose();
});

test('MC-dropout saliency: samples differ, the seed reproduces them, running mean/std equal the kept samples’', async () => {
  const model = conv1dNet();
  const x = randomBatch([2, 12, 2], 2);
  const seen: number[] = [];
  const run = (seed: number) =>
    mcDropoutExplanations(model, x, {
      method: 'saliency',
      samples: 12,
      seed,
      keepSamples: true,
      onSample: (s) => void seen.push(s.index),
    });
  const a = await withoutLeaks(() => run(1));
  assert.deepEqual(
    seen,
    Array.from({ length: 12 }, (_, i) => i),
  );
  const b = await run(1);
  const c = await run(2);
  assert.deepEqual(a, b, 'same seed, identical result');
  assert.notDeepEqual(a.examples[0].samples, c.examples[0].samples, 'another seed, other samples');
  assert.equal(a.method, 'saliency');
  assert.deepEqual(a.heatmapShape, [12]);
  for (const example of a.examples) {
    const kept = example.samples as Float32Array[];
    assert.equal(kept.length, 12);
    assert.ok(
      kept.some((h) => h.some((v, p) => v !== kept[0][p])),
      'heatmaps differ between samples',
    );
    const preds = example.predictions.samples;
    assert.ok(
      preds.some((row) => row.some((v, j) => v !== preds[0][j])),
      'predictions differ between samples',
    );
    const direct = quantileMaps(kept, [0.5]);
    assertClose(example.mean, direct.mean, 1e-12, 0, 'mean map');
    assertClose(example.std, direct.std, 1e-9, 0, 'std map');
    assert.ok(example.probabilities !== undefined, 'a softmax head reports probabilities');
  }
  const lean = await mcDropoutExplanations(model, x, { samples: 3, seed: 1 });
  assert.equal(lean.examples[0].samples, undefined, 'per-sample heatmaps only on request');
  assert.equal(lean.method, 'saliency');
  x.dispose();
  model.dispose();
});

test('MC dropout leaves batch norm in inference mode and its statistics untouched', async () => {
  const x = randomBatch([2, 12, 2], 3);
  const inert = bnDropoutNet(0);
  const clean = tf.tidy(() => ExplainableModel.from(inert).run(x).arraySync());
  const weightsBefore = inert.getWeights().map((w) => Array.from(w.dataSync()));
  const result = await withoutLeaks(() => mcDropoutExplanations(inert, x, { samples: 4, seed: 1 }));
  result.examples.forEach((example, e) => {
    example.predictions.samples.forEach((row) =>
      assertClose(row, clean[e], 1e-6, 0, 'dropout rate 0: every sample is the inference-mode output'),
    );
    example.std.forEach((v) => assert.ok(v < 1e-6));
  });
  assert.deepEqual(
    inert.getWeights().map((w) => Array.from(w.dataSync())),
    weightsBefore,
    'moving mean and variance unchanged',
  );
  const active = bnDropoutNet(0.5);
  const before = active.getWeights().map((w) => Array.from(w.dataSync()));
  await mcDropoutExplanations(active, x, { samples: 4, seed: 1, method: 'integrated-gradients', steps: 8 });
  assert.deepEqual(
    active.getWeights().map((w) => Array.from(w.dataSync())),
    before,
  );
  x.dispose();
  inert.dispose();
  active.dispose();
});

test('mcDropoutExplanations names the problem, leaves dropout off and leaks nothing on errors', async () => {
  const model = ExplainableModel.from(conv1dNet());
  const x = randomBatch([1, 12, 2], 4);
  const clean = tf.tidy(() => model.run(x).arraySync());
  await rejectsWithoutLeaks(
    () => mcDropoutExplanations(model, x, { method: 'magic' as never }),
    /Argument 'method' passed to 'mcDropoutExplanations' must be one of 'gradients', 'saliency', .* but got 'magic'\./,
  );
  await rejectsWithoutLeaks(
    () => mcDropoutExplanations(model, x, { samples: 0 }),
    /Argument 'samples' passed to 'mcDropoutExplanations' must be an integer in \[1, 100000\] but got 0\./,
  );
  await rejectsWithoutLeaks(
    () => mcDropoutExplanations(model, x, { target: 9 }),
    /Argument 'target' passed to 'mcDropoutExplanations' must be in \[0, 3\) \(number of classes\) but got 9\./,
  );
  await rejectsWithoutLeaks(
    () => mcDropoutExplanations(model, x, { method: 'integrated-gradients', steps: -1, samples: 2 }),
    /Argument 'steps' passed to 'integratedGradients' must be an integer in \[1, 100000\] but got -1\./,
  );
  assert.deepEqual(
    tf.tidy(() => model.run(x).arraySync()),
    clean,
    'dropout is off although the method threw',
  );
  await rejectsWithoutLeaks(
    () =>
      mcDropoutExplanations(model, x, {
        samples: 2,
        onSample: () => {
          throw new Error('stop');
        },
      }),
    /stop/,
  );
  const dense = denseNet();
  await rejectsWithoutLeaks(
    () => mcDropoutExplanations(dense, [[1, 2, 3, 4]]),
    /'mcDropoutExplanations' needs a model with a Dropout layer, but model '.*' with input \[4\] and head .* has none/,
  );
  await rejectsWithoutLeaks(
    () => mcDropoutExplanations((t: tf.Tensor) => tf.reshape(t, [-1, 2]), [[1, 2]]),
    /'mcDropoutExplanations' needs a tf\.LayersModel with Dropout layers; a plain function model has no dropout to switch on\./,
  );
  x.dispose();
  dense.dispose();
  model.layersModel?.dispose();
});

test("maps: 'signed' keeps the sign: per sample the attributions summed over channels, whose min-max scaled |·| is the heatmap", async () => {
  // Input [8, 1] → Conv1D(3, k3, same, relu) → Flatten → Dropout(0.5) → Dense(3): one channel, so integrated gradients'
  // heatmap is |attribution| of the same sample, min-max scaled to [0, 1].
  const net = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [8, 1], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(net, 41);
  const model = ExplainableModel.from(net);
  const x = randomBatch([2, 8, 1], 42);
  const options = { method: 'integrated-gradients' as const, steps: 8, samples: 4, seed: 7, keepSamples: true };
  const signed = await withoutLeaks(() => mcDropoutExplanations(model, x, { ...options, maps: 'signed' }));
  const plain = await mcDropoutExplanations(model, x, options);
  for (const [e, example] of signed.examples.entries()) {
    assert.ok(
      example.samples?.some((s) => s.some((v) => v < 0)) && example.samples?.some((s) => s.some((v) => v > 0)),
      'signed samples have both signs',
    );
    for (const [s, sample] of (example.samples ?? []).entries()) {
      const magnitudes = sample.map(Math.abs);
      const [lo, hi] = [Math.min(...magnitudes), Math.max(...magnitudes)];
      assertClose(
        magnitudes.map((v) => (v - lo) / (hi - lo)),
        plain.examples[e].samples?.[s] ?? [],
        1e-6,
        0,
        `example ${e}, sample ${s}`,
      );
    }
    const mean = Array.from(
      { length: 8 },
      (_, p) => (example.samples ?? []).reduce((sum, sample) => sum + sample[p], 0) / 4,
    );
    assertClose(example.mean, mean, 1e-6, 0, 'the mean map is the mean of the signed samples');
  }
  await rejectsWithoutLeaks(
    () => mcDropoutExplanations(model, x, { ...options, maps: 'sign' as 'signed' }),
    /Argument 'maps' passed to 'mcDropoutExplanations' must be 'heatmap' or 'signed' but got 'sign'\./,
  );
  x.dispose();
  model.dispose();
});

test('the result names the engine that ran its passes, on the row path and the nested one (TensorFlow.js here)', async () => {
  const model = conv1dNet();
  const x = randomBatch([2, 12, 2], 2);
  for (const method of ['saliency', 'integrated-gradients'] as const) {
    const mc = await withoutLeaks(() => mcDropoutExplanations(model, x, { method, samples: 2, seed: 1, steps: 4 }));
    assert.equal(mc.engine, 'tfjs', method);
  }
  x.dispose();
  model.dispose();
});

test('row seeds: each row runs the network its seed gives under fixed masks, whatever shares the batch', () => {
  const model = ExplainableModel.from(conv1dNet(81));
  const x = randomBatch([5, 12, 2], 82);
  const seeds = [4, 4, 9, 4, 11];
  const together = tf.tidy(() => model.run(x, { execution: { dropout: { seed: 0, rowSeeds: seeds } } }).arraySync());
  seeds.forEach((seed, r) => {
    const alone = tf.tidy(() =>
      model.run(tf.slice(x, r, 1), { execution: { dropout: { seed, fixedMasks: true } } }).arraySync(),
    );
    assert.deepEqual(together[r], alone[0], `row ${r}`);
  });
  const before = tf.memory().numTensors;
  assert.throws(
    () => tf.tidy(() => model.run(x, { execution: { dropout: { seed: 0, rowSeeds: [1, 2] } } })),
    /Argument 'execution.dropout.rowSeeds' passed to 'run' must be one seed per row \(5\) but got 2/,
  );
  assert.equal(tf.memory().numTensors, before, 'no leak on the error');
  x.dispose();
  model.dispose();
});

/** The textbook: sample s runs the method alone under `{ seed: seed_s, fixedMasks: true }`. */
async function textbook(
  method: keyof typeof attributionMethods,
  model: tf.LayersModel,
  x: tf.Tensor,
  targets: number[],
  samples: number,
  seed: number,
  maps: 'heatmap' | 'signed',
): Promise<{ mean: number[]; std: number[]; scores: number[][][]; probabilities: number[][] }> {
  const rng = createRng(seed);
  const batch = x.shape[0];
  const perExample: number[][][] = targets.map(() => []);
  const scores: number[][][] = targets.map(() => []);
  const probabilities: number[][] = targets.map(() => []);
  for (let s = 0; s < samples; s++) {
    const sampleSeed = rng.int32();
    const result = await attributionMethods[method].run(model, x, {
      target: targets,
      execution: { dropout: { seed: sampleSeed, fixedMasks: true } },
    });
    const source = maps === 'heatmap' ? result.heatmaps : tf.sum(result.attributions, -1);
    const values = Array.from(source.dataSync());
    if (maps === 'signed') source.dispose();
    const positions = values.length / batch;
    const rows = result.predictions.arraySync();
    const probs = result.probabilities?.arraySync() ?? [];
    targets.forEach((_, e) => {
      perExample[e].push(values.slice(e * positions, (e + 1) * positions));
      scores[e].push(rows[e]);
      probabilities[e].push(...probs[e]);
    });
    disposeAttribution(result);
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (const maps of perExample) {
    for (let p = 0; p < maps[0].length; p++) {
      const column = maps.map((m) => m[p]);
      const mu = column.reduce((a, b) => a + b, 0) / samples;
      mean.push(mu);
      std.push(Math.sqrt(column.reduce((a, b) => a + (b - mu) ** 2, 0) / samples));
    }
  }
  return { mean, std, scores, probabilities };
}

test('MC rows equal the textbook (one method call per sample) for every gradient method, heatmap and signed maps', async () => {
  for (const [label, model, x, targets] of [
    ['1-D', conv1dNet(83), randomBatch([2, 12, 2], 84), [0, 2]],
    ['2-D', conv2dDropoutNet(85), randomBatch([3, 6, 5, 2], 86), [1, 0, 2]],
  ] as const) {
    for (const method of ['gradients', 'saliency', 'input-x-gradient', 'guided-backprop'] as const) {
      for (const maps of ['heatmap', 'signed'] as const) {
        const expected = await textbook(method, model, x, [...targets], 6, 13, maps);
        const result = await withoutLeaks(() =>
          mcDropoutExplanations(model, x, { method, samples: 6, seed: 13, target: [...targets], maps, batchSize: 4 }),
        );
        const what = `${label} ${method} ${maps}`;
        const mean = result.examples.flatMap((e) => Array.from(e.mean));
        const std = result.examples.flatMap((e) => Array.from(e.std));
        const scale = Math.max(1e-3, ...expected.mean.map(Math.abs));
        assertClose(mean, expected.mean, 1e-6 * scale, 1e-5, `${what}: mean`);
        assertClose(std, expected.std, 1e-5 * scale, 1e-4, `${what}: std`);
        result.examples.forEach((example, e) => {
          assertClose(example.predictions.samples.flat(), expected.scores[e].flat(), 1e-6, 1e-5, `${what}: scores`);
          const probs = expected.probabilities[e];
          const classes = example.predictions.mean.length;
          const meanProbs = Array.from({ length: classes }, (_, c) => {
            let sum = 0;
            for (let s = 0; s < 6; s++) sum += probs[s * classes + c];
            return sum / 6;
          });
          assertClose(example.probabilities?.mean ?? [], meanProbs, 1e-6, 1e-5, `${what}: probabilities`);
        });
      }
    }
    x.dispose();
    model.dispose();
  }
});

test('MC rows: batch size 1, 4 (samples split across chunks) and 64 give identical results; samples stream in order', async () => {
  const model = conv1dNet(87);
  const x = randomBatch([3, 12, 2], 88);
  const runs: McDropoutExplanations[] = [];
  for (const batchSize of [1, 4, 64]) {
    const indices: number[] = [];
    runs.push(
      await mcDropoutExplanations(model, x, {
        samples: 5,
        seed: 3,
        batchSize,
        keepSamples: true,
        onSample: (sample) => void indices.push(sample.index),
      }),
    );
    assert.deepEqual(indices, [0, 1, 2, 3, 4]);
  }
  assert.deepEqual(runs[1], runs[0]);
  assert.deepEqual(runs[2], runs[0]);
  x.dispose();
  model.dispose();
});

test('MC rows: an error inside the pass leaks nothing', async () => {
  const model = conv1dNet(89);
  const x = randomBatch([2, 12, 2], 90);
  const failing = {
    rules: [
      {
        name: 'failing',
        appliesTo: { activations: ['relu'] },
        wrap: () => () => {
          throw new Error('boom inside the sample');
        },
      },
    ],
  };
  let calls = 0;
  await rejectsWithoutLeaks(
    () =>
      mcDropoutExplanations(model, x, {
        samples: 3,
        execution: {
          rules: [
            {
              ...failing.rules[0],
              wrap: (forward) => (v) => {
                // The request frame's prediction passes; the first sample's gradient pass fails.
                if (calls++ > 0) throw new Error('boom inside the sample');
                return forward(v);
              },
            },
          ],
        },
      }),
    /boom inside the sample/,
  );
  x.dispose();
  model.dispose();
});

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-uncertainty-'));

/** The tiny Conv1D net and two inputs, as files. */
const fixtures = () => writeConv1dFiles(work, { inputs: 6 });

test('uncertainty --json: quantile, mean and std maps and predictions of the library, samples on request', async () => {
  const { modelFile, inputFile, inputs } = await fixtures();
  const { code, stdout, stderr } = await runCli([
    'uncertainty',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--samples',
    '6',
    '--seed',
    '3',
    '--keep-samples',
    '--json',
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.equal(document.command, 'uncertainty');
  assert.deepEqual(document.heatmapShape, [12]);
  // The command line runs on ONNX Runtime by default ('auto'), and the document says so.
  assert.equal(document.engine, 'onnx');
  const model = await loadModelFile(modelFile);
  const x = tf.tensor(inputs.flat(2), [2, 12, 2]);
  const api = await mcDropoutExplanations(model, x, { samples: 6, seed: 3, keepSamples: true });
  x.dispose();
  model.layersModel?.dispose();
  document.results.forEach(
    (
      r: {
        quantiles: number[];
        quantileMaps: number[][];
        mean: number[];
        std: number[];
        samples: number[][];
        target: number;
        predictions: { mean: number[] };
      },
      i: number,
    ) => {
      const example = api.examples[i];
      assert.deepEqual(r.quantiles, [0.25, 0.5, 0.75]);
      assert.equal(r.target, example.target);
      assert.equal(r.samples.length, 6);
      assertClose(
        r.samples.flat(),
        (example.samples as Float32Array[]).flatMap((s) => Array.from(s)),
        0,
        0,
        'samples',
      );
      const maps = quantileMaps(example.samples as Float32Array[], [0.25, 0.5, 0.75]);
      r.quantileMaps.forEach((map, k) => assertClose(map, maps.maps[k], 0, 0, `quantile map ${k}`));
      assertClose(r.mean, example.mean, 0, 0, 'mean');
      assertClose(r.std, example.std, 0, 0, 'std');
      assertClose(r.predictions.mean, example.predictions.mean, 0, 0, 'predictions');
      r.quantileMaps[0].forEach((q25, p) =>
        assert.ok(q25 <= r.quantileMaps[1][p] && r.quantileMaps[1][p] <= r.quantileMaps[2][p]),
      );
    },
  );
  const lean = JSON.parse(
    (
      await runCli([
        'uncertainty',
        '--model',
        modelFile,
        '--input',
        inputFile,
        '--samples',
        '3',
        '--quantile-method',
        'histogram',
        '--json',
        '--quiet',
      ])
    ).stdout,
  );
  assert.equal(lean.quantileMethod, 'histogram');
  assert.equal(lean.results[0].samples, undefined, 'samples only with --keep-samples');
});

test('uncertainty writes the quantile-map pictures with --out and prints a summary without --json', async () => {
  const { modelFile, inputFile } = await fixtures();
  const out = path.join(work, 'out');
  const { code, stdout, stderr } = await runCli([
    'uncertainty',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--samples',
    '4',
    '--out',
    out,
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^inputs\.json#0: target class \d, probability [\d.]+ ± [\d.]+ over 4 samples; mean heatmap std [\d.]+\n/,
  );
  for (const name of ['uncertainty.json', 'quantile-maps-0.svg', 'quantile-maps-0.png', 'std-map-1.png'])
    assert.ok(existsSync(path.join(out, name)), name);
});

test('uncertainty errors: one line on stderr, exit code 1', async () => {
  const { modelFile, inputFile } = await fixtures();
  const dense = denseNet();
  const denseFile = await saveModelJson(dense, path.join(work, 'dense'));
  dense.dispose();
  const denseInput = path.join(work, 'dense-input.json');
  writeFileSync(denseInput, JSON.stringify([1, 2, 3, 4]));
  const cases: [string[], RegExp][] = [
    [
      ['--model', modelFile, '--input', inputFile, '--quantiles', '0.5,2'],
      /^wingbeats-xai: Option '--quantiles' must be a number in \[0, 1\] but got '2'\.\n$/,
    ],
    [
      ['--model', modelFile, '--input', inputFile, '--samples', '0'],
      /^wingbeats-xai: Option '--samples' must be an integer in \[1, 100000\] but got '0'\.\n$/,
    ],
    [
      ['--model', denseFile, '--input', denseInput],
      /^wingbeats-xai: 'mcDropoutExplanations' needs a model with a Dropout layer, but model .* has none: every sample would be the same\.\n$/,
    ],
  ];
  for (const [argv, pattern] of cases) {
    const { code, stdout, stderr } = await runCli(['uncertainty', ...argv, '--json', '--quiet']);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, pattern);
  }
});
