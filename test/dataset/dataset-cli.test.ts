/**
 * `wingbeats-xai dataset` end to end on synthetic recordings made by the project's own generator: the table read by a
 * second, independent reader (DuckDB), summaries against DuckDB SQL, shards named by the environment merged into the
 * same bytes as one run, a shard killed with SIGKILL and restarted, a missing shard named, bad inputs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DuckDBInstance } from '@duckdb/node-api';
import { cliBin, repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { attributionMethods } from '../../src/attribution/registry.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { encodeNpy } from '../../src/io/npy.js';

const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const bin = cliBin;
const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-dataset-'));
const input = path.join(work, 'recordings');
const methodArgs = ['--methods', 'saliency,integrated-gradients,smoothgrad', '--steps', '16', '--samples', '4'];
let one: { code: number; stdout: string; stderr: string };

before(async () => {
  await useWasm();
  await writeSyntheticDataset(input, { perSpecies: 3, seed: 11, species: ['Ae_aegypti', 'An_gambiae', 'Cu_pipiens'] });
  writeFileSync(path.join(input, 'Cu_pipiens', 'broken.wav'), 'RIFF, but not really a WAV file');
  one = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    ...methodArgs,
    '--out',
    path.join(work, 'one'),
    '--chunk-size',
    '4',
    '--json',
    '--quiet',
  ]);
});

/** Runs `fn` with `env` added to this process's environment (as a job scheduler sets it), then restores it. */
async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
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

