/**
 * What a researcher reads out of `wingbeats-xai dataset` can be trusted: the warnings `explain` gives are in the table
 * (a `warnings` column) and the summaries (share out of range per class), the report names the explained class, labels
 * the model does not have stay out of the accuracy, failed files are named on the console, and a single recording works.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { wavBytes, writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { synthesizeWingbeat } from '../../src/demo/synthesize.js';
import { rivalClass } from '../../src/dataset/explain-rows.js';

const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-dataset-trust-'));
const input = path.join(work, 'recordings');
/** A model input 40 units above everything the demo model's input batch norm saw in training. */
const FAR_OFF_INPUT = JSON.stringify(Array.from({ length: 129 }, () => 40));
let run: { code: number; stdout: string; stderr: string };

before(async () => {
  await useWasm();
  await writeSyntheticDataset(input, { perSpecies: 2, seed: 5, species: ['Ae_aegypti', 'Cu_pipiens'] });
  // Recorded at 4 kHz: resampled up to the preset's 8 kHz, its upper half is empty.
  mkdirSync(path.join(input, 'An_dirus'));
  const low = synthesizeWingbeat('Ae_aegypti', { seed: 5, sampleRate: 4000, duration: 0.7, fundamental: 300 });
  writeFileSync(path.join(input, 'An_dirus', 'low.wav'), wavBytes(low.samples, 4000));
  writeFileSync(path.join(input, 'Cu_pipiens', 'far.json'), FAR_OFF_INPUT);
  writeFileSync(path.join(input, 'Cu_pipiens', 'broken.wav'), 'RIFF\u0000\u0001\u001b[31m not a WAV file');
  run = await runCli(['dataset', '--model', model, '--input', input, '--out', path.join(work, 'one'), '--quiet']);
});

async function query(sql: string): Promise<Record<string, any>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, any>[];
  } finally {
    connection.closeSync();
  }
}

