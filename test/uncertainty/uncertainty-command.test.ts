/** `wingbeats-xai uncertainty`: the command-line contract of DESIGN.md, against the library API. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mcDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';
import { quantileMaps } from '../../src/uncertainty/quantile-maps.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, useWasm } from '../helpers.js';
import { conv1dNet, denseNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from '../cli/cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-uncertainty-'));

async function fixtures(): Promise<{ modelFile: string; inputFile: string; inputs: number[][][] }> {
  const net = conv1dNet();
  const modelFile = await saveModelJson(net, path.join(work, 'conv1d'));
  net.dispose();
  const x = randomBatch([2, 12, 2], 6);
  const inputs = x.arraySync() as number[][][];
  x.dispose();
  const inputFile = path.join(work, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(inputs));
  return { modelFile, inputFile, inputs };
}

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
