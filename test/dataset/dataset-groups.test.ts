/**
 * `wingbeats-xai dataset --groups`: the group methods over a data set (synthetic recordings of the project's own
 * generator, the demo model): bands and harmonics run without errors, a mask file is recorded in the run's settings as
 * the mask itself, and the class-wise mean heatmaps are constant within each group (every position holds its group's
 * value), so the class tables read per band or per harmonic.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { encodeNpy } from '../../src/io/npy.js';

const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-dataset-groups-'));
const input = path.join(work, 'recordings');

before(async () => {
  await useWasm();
  await writeSyntheticDataset(input, { perSpecies: 2, seed: 5, species: ['Ae_aegypti', 'Cu_pipiens'] });
});

interface Summary {
  errors: number;
  classes: { label: string; method: string; mean: number[] }[];
}

async function dataset(out: string, ...args: string[]): Promise<Summary> {
  const run = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--out',
    path.join(work, out),
    '--json',
    '--quiet',
    ...args,
  ]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout).summary as Summary;
}

test('dataset --groups bands:4 with shapley and feature-ablation: class means constant within each band', async () => {
  const summary = await dataset('bands', '--methods', 'shapley,feature-ablation', '--groups', 'bands:4');
  assert.equal(summary.errors, 0);
  for (const row of summary.classes) {
    const bands = [0, 32, 64, 96].map((start, b) => row.mean.slice(start, b === 3 ? 129 : start + 32));
    for (const band of bands)
      assert.ok(
        band.every((v) => Math.abs(v - band[0]) < 1e-6),
        `${row.method} ${row.label}`,
      );
  }
});

test('dataset --groups harmonics and a mask file (recorded in settings.json)', async () => {
  const harmonics = await dataset(
    'harmonics',
    '--methods',
    'kernel-shap',
    '--groups',
    'harmonics',
    '--coalitions',
    '64',
  );
  assert.equal(harmonics.errors, 0);
  const maskFile = path.join(work, 'mask.json');
  writeFileSync(
    maskFile,
    JSON.stringify({ mask: Array.from({ length: 129 }, (_, i) => (i < 20 ? 0 : 1)), names: ['low', 'rest'] }),
  );
  const masked = await dataset('mask', '--methods', 'shapley', '--groups', maskFile);
  assert.equal(masked.errors, 0);
  const settings = JSON.parse(readFileSync(path.join(work, 'mask', 'settings.json'), 'utf8'));
  assert.deepEqual(settings.methodOptions.groups.names, ['low', 'rest']);
});

test('dataset --methods gradient-shap,deeplift-shap --background a .npy stack (the settings keep its path)', async () => {
  const backgroundFile = path.join(work, 'background.npy');
  const values = Float32Array.from({ length: 3 * 129 }, (_, i) => -90 + 10 * Math.sin(i));
  writeFileSync(backgroundFile, encodeNpy(values, [3, 129, 1]));
  const summary = await dataset(
    'shap',
    '--methods',
    'gradient-shap,deeplift-shap',
    '--background',
    backgroundFile,
    '--noise-samples',
    '4',
  );
  assert.equal(summary.errors, 0);
  const settings = JSON.parse(readFileSync(path.join(work, 'shap', 'settings.json'), 'utf8'));
  assert.equal(settings.methodOptions.background, backgroundFile);
});

test("dataset --methods gradient-shap --background a folder of recordings (read with the run's preset)", async () => {
  const folder = path.join(work, 'background-recordings');
  await writeSyntheticDataset(folder, { perSpecies: 1, seed: 9, species: ['Ae_aegypti', 'Cu_pipiens'] });
  const summary = await dataset(
    'shap-folder',
    '--methods',
    'gradient-shap',
    '--background',
    folder,
    '--noise-samples',
    '4',
  );
  assert.equal(summary.errors, 0);
  const settings = JSON.parse(readFileSync(path.join(work, 'shap-folder', 'settings.json'), 'utf8'));
  assert.equal(settings.methodOptions.background, folder);
  // A folder without a single readable input is one clear line naming the option.
  const empty = path.join(work, 'empty-background');
  mkdirSync(empty);
  writeFileSync(path.join(empty, 'notes.txt'), 'not a recording');
  const bad = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--out',
    path.join(work, 'shap-bad'),
    '--methods',
    'gradient-shap',
    '--background',
    empty,
    '--quiet',
  ]);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(
    bad.stderr.trim(),
    /^wingbeats-xai: Option '--background' names no \.wav, \.npy or \.json file \(.*empty-background\)\.$/,
  );
});
