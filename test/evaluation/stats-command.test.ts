/** `wingbeats-xai stats`: per-position statistics of a data set, read back by `evaluate --stats`. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import { assertClose, repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-stats-'));
const recordings = path.join(repoRoot, 'assets', 'demo-recordings');
const demoModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');

test('stats over a folder of recordings equals the mean and population std of their features; evaluate reads it', async () => {
  const out = path.join(work, 'stats.json');
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
  const out = path.join(work, 'never.json');
  const empty = path.join(work, 'empty-folder');
  mkdirSync(empty);
  const cases: [string[], RegExp][] = [
    [
      ['stats', '--input', recordings, '--out', out],
      /^wingbeats-xai: Command 'stats' needs --model or --preset to know the input layout\.\n$/,
    ],
    [
      ['stats', '--input', path.join(work, 'missing'), '--preset', 'potamitis-psd', '--out', out],
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