test('dataset --json: the table opens in DuckDB with the contract columns, one row per (example, method), the bad recording in the error column', async () => {
  assert.equal(one.code, 0, one.stderr);
  const result = JSON.parse(one.stdout);
  assert.equal(result.examples, 10);
  assert.equal(result.errors, 1);
  assert.equal(result.table, path.join(work, 'one', 'table.parquet'));
  const table = result.table.replace(/'/g, "''");
  const columns = (await query(`DESCRIBE SELECT * FROM read_parquet('${table}')`)).map((r) => r.column_name);
  for (const name of [
    'path',
    'label',
    'predicted',
    'target',
    'method',
    'attributions',
    'heatmap',
    'delta',
    'error',
    'probabilities',
    'heads',
    'input',
  ])
    assert.ok(columns.includes(name), `column ${name}`);
  const [counts] = await query(
    `SELECT count(*)::INTEGER AS n, count(DISTINCT path)::INTEGER AS paths, count(error)::INTEGER AS errors FROM read_parquet('${table}')`,
  );
  assert.deepEqual(counts, { n: 30, paths: 10, errors: 3 });
  const bad = await query(
    `SELECT method, error, heatmap IS NULL AS empty FROM read_parquet('${table}') WHERE path = 'Cu_pipiens/broken.wav' ORDER BY method`,
  );
  assert.deepEqual(
    bad.map((r) => r.method),
    ['integrated-gradients', 'saliency', 'smoothgrad'],
  );
  for (const row of bad) {
    assert.match(row.error, /broken\.wav/);
    assert.equal(row.empty, true);
  }
  assert.deepEqual(
    result.summary.failed.map((f: { path: string }) => f.path),
    ['Cu_pipiens/broken.wav'],
  );
  const [shape] = await query(
    `SELECT min(len(heatmap))::INTEGER AS h, max(len(attributions))::INTEGER AS a, count(delta)::INTEGER AS deltas FROM read_parquet('${table}') WHERE error IS NULL`,
  );
  assert.deepEqual(shape, { h: 129, a: 129, deltas: 9 }, 'integrated gradients carries its completeness gap');
  const [meta] = await query(
    `SELECT decode(value) AS v FROM parquet_kv_metadata('${table}') WHERE decode(key) = 'wingbeats-xai'`,
  );
  const settings = JSON.parse(meta.v);
  assert.deepEqual(settings.methods, ['saliency', 'integrated-gradients', 'smoothgrad']);
  // --noise-stdev was not given: each method applies its own default (smoothgrad 0.15, gradient-shap 0), so the settings
  // hold no value for it (the version in the rows' provenance pins the defaults).
  assert.deepEqual(settings.methodOptions, {
    steps: 16,
    integration: 'trapezoid',
    baseline: 'zeros',
    noiseSamples: 4,
  });
  const report = readFileSync(path.join(work, 'one', 'report.html'), 'utf8');
  for (const species of ['Ae_aegypti', 'An_gambiae', 'Cu_pipiens'])
    assert.ok(report.includes(`${species} (true class)`), species);
  assert.match(report, /All classes compared · integrated-gradients/);
  assert.match(report, /Accuracy [\d.]+ % · confusion matrix/);
  assert.match(report, /1 example failed/);
  assert.ok(
    (report.match(/<img /g) ?? []).length >= 3 * 3 + 3,
    'one chart per species and method, one comparison per method',
  );
  assert.doesNotMatch(report, /https?:\/\/(?!www\.w3\.org)/, 'self-contained: no network');
});

test('the table holds what the method gives for its input (saliency, bit for bit)', async () => {
  const table = path.join(work, 'one', 'table.parquet');
  const rows = await query(
    `SELECT input, attributions, target FROM read_parquet('${table}') WHERE method = 'saliency' AND error IS NULL ORDER BY path LIMIT 3`,
  );
  const loaded = await loadModelFile(model);
  try {
    const x = tf.tensor(
      rows.flatMap((r) => r.input as number[]),
      [rows.length, 129, 1],
    );
    const before = tf.memory().numTensors;
    const result = await attributionMethods.saliency.run(loaded, x, {});
    try {
      const direct = (await result.attributions.array()) as number[][][];
      rows.forEach((row, i) => {
        assert.deepEqual(
          row.attributions,
          direct[i].map((v) => v[0]),
        );
        assert.equal(row.target, result.targets[i]);
      });
    } finally {
      disposeAttribution(result);
      x.dispose();
    }
    assert.equal(tf.memory().numTensors, before - 1);
  } finally {
    loaded.dispose();
  }
});

test('summaries equal DuckDB SQL over the table: mean, std, quartiles, top bands in Hz, accuracy', async () => {
  const summary = JSON.parse(one.stdout).summary;
  const table = path.join(work, 'one', 'table.parquet');
  for (const by of ['label', 'predicted']) {
    const stats = await query(`
      SELECT ${by} AS class, method, pos::INTEGER AS pos, avg(v) AS mean, stddev_pop(v) AS std, quantile_cont(v, 0.25) AS q25,
             quantile_cont(v, 0.5) AS median, quantile_cont(v, 0.75) AS q75, count(*)::INTEGER AS n
      FROM (SELECT ${by}, method, unnest(heatmap)::DOUBLE AS v, unnest(generate_series(0, len(heatmap) - 1)) AS pos
            FROM read_parquet('${table}') WHERE error IS NULL)
      GROUP BY ALL ORDER BY class, method, pos`);
    const groups = summary.classes.filter((c: { by: string }) => c.by === by);
    assert.equal(groups.length * 129, stats.length);
    for (const group of groups) {
      const rows = stats.filter((r) => r.class === group.label && r.method === group.method);
      assert.equal(rows.length, 129);
      assert.equal(group.count, rows[0].n);
      for (const key of ['mean', 'std', 'q25', 'median', 'q75']) {
        rows.forEach((r, p) =>
          assert.ok(
            Math.abs(group[key][p] - r[key]) <= 1e-12,
            `${by} ${group.label} ${group.method} ${key}[${p}]: ${group[key][p]} vs DuckDB ${r[key]}`,
          ),
        );
      }
      const top = [...rows].sort((a, b) => b.mean - a.mean || a.pos - b.pos).slice(0, 5);
      assert.deepEqual(
        group.top.map((t: { position: number }) => t.position),
        top.map((r) => r.pos),
      );
      assert.deepEqual(
        group.top.map((t: { hz: number }) => t.hz),
        top.map((r) => r.pos * 31.25),
      );
    }
  }
  const [accuracy] = await query(
    `SELECT avg((label = predicted)::INTEGER) AS a FROM read_parquet('${table}') WHERE error IS NULL AND method = 'saliency'`,
  );
  assert.ok(Math.abs(summary.accuracy - accuracy.a) < 1e-15);
  // Contrast maps: the mean contrastMap per (label, predicted, method) of the misclassified rows, as DuckDB computes it.
  const contrastStats = await query(`
    SELECT label, predicted, method, pos::INTEGER AS pos, avg(v) AS mean, count(*)::INTEGER AS n
    FROM (SELECT label, predicted, method, unnest(contrastMap)::DOUBLE AS v,
                 unnest(generate_series(0, len(contrastMap) - 1)) AS pos
          FROM read_parquet('${table}') WHERE error IS NULL AND contrastMap IS NOT NULL)
    GROUP BY ALL ORDER BY label, predicted, method, pos`);
  const [wrong] = await query(
    `SELECT count(*)::INTEGER AS n FROM read_parquet('${table}') WHERE error IS NULL AND label <> predicted AND method = 'saliency'`,
  );
  assert.equal(contrastStats.length, summary.contrasts.length * 129);
  assert.equal(
    summary.contrasts
      .filter((c: { method: string }) => c.method === 'saliency')
      .reduce((n: number, c: { count: number }) => n + c.count, 0),
    wrong.n,
    'every misclassified example has a contrast map',
  );
  for (const c of summary.contrasts) {
    const rows = contrastStats.filter(
      (r) => r.label === c.label && r.predicted === c.predicted && r.method === c.method,
    );
    assert.equal(rows[0].n, c.count);
    rows.forEach((r, p) =>
      assert.ok(Math.abs(c.mean[p] - r.mean) <= 1e-12, `${c.label} → ${c.predicted} ${c.method}[${p}]`),
    );
  }
  assert.ok(summary.harmonics !== null && summary.harmonics.grid.length === 201, 'harmonic profiles of a PSD data set');
  const stored = JSON.parse(readFileSync(path.join(work, 'one', 'summary.json'), 'utf8'));
  assert.deepEqual(stored, summary);
});

test('two shards named by the environment (Slurm array, Kubernetes Indexed Job), merged, give the same table bytes and summaries as one run', async () => {
  // In this process, one after the other: shards as processes of their own, merged byte for byte, are
  // dataset-processes.test.ts (children of --processes), shell-recipes.test.ts (xargs, GNU parallel) and
  // slurm-cluster.test.ts (a real Slurm array); here the shards' own settings differ (chunk sizes 3 and 2).
  const out = path.join(work, 'sharded');
  const args = ['dataset', '--model', model, '--input', input, ...methodArgs, '--out', out, '--json', '--quiet'];
  const first = await withEnv({ SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '2' }, () =>
    runCli([...args, '--chunk-size', '3']),
  );
  const second = await withEnv({ JOB_COMPLETION_INDEX: '1' }, () =>
    runCli([...args, '--shard-count', '2', '--chunk-size', '2']),
  );
  assert.equal(first.code, 0, first.stderr);
  assert.equal(second.code, 0, second.stderr);
  const shards = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
  assert.deepEqual(
    shards.map((s) => s.shard),
    ['0/2', '1/2'],
  );
  assert.equal(shards[0].examples + shards[1].examples, 10);
  const merged = await runCli(['dataset', 'merge', out, '--json']);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(
    readFileSync(path.join(out, 'table.parquet')),
    readFileSync(path.join(work, 'one', 'table.parquet')),
    'bit-identical table',
  );
  assert.deepEqual(JSON.parse(merged.stdout).summary, JSON.parse(one.stdout).summary);
});

test('a run killed with SIGKILL and started again gives the same table as an uninterrupted run', async () => {
  const args = (out: string): string[] => [
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--methods',
    'integrated-gradients',
    '--steps',
    '400',
    '--out',
    out,
    '--chunk-size',
    '1',
    '--quiet',
  ];
  const out = path.join(work, 'killed');
  const parts = path.join(out, 'parts', 'shard-0000-of-0001');
  const child = spawn(process.execPath, [bin, ...args(out)], { stdio: 'ignore' });
  const chunksAtKill = await new Promise<number>((resolve) => {
    const timer = setInterval(() => {
      const chunks = existsSync(parts) ? readdirSync(parts).filter((n) => n.startsWith('chunk-')).length : 0;
      if (chunks >= 2) {
        child.kill('SIGKILL');
        clearInterval(timer);
        resolve(chunks);
      }
    }, 5);
  });
  await new Promise((resolve) => child.on('close', resolve));
  assert.ok(chunksAtKill < 10, `killed mid-run (${chunksAtKill} of 10 chunks written)`);
  assert.ok(existsSync(path.join(parts, 'lock')), 'the killed process left its lock behind');
  assert.equal(existsSync(path.join(out, 'table.parquet')), false);
  const restarted = await runCli([...args(out), '--json']);
  assert.equal(restarted.code, 0, restarted.stderr);
  const reference = await runCli([...args(path.join(work, 'unkilled')), '--json']);
  assert.deepEqual(
    readFileSync(path.join(out, 'table.parquet')),
    readFileSync(path.join(work, 'unkilled', 'table.parquet')),
  );
  assert.deepEqual(JSON.parse(restarted.stdout).summary, JSON.parse(reference.stdout).summary);
});

test('merge names a missing shard and its examples, and duplicated examples; a second run of the same shard resumes', async () => {
  const out = path.join(work, 'partial');
  const args = [
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--methods',
    'saliency',
    '--out',
    out,
    '--shard',
    '0/2',
    '--json',
    '--quiet',
  ];
  const shard0 = await runCli(args);
  assert.equal(shard0.code, 0, shard0.stderr);
  const merge = await runCli(['dataset', 'merge', out]);
  assert.equal(merge.code, 1);
  assert.equal(merge.stderr.trim().split('\n').length, 1, 'one line');
  assert.match(
    merge.stderr,
    /^wingbeats-xai: Cannot merge '.*partial': shard 1\/2 wrote no part file; \d+ examples? (was|were) not explained: [A-Za-z_]+\/[A-Za-z_]+-\d{4}\.wav/,
  );
  const lock = path.join(out, 'parts', 'shard-0001-of-0002', 'lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname() }));
  assert.match(
    (await runCli(['dataset', 'merge', out])).stderr,
    /: shard 1\/2 still running; shard 1\/2 wrote no part file; /,
  );
  rmSync(lock);
  const again = await runCli(args);
  assert.equal(JSON.parse(again.stdout).resumed, JSON.parse(shard0.stdout).examples, 'nothing explained twice');
  assert.equal(JSON.parse(again.stdout).explained, 0);
  await runCli([...args.slice(0, -4), '--shard', '1/2', '--quiet']);
  const folder = path.join(out, 'parts', 'shard-0000-of-0002');
  copyFileSync(path.join(folder, 'chunk-000000.parquet'), path.join(folder, 'chunk-000001.parquet'));
  const duplicated = await runCli(['dataset', 'merge', out]);
  assert.match(duplicated.stderr, /explained more than once: /);
});

test('bad input: a manifest naming missing files, other settings in the same folder, a running shard', async () => {
  const manifest = path.join(input, 'manifest.csv');
  writeFileSync(
    manifest,
    'path,label\nAe_aegypti/Ae_aegypti-0000.wav,Ae_aegypti\nnope/a.wav,Aedes\nnope/b.wav,Aedes\n',
  );
  const missing = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    manifest,
    '--out',
    path.join(work, 'manifest'),
  ]);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    `wingbeats-xai: Manifest '${manifest}' names 2 missing files (relative to ${input}): nope/a.wav, nope/b.wav.\n`,
  );
  writeFileSync(
    manifest,
    'path,label\nAe_aegypti/Ae_aegypti-0000.wav,Ae_aegypti\nCu_pipiens/Cu_pipiens-0001.wav,Cu_pipiens\n',
  );
  const out = path.join(work, 'manifest');
  const ok = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    manifest,
    '--out',
    out,
    '--json',
    '--quiet',
    '--target',
    'label',
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).examples, 2);
  const other = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    manifest,
    '--out',
    out,
    '--methods',
    'gradients',
  ]);
  assert.match(
    other.stderr,
    /^wingbeats-xai: Option '--out' names '.*manifest', which holds a run with other settings \(methods, target differ\); use another --out, or --force to start over\.\n$/,
  );
  const forced = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    manifest,
    '--out',
    out,
    '--methods',
    'gradients',
    '--force',
    '--json',
    '--quiet',
  ]);
  assert.equal(forced.code, 0, forced.stderr);
  const lock = path.join(out, 'parts', 'shard-0000-of-0001', 'lock');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname() }));
  const busy = await runCli(['dataset', '--model', model, '--input', manifest, '--out', out, '--methods', 'gradients']);
  assert.match(busy.stderr, new RegExp(`Shard 0/1 of '.*manifest' is already running \\(process ${process.pid} on `));
  const badShard = await runCli(['dataset', '--model', model, '--input', input, '--shard', '2/2']);
  assert.equal(
    badShard.stderr,
    "wingbeats-xai: Option '--shard': the shard index must be an integer in 0..1 but got '2'.\n",
  );
});