const tableOf = (out: string): string => path.join(work, out, 'table.parquet').replace(/'/g, "''");
const summaryOf = (out: string): Record<string, any> =>
  JSON.parse(readFileSync(path.join(work, out, 'summary.json'), 'utf8'));

test('the warnings column holds the same warnings explain gives, read by DuckDB as a list of strings', async () => {
  assert.equal(run.code, 0, run.stderr);
  const [type] = await query(`DESCRIBE SELECT warnings FROM read_parquet('${tableOf('one')}')`);
  assert.equal(type.column_type, 'VARCHAR[]');
  const rows = await query(
    `SELECT path, warnings FROM read_parquet('${tableOf('one')}') WHERE len(warnings) > 0 ORDER BY path`,
  );
  assert.deepEqual(
    rows.map((r) => r.path),
    ['An_dirus/low.wav', 'Cu_pipiens/far.json'],
  );
  for (const [file, relative] of [
    [path.join(input, 'An_dirus', 'low.wav'), 'An_dirus/low.wav'],
    [path.join(input, 'Cu_pipiens', 'far.json'), 'Cu_pipiens/far.json'],
  ]) {
    const explained = await runCli(['explain', '--model', model, '--input', file, '--json', '--quiet']);
    assert.equal(explained.code, 0, explained.stderr);
    const expected = (JSON.parse(explained.stdout).results[0].warnings as string[]).map((w) =>
      w.split(`'${path.basename(file)}'`).join(`'${relative}'`),
    );
    assert.ok(expected.length > 0, `explain warns about ${relative}`);
    assert.deepEqual(rows.find((r) => r.path === relative)?.warnings, expected, relative);
  }
  assert.match(rows[0].warnings[0], /recorded at 4000 Hz and resampled up to 8000 Hz/);
  assert.match(rows[1].warnings[0], /training standard deviations above the training mean/);
});

test('summaries: warning counts, the share out of range per class (true and predicted), labels outside the model, settings with the engine', () => {
  const summary = summaryOf('one');
  assert.deepEqual(summary.warnings, {
    examples: 2,
    'out-of-range': 1,
    'resampled-up': 1,
    'forced-preset': 0,
    other: 0,
  });
  const cu = summary.classes.find((c: any) => c.by === 'label' && c.label === 'Cu_pipiens');
  assert.deepEqual([cu.count, cu.outOfRange, cu.outOfRangeShare], [3, 1, 1 / 3]);
  const ae = summary.classes.find((c: any) => c.by === 'label' && c.label === 'Ae_aegypti');
  assert.deepEqual([ae.outOfRange, ae.outOfRangeShare], [0, 0]);
  for (const c of summary.classes) assert.ok(c.by === 'label' || c.by === 'predicted');
  assert.deepEqual(summary.labelsOutsideModel, [{ label: 'An_dirus', examples: 1 }]);
  assert.ok(!summary.confusion.labels.includes('An_dirus'));
  const counted = summary.confusion.counts.flat().reduce((a: number, b: number) => a + b, 0);
  assert.equal(counted, 5, 'the five explained examples with labels the model has');
  assert.equal(summary.settings.engine, 'onnx', 'the default engine, where the model lowers to ONNX');
  assert.equal(summary.settings.target, null);
  assert.equal(summary.settings.methods[0], 'saliency');
});

test('the report states the warnings at the top and beside every class, and names the explained class everywhere', () => {
  const html = readFileSync(path.join(work, 'one', 'report.html'), 'utf8');
  const top = html.slice(0, html.indexOf('<div class="model">'));
  assert.match(
    top,
    /1 of 7 examples \(14\.3 %\) lie far outside the model&#39;s training range|1 of 7 examples \(14\.3 %\) lie far outside the model's training range/,
  );
  assert.match(top, /An_dirus \(1 examples\)/);
  assert.match(html, /Cu_pipiens \(true class\) · heatmaps explain the predicted class/);
  assert.match(html, /\(predicted class\) · heatmaps explain the predicted class/);
  assert.match(html, /1 of 3 \(33\.3 %\)/);
  assert.match(html, /Not counted: 1 examples whose labels \(An_dirus\) are not classes of the model/);
  const titles = [...html.matchAll(/<h[23]>([^<]*)<\/h[23]>/g)]
    .map((m) => m[1])
    .filter((t) => /All classes compared|Strongest bands|\((true|predicted) class\)/.test(t));
  assert.ok(titles.filter((t) => t.startsWith('All classes compared')).length >= 2, 'per true and per predicted class');
  for (const title of titles) assert.match(title, /explain(ing)? the predicted class/, title);
});

test('the console names the failed files with their reasons, and the count out of range; no control byte reaches it', () => {
  assert.match(run.stderr, /1 of 7 examples failed:\n {2}Cu_pipiens\/broken\.wav: .*not a WAV file/);
  assert.match(run.stderr, /1 of 7 examples lie far outside the model's training range/);
  assert.match(run.stderr, /1 of 7 examples have other warnings about their input \(resampled up from a low rate/);
  assert.match(run.stderr, /labels that are not classes of the model, kept out of the accuracy: An_dirus \(1\)/);
  assert.doesNotMatch(run.stderr, /[\u0000-\u0008\u000b-\u001f]/);
});

test('more than ten failed files: the first ten are listed, then how many more', async () => {
  const folder = path.join(work, 'many-broken', 'Ae_aegypti');
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < 13; i++) writeFileSync(path.join(folder, `b${String(i).padStart(2, '0')}.wav`), 'not a wav');
  const result = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    path.dirname(folder),
    '--out',
    path.join(work, 'many-out'),
    '--quiet',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const listed = result.stderr.split('\n').filter((l) => /^ {2}Ae_aegypti\/b\d\d\.wav: /.test(l));
  assert.equal(listed.length, 10);
  assert.match(result.stderr, /13 of 13 examples failed:/);
  assert.match(result.stderr, / {2}\.\.\. and 3 more \(all in summary\.json and the table's error column\)/);
});

test('--target rival explains the runner-up class, predicted is the default, a class name is named; the report says which', async () => {
  const rival = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--out',
    path.join(work, 'rival'),
    '--target',
    'rival',
    '--quiet',
  ]);
  assert.equal(rival.code, 0, rival.stderr);
  const rows = await query(
    `SELECT target, probabilities, predictedIndex FROM read_parquet('${tableOf('rival')}') WHERE error IS NULL`,
  );
  assert.equal(rows.length, 6);
  for (const row of rows) {
    assert.equal(row.target, rivalClass(row.probabilities));
    assert.notEqual(row.target, row.predictedIndex);
  }
  const html = readFileSync(path.join(work, 'rival', 'report.html'), 'utf8');
  assert.match(html, /heatmaps explain the runner-up class \(second-highest score\)/);
  assert.equal(summaryOf('rival').settings.target, 'rival');

  const predicted = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--out',
    path.join(work, 'predicted'),
    '--target',
    'predicted',
    '--quiet',
  ]);
  assert.equal(predicted.code, 0, predicted.stderr);
  assert.deepEqual(
    readFileSync(path.join(work, 'predicted', 'table.parquet')),
    readFileSync(path.join(work, 'one', 'table.parquet')),
    '--target predicted is the default',
  );
  const label = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    path.join(input, 'Ae_aegypti'),
    '--out',
    path.join(work, 'label'),
    '--target',
    'Cu_pipiens',
    '--quiet',
  ]);
  assert.equal(label.code, 0, label.stderr);
  assert.match(
    readFileSync(path.join(work, 'label', 'report.html'), 'utf8'),
    /heatmaps explain class &#39;Cu_pipiens&#39;|heatmaps explain class 'Cu_pipiens'/,
  );
});

