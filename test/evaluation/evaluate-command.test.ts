/**
 * `wingbeats-xai evaluate`: the command-line contract of DESIGN.md, against the library API; and `wingbeats-xai stats`:
 * per-position statistics of a data set, read back by `evaluate --stats`.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareWithRandom } from '../../src/evaluation/compare-with-random.js';
import { explanationMetricsOf } from '../../src/evaluation/explanation-metrics.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { useWasm, assertClose, repoRoot } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from '../cli/cli-helpers.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { featuresFromRecording } from '../../src/signal/features.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-evaluate-'));

async function fixtures(): Promise<{ modelFile: string; inputFile: string; inputs: number[][][] }> {
  const net = conv1dNet();
  const modelFile = await saveModelJson(net, path.join(work, 'conv1d'));
  net.dispose();
  const x = randomBatch([2, 12, 2], 5);
  const inputs = x.arraySync() as number[][][];
  x.dispose();
  const inputFile = path.join(work, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(inputs));
  return { modelFile, inputFile, inputs };
}

test('evaluate --json: one JSON document with the curves of the library, per input and per random seed', async () => {
  const { modelFile, inputFile, inputs } = await fixtures();
  const argv = [
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--methods',
    'saliency,gradients',
    '--random-seeds',
    '3',
    '--fraction',
    '0.5',
    '--step',
    '0.1',
    '--seed',
    '4',
    '--json',
  ];
  const { code, stdout, stderr } = await runCli(argv);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.equal(document.command, 'evaluate');
  assert.deepEqual(document.randomSeeds, [4, 5, 6]);
  assert.equal(document.results.length, 2);
  assert.deepEqual(
    document.results[0].curves.map((c: { method: string }) => c.method),
    ['saliency', 'gradients', 'random', 'random', 'random'],
  );
  const model = await loadModelFile(modelFile);
  const x = tf.tensor(inputs.flat(2), [2, 12, 2]);
  const api = await compareWithRandom(model, x, {
    methods: ['saliency', 'gradients'],
    randomSeeds: 3,
    fraction: 0.5,
    step: 0.1,
    seed: 4,
  });
  x.dispose();
  model.layersModel?.dispose();
  const apiJson = JSON.parse(JSON.stringify(api.results));
  assert.deepEqual(
    document.results.map(
      ({
        input: _input,
        head: _head,
        warnings: _warnings,
        ...rest
      }: {
        input: string;
        head: string;
        warnings: string[];
      }) => rest,
    ),
    apiJson,
    'the numbers of compareWithRandom',
  );
  assert.ok(
    document.results.every(
      (r: { head: string; warnings: string[] }) => r.head === document.head && Array.isArray(r.warnings),
    ),
    'every result names its head and carries warnings',
  );
  assert.match(document.reading.aopc, /higher is better/);
  assert.match(document.reading.auc, /lower is better/);
  assert.deepEqual(
    document.results.map((r: { input: string }) => r.input),
    ['inputs.json#0', 'inputs.json#1'],
  );
});

test('evaluate reads --stats files, writes charts with --out, and prints a summary without --json', async () => {
  const { modelFile, inputFile } = await fixtures();
  const statsFile = path.join(work, 'stats.json');
  writeFileSync(
    statsFile,
    JSON.stringify({ shape: [12, 2], mean: new Array(24).fill(0), std: new Array(24).fill(1), count: 10 }),
  );
  const out = path.join(work, 'out');
  const { code, stdout, stderr } = await runCli([
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--stats',
    statsFile,
    '--random-seeds',
    '2',
    '--out',
    out,
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  assert.match(
    stdout,
    /^inputs\.json#0: head '[^']+', target class \d; random orders AOPC -?[\d.]+ ± [\d.]+ logits\n  saliency: AOPC -?[\d.]+ logits \([+-][\d.]+ against random: (better|no better) than random\), AUC/,
  );
  assert.match(stdout, /AOPC: mean drop of the target logit .* in logit units; higher is better/);
  assert.match(stdout, /AUC: .*lower is better/);
  for (const name of ['evaluate.json', 'pixel-flipping-0.svg', 'pixel-flipping-0.png', 'pixel-flipping-1.png'])
    assert.ok(existsSync(path.join(out, name)), name);
  const json = await runCli([
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--stats',
    statsFile,
    '--random-seeds',
    '2',
    '--json',
    '--quiet',
  ]);
  assert.equal(JSON.parse(json.stdout).statistics, 'given');
});

test('evaluate errors: one line on stderr naming the option, exit code 1', async () => {
  const { modelFile, inputFile } = await fixtures();
  const cases: [string[], RegExp][] = [
    [
      ['--methods', 'saliency,magic'],
      /^wingbeats-xai: Option '--methods' must be a comma-separated list of gradients, saliency, .* but got 'magic'\.\n$/,
    ],
    [['--fraction', '2'], /^wingbeats-xai: Option '--fraction' must be a number in \[0, 1\] but got '2'\.\n$/],
    [
      ['--random-seeds', '0'],
      /^wingbeats-xai: Option '--random-seeds' must be an integer in \[1, 10000\] but got '0'\.\n$/,
    ],
    [
      ['--stats', path.join(work, 'missing.json')],
      /^wingbeats-xai: The --stats file '.*missing\.json' does not exist or cannot be read\.\n$/,
    ],
  ];
  for (const [extra, pattern] of cases) {
    const { code, stdout, stderr } = await runCli([
      'evaluate',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--json',
      '--quiet',
      ...extra,
    ]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, pattern);
  }
});

test('evaluate --metrics --json: results[i].metrics[method][metric] as the library computes them, with readings', async () => {
  const { modelFile, inputFile, inputs } = await fixtures();
  const argv = [
    'evaluate',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--methods',
    'saliency,input-x-gradient',
    '--metrics',
    'deletion,infidelity,sensitivity-max,sparseness',
    '--perturbations',
    '4',
    '--infidelity-stdev',
    '0.1',
    '--radius',
    '0.05',
    '--normalize',
    '--random-seeds',
    '2',
    '--step',
    '0.1',
    '--seed',
    '3',
    '--json',
  ];
  const { code, stdout, stderr } = await runCli(argv);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.deepEqual(document.metrics, ['deletion', 'infidelity', 'sensitivity-max', 'sparseness']);
  assert.match(document.reading.infidelity, /N\(0, 0\.1²\)/);
  assert.match(document.reading['sensitivity-max'], /U\(−0\.05, 0\.05\)/);
  assert.equal(document.better.deletion, 'lower');
  const model = await loadModelFile(modelFile);
  const x = tf.tensor(inputs);
  const library = await explanationMetricsOf(model, x, {
    methods: ['saliency', 'input-x-gradient'],
    metrics: ['deletion', 'infidelity', 'sensitivity-max', 'sparseness'],
    perturbations: 4,
    noiseStdev: 0.1,
    radius: 0.05,
    normalize: true,
    randomSeeds: 2,
    fraction: 0.25,
    step: 0.1,
    seed: 3,
  });
  x.dispose();
  model.dispose();
  assert.deepEqual(
    document.results.map((r: { metrics: unknown }) => r.metrics),
    JSON.parse(JSON.stringify(library.results.map((r) => r.metrics))),
  );
  const bad = await runCli(['evaluate', '--model', modelFile, '--input', inputFile, '--metrics', 'deletion,nope']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /'--metrics' must be a comma-separated list of .* but got 'nope'/);
});

const statsWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-stats-'));
const recordings = path.join(repoRoot, 'assets', 'demo-recordings');
const demoModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');

test('stats over a folder of recordings equals the mean and population std of their features; evaluate reads it', async () => {
  const out = path.join(statsWork, 'stats.json');
  const { code, stdout, stderr } = await runCli([
    'stats',
    '--input',
    recordings,
    '--model',
    demoModel,
    '--json',
    '--quiet',
    '--out',
    out,
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  const saved = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(saved.shape, [129, 1]);
  assert.deepEqual(document.mean, saved.mean);
  const rows: Float32Array[] = [];
  for (const name of readdirSync(recordings).sort()) {
    const windows = featuresFromRecording(await readWavFile(path.join(recordings, name)), 'potamitis-psd', {
      windows: 'all',
    });
    rows.push(...windows.map((w) => w.data));
  }
  assert.equal(saved.count, rows.length);
  const mean = Array.from({ length: 129 }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / rows.length));
  assertClose(saved.mean, mean, 1e-9, 1e-9, 'mean');
  assertClose(saved.std, std, 1e-9, 1e-9, 'std');
  const evaluated = await runCli([
    'evaluate',
    '--model',
    demoModel,
    '--input',
    path.join(recordings, 'Ae_aegypti_synthetic.wav'),
    '--stats',
    out,
    '--json',
    '--quiet',
  ]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.equal(JSON.parse(evaluated.stdout).statistics, 'given');
});

test('stats errors: no layout, nothing to read, a missing path — one line, no file written', async () => {
  const out = path.join(statsWork, 'never.json');
  const empty = path.join(statsWork, 'empty-folder');
  mkdirSync(empty);
  const cases: [string[], RegExp][] = [
    [
      ['stats', '--input', recordings, '--out', out],
      /^wingbeats-xai: Command 'stats' needs --model or --preset to know the input layout\.\n$/,
    ],
    [
      ['stats', '--input', path.join(statsWork, 'missing'), '--preset', 'potamitis-psd', '--out', out],
      /^wingbeats-xai: Input '.*missing' does not exist\.\n$/,
    ],
    [
      ['stats', '--input', empty, '--preset', 'potamitis-psd', '--out', out],
      /^wingbeats-xai: Option '--input' names no \.wav, \.npy or \.json file/,
    ],
  ];
  for (const [argv, pattern] of cases) {
    const { code, stderr } = await runCli(argv);
    assert.equal(code, 1);
    assert.match(stderr, pattern);
  }
  assert.equal(existsSync(out), false);
});