test('model inputs (.json lists, .npy) without labels: one row per input, summaries by predicted class only', async () => {
  const folder = path.join(work, 'inputs');
  const table = path.join(work, 'one', 'table.parquet');
  const rows = await query(
    `SELECT input FROM read_parquet('${table}') WHERE method = 'saliency' AND error IS NULL ORDER BY path LIMIT 3`,
  );
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'two.json'), JSON.stringify([rows[0].input, rows[1].input]));
  writeFileSync(path.join(folder, 'one.npy'), encodeNpy(Float32Array.from(rows[2].input as number[]), [129, 1]));
  const result = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    folder,
    '--out',
    path.join(work, 'inputs-out'),
    '--json',
    '--quiet',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout);
  assert.equal(parsed.examples, 3);
  assert.ok(parsed.summary.classes.every((c: { by: string }) => c.by === 'predicted'));
  assert.equal(parsed.summary.accuracy, null);
  const stored = await query(
    `SELECT path, "index" AS i, label FROM read_parquet('${parsed.table}') ORDER BY path, "index"`,
  );
  assert.deepEqual(stored, [
    { path: 'one.npy', i: 0, label: null },
    { path: 'two.json', i: 0, label: null },
    { path: 'two.json', i: 1, label: null },
  ]);
});

test('--baseline FILE (zeros as a file) equals the default zero baseline; --windows all gives one row per window', async () => {
  const zeros = path.join(work, 'zeros.json');
  writeFileSync(zeros, JSON.stringify(new Array(129).fill(0)));
  const args = [
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--methods',
    'integrated-gradients',
    '--steps',
    '8',
    '--limit',
    '3',
    '--json',
    '--quiet',
  ];
  const plain = await runCli([...args, '--out', path.join(work, 'baseline-default')]);
  const withFile = await runCli([...args, '--baseline', zeros, '--out', path.join(work, 'baseline-file')]);
  assert.equal(withFile.code, 0, withFile.stderr);
  const attributions = async (out: string): Promise<unknown[]> =>
    (
      await query(`SELECT attributions FROM read_parquet('${path.join(work, out, 'table.parquet')}') ORDER BY path`)
    ).map((r) => r.attributions);
  assert.deepEqual(await attributions('baseline-file'), await attributions('baseline-default'));
  assert.equal(JSON.parse(plain.stdout).examples, 3);
  const windows = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--limit',
    '2',
    '--windows',
    'all',
    '--out',
    path.join(work, 'windows'),
    '--json',
    '--quiet',
  ]);
  assert.equal(windows.code, 0, windows.stderr);
  const rows = await query(
    `SELECT path, max("index")::INTEGER AS last FROM read_parquet('${JSON.parse(windows.stdout).table}') GROUP BY path ORDER BY path`,
  );
  assert.equal(rows.length, 2);
  for (const row of rows) assert.ok(row.last >= 0);
  assert.equal(
    JSON.parse(windows.stdout).examples,
    rows.reduce((n, r) => n + r.last + 1, 0),
  );
});