test('--label-map maps folder names to class names; a bad map is named in one line', async () => {
  const map = path.join(work, 'map.json');
  writeFileSync(map, JSON.stringify({ An_dirus: 'An_gambiae' }));
  const mapped = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--out',
    path.join(work, 'mapped'),
    '--label-map',
    map,
    '--quiet',
  ]);
  assert.equal(mapped.code, 0, mapped.stderr);
  const summary = summaryOf('mapped');
  assert.deepEqual(summary.labelsOutsideModel, []);
  assert.ok(summary.confusion.labels.includes('An_gambiae'));
  assert.deepEqual(summary.settings.labelMap, { An_dirus: 'An_gambiae' });
  const [row] = await query(`SELECT label FROM read_parquet('${tableOf('mapped')}') WHERE path = 'An_dirus/low.wav'`);
  assert.equal(row.label, 'An_gambiae');
  writeFileSync(map, '["not", "a map"]');
  const bad = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--out',
    path.join(work, 'bad-map'),
    '--label-map',
    map,
  ]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /^wingbeats-xai: Option '--label-map' must name a JSON object \{"folder name": "class name", \.\.\.\} but '.*map\.json' is not one\.\n$/,
  );
});

test('a single recording as --input is a data set of one; other files are refused in one line without their bytes', async () => {
  const one = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    path.join(input, 'An_dirus', 'low.wav'),
    '--out',
    path.join(work, 'single'),
    '--json',
    '--quiet',
  ]);
  assert.equal(one.code, 0, one.stderr);
  const result = JSON.parse(one.stdout);
  assert.equal(result.examples, 1);
  assert.equal(result.errors, 0);
  const [row] = await query(
    `SELECT path, label, len(warnings)::INTEGER AS n FROM read_parquet('${tableOf('single')}')`,
  );
  assert.deepEqual(row, { path: 'low.wav', label: null, n: 1 });

  const binary = path.join(work, 'model.bin');
  writeFileSync(binary, Buffer.from([0, 1, 2, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xff, 0xfe, 0x0a, 0x2c, 0x2c]));
  const refused = await runCli(['dataset', '--model', model, '--input', binary, '--out', path.join(work, 'bin')]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^wingbeats-xai: Option '--input' must be a folder, a CSV manifest \(\.csv\) or one recording or input file \(\.wav, \.npy, \.json\) but got '.*model\.bin'\.\n$/,
  );
  const manifest = path.join(work, 'binary.csv');
  writeFileSync(manifest, Buffer.from([0x70, 0x61, 0x74, 0x68, 0, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x0a, 0x22, 0x2c]));
  const notText = await runCli(['dataset', '--model', model, '--input', manifest, '--out', path.join(work, 'csv')]);
  assert.equal(notText.code, 1);
  assert.match(notText.stderr, /^wingbeats-xai: Manifest '.*binary\.csv' is not a text file/);
  assert.doesNotMatch(refused.stderr + notText.stderr, /[\u0000-\u0008\u000b-\u001f]/);
});

test('a preset of another data set is refused once, before anything runs; forced, every row carries the warning', async () => {
  const folder = path.join(input, 'Ae_aegypti');
  const refused = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    folder,
    '--preset',
    'keogh-psd',
    '--out',
    path.join(work, 'keogh'),
  ]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^wingbeats-xai: Preset 'keogh-psd' is made for recordings of the Keogh data set/);
  assert.equal(refused.stderr.split('\n').length, 2, 'one line');
  assert.ok(!existsSync(path.join(work, 'keogh')), 'nothing written');
  const argv = ['dataset', '--model', model, '--input', folder, '--preset', 'keogh-psd', '--quiet'];
  const forced = await runCli([...argv, '--force-preset', '--out', path.join(work, 'keogh-forced')]);
  assert.equal(forced.code, 0, forced.stderr);
  const rows = await query(`SELECT warnings FROM read_parquet('${tableOf('keogh-forced')}')`);
  assert.equal(rows.length, 2);
  for (const row of rows) assert.match(row.warnings.join('\n'), /used anyway because the preset was forced/);
  assert.equal(summaryOf('keogh-forced').warnings['forced-preset'], 2);
  assert.equal(summaryOf('keogh-forced').settings.forcePreset, true);
  assert.match(forced.stderr, /2 of 2 examples have other warnings about their input/);
});

test('a binary file in the data set fails with a reason that quotes none of its bytes, in the table and on the console', async () => {
  const folder = path.join(work, 'binary', 'Ae_aegypti');
  mkdirSync(folder, { recursive: true });
  const bytes = Buffer.concat([Buffer.from([0, 1, 0x1b]), Buffer.from('[31mSECRET-BYTES'), Buffer.from([0xff, 0xfe])]);
  writeFileSync(path.join(folder, 'bin.json'), bytes);
  writeFileSync(path.join(folder, 'bin.npy'), bytes);
  const result = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    path.dirname(folder),
    '--out',
    path.join(work, 'binary-out'),
    '--quiet',
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /2 of 2 examples failed:\n {2}Ae_aegypti\/bin\.json: .*is not valid JSON/);
  const rows = await query(`SELECT DISTINCT error FROM read_parquet('${tableOf('binary-out')}')`);
  assert.equal(rows.length, 2);
  for (const text of [result.stderr, ...rows.map((r) => r.error as string)]) {
    assert.doesNotMatch(text, /SECRET-BYTES|[\u0000-\u0008\u000b-\u001f\ufffd]/, text);
  }
});
