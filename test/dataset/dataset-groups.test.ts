/**
 * `wingbeats-xai dataset --groups`: the group methods over a data set (synthetic recordings of the project's own
 * generator, the demo model): bands and harmonics run without errors, a mask file is recorded in the run's settings as
 * the mask itself, and the class-wise mean heatmaps are constant within each group (every position holds its group's
 * value), so the class tables read per band or per harmonic. The table carries the group attributions per row
 * (`groupNames`, `groupAttributions`, `f0Hz`) and the summary's per-class group values equal DuckDB SQL over it.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertClose, repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { encodeNpy } from '../../src/io/npy.js';
import { DuckDBInstance } from '@duckdb/node-api';

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
  groups: {
    label: string;
    by: string;
    method: string;
    examples: number;
    names: string[];
    mean: number[];
    std: number[];
    counts: number[];
    meanF0Hz: number | null;
  }[];
}

async function query(sql: string): Promise<Record<string, any>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, any>[];
  } finally {
    connection.closeSync();
  }
}

/** The summary's per-class group values against DuckDB SQL over the table's `groupNames`/`groupAttributions`. */
async function checkGroupValues(summary: Summary, table: string): Promise<void> {
  assert.ok(summary.groups.length > 0, 'group values summarised');
  for (const by of ['label', 'predicted']) {
    const stats = await query(`
      SELECT ${by} AS class, method, name, avg(v) AS mean, stddev_pop(v) AS std, count(*)::INTEGER AS n
      FROM (SELECT ${by}, method, unnest(groupNames) AS name, unnest(groupAttributions)::DOUBLE AS v
            FROM read_parquet('${table}') WHERE error IS NULL AND groupNames IS NOT NULL)
      GROUP BY ALL`);
    const groups = summary.groups.filter((g) => g.by === by);
    assert.equal(
      groups.reduce((n, g) => n + g.names.length, 0),
      stats.length,
      by,
    );
    for (const g of groups)
      g.names.forEach((name, i) => {
        const r = stats.find((s) => s.class === g.label && s.method === g.method && s.name === name);
        assert.ok(r !== undefined, `${by} ${g.label} ${g.method} ${name}`);
        assert.equal(g.counts[i], r.n);
        assert.ok(Math.abs(g.mean[i] - r.mean) <= 1e-12 * (1 + Math.abs(r.mean)), `${g.label} ${name} mean`);
        assert.ok(Math.abs(g.std[i] - r.std) <= 1e-9 * (1 + Math.abs(r.std)), `${g.label} ${name} std`);
      });
  }
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
  const table = path.join(work, 'bands', 'table.parquet');
  await checkGroupValues(summary, table);
  // Every row's group values are its attributions' values at the group's positions (float32, as stored).
  const rows = await query(`SELECT groupNames, groupAttributions, attributions, f0Hz FROM read_parquet('${table}')`);
  for (const row of rows) {
    assert.deepEqual(row.groupNames, ['band 0', 'band 1', 'band 2', 'band 3']);
    assert.equal(row.f0Hz, null);
    [0, 40, 70, 128].forEach((p, i) =>
      assertClose([row.attributions[p]], [row.groupAttributions[Math.min(3, Math.floor(p / 32))]], 1e-6, 1e-6, `${i}`),
    );
  }
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
  const harmonicTable = path.join(work, 'harmonics', 'table.parquet');
  await checkGroupValues(harmonics, harmonicTable);
  const [f0] = await query(`SELECT min(f0Hz) AS lo, max(f0Hz) AS hi FROM read_parquet('${harmonicTable}')`);
  assert.ok(f0.lo > 100 && f0.hi < 1500, `f0 ${f0.lo} … ${f0.hi} Hz`);
  for (const g of harmonics.groups) {
    assert.deepEqual(g.names.slice(0, 3), ['below f0', 'f0', '2f0'], g.label);
    assert.equal(g.names.at(-1), 'between harmonics');
    assert.ok(g.meanF0Hz !== null && g.meanF0Hz > 100);
  }
  // The report reads per harmonic: a table per group method, one column per group.
  const html = readFileSync(path.join(work, 'harmonics', 'report.html'), 'utf8');
  assert.match(html, /Group attributions · kernel-shap · per true class/);
  assert.match(html, /<th>2f0<\/th>/);
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
