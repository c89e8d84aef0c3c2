/**
 * Issue 25, data sets and inputs: nothing read outside what the user named (manifest `../` lines, links leading out,
 * outputs inside inputs), one file one example however spelled, one line for every damaged part or settings file,
 * locks that hold against `--force`, and rows keyed on the model's and recordings' bytes.
 */
import assert from 'node:assert/strict';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { listDataset } from '../../src/node/dataset/listing.js';
import { listInputFiles } from '../../src/node/input-paths.js';
import { liveLockOwner } from '../../src/node/dataset/lock.js';
import { processStartTime } from '../../src/node/folder-lock.js';
import { readTableRowGroups } from '../../src/node/dataset/table-file.js';
import { tableSchema, rowsToColumns, TABLE_METADATA_KEY, type DatasetRow } from '../../src/dataset/table.js';

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-dataset-inputs-'));
const demoDir = path.join(repoRoot, 'assets', 'demo-model');
const data = path.join(work, 'data');
const outside = path.join(work, 'outside');
let relativePaths: string[] = [];

before(async () => {
  await useWasm();
  // Two recordings (one changed in place, one kept) suffice; every run draws each recording's charts.
  relativePaths = await writeSyntheticDataset(data, { perSpecies: 1, seed: 3, species: ['Ae_aegypti', 'Cu_pipiens'] });
  mkdirSync(outside);
  cpSync(path.join(data, relativePaths[0]), path.join(outside, 'secret.wav'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function dataset(args: string[], model = path.join(demoDir, 'model.json')) {
  return runCli(['dataset', '--model', model, '--methods', 'saliency', '--quiet', ...args]);
}

function oneLine(stderr: string): string {
  assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
  return stderr.trim();
}

test('a manifest line ../outside/secret.wav, a manifest link out of the data set, and a link.wav in a class folder are refused, nothing read', async () => {
  const manifest = path.join(data, 'up.csv');
  writeFileSync(manifest, `path,label\n${relativePaths[0]},Ae_aegypti\n../outside/secret.wav,Ae_aegypti\n`);
  await assert.rejects(listDataset(manifest), /names 1 file outside its folder .*: \.\.\/outside\/secret\.wav/);
  const run = await dataset(['--input', manifest, '--out', path.join(work, 'up-out')]);
  assert.equal(run.code, 1);
  assert.match(oneLine(run.stderr), /Manifest '.*up\.csv' names 1 file outside its folder/);
  assert.ok(!existsSync(path.join(work, 'up-out', 'table.parquet')));

  const linked = path.join(work, 'linked');
  cpSync(data, linked, { recursive: true });
  symlinkSync(path.join(outside, 'secret.wav'), path.join(linked, 'Ae_aegypti', 'link.wav'));
  writeFileSync(path.join(linked, 'm.csv'), 'path,label\nAe_aegypti/link.wav,Ae_aegypti\n');
  await assert.rejects(listDataset(path.join(linked, 'm.csv')), /names 1 file outside its folder/);
  await assert.rejects(
    listDataset(linked),
    /the folder '.*linked' holds 1 link to files outside it \(Ae_aegypti\/link\.wav → .*outside\/secret\.wav\)/,
  );
  await assert.rejects(listInputFiles([linked]), /holds 1 link to files outside it/);
  rmSync(linked, { recursive: true });
});

test('one file is one example: a1.wav, ./a1.wav and //a1.wav, or a link to it, are refused as the same file; a folder keeps it once', async () => {
  const manifest = path.join(data, 'twice.csv');
  const [first] = relativePaths;
  writeFileSync(manifest, `path,label\n${first},A\n./${first},A\n//${first},A\n`);
  await assert.rejects(listDataset(manifest), /line 3: '\.\/.*' is listed twice \(line 2 names the same file\)/);
  const aliases = path.join(work, 'aliases');
  cpSync(data, aliases, { recursive: true });
  symlinkSync(path.join(aliases, first), path.join(aliases, 'Cu_pipiens', 'alias.wav'));
  writeFileSync(path.join(aliases, 'm.csv'), `path,label\n${first},A\nCu_pipiens/alias.wav,B\n`);
  await assert.rejects(listDataset(path.join(aliases, 'm.csv')), /names the same file twice under different names/);
  const listing = await listDataset(aliases);
  assert.equal(listing.examples.length, relativePaths.length, 'the link is the same file: listed once');
  const files = await listInputFiles([aliases, path.join(aliases, first)]);
  assert.equal(files.length, relativePaths.length);
  rmSync(aliases, { recursive: true });
});

test('dataset --out inside --input never reads its own outputs (second run resumes everything); batch --out inside --input neither', async () => {
  const copy = path.join(work, 'self');
  cpSync(data, copy, { recursive: true });
  const out = path.join(copy, 'explained');
  const first = await dataset(['--input', copy, '--out', out, '--json']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(JSON.parse(first.stdout).examples, relativePaths.length);
  const second = await dataset(['--input', copy, '--out', out, '--json']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal(JSON.parse(second.stdout).examples, relativePaths.length, 'settings.json is not an example');

  rmSync(out, { recursive: true }); // another command's outputs are inputs like any other file
  const results = path.join(copy, 'results');
  for (let i = 0; i < 3; i++) {
    const batch = await runCli([
      'batch',
      '--model',
      path.join(demoDir, 'model.json'),
      '--input',
      copy,
      '--out',
      results,
      '--json',
      '--quiet',
    ]);
    assert.equal(batch.code, 0, batch.stderr);
    assert.equal(JSON.parse(batch.stdout).files.length, relativePaths.length, `run ${i + 1}: only the recordings`);
  }
  assert.deepEqual(
    readdirSync(results)
      .filter((n) => !n.startsWith('.'))
      .sort(),
    ['Ae_aegypti', 'Cu_pipiens', 'batch.json'],
  );
});

/** A copy of the demo model in its own folder (its weights may be changed in place). */
function modelCopy(name: string): string {
  const dir = path.join(work, name);
  cpSync(demoDir, dir, { recursive: true });
  return path.join(dir, 'model.json');
}

test('rows are reused only for the same model bytes and recording bytes: a changed recording or weights.bin is recomputed and counted; --no-recompute refuses', async () => {
  const copy = path.join(work, 'changing');
  cpSync(data, copy, { recursive: true });
  const model = modelCopy('changing-model');
  const out = path.join(work, 'changing-out');
  const run = (extra: string[] = []) => dataset(['--input', copy, '--out', out, '--json', ...extra], model);
  assert.equal((await run()).code, 0);
  const again = await run();
  assert.equal(JSON.parse(again.stdout).recomputed, 0);

  // A recording changed in place (same name, other bytes).
  cpSync(path.join(copy, relativePaths[1]), path.join(copy, relativePaths[0]));
  const refused = await run(['--no-recompute']);
  assert.equal(refused.code, 1);
  assert.match(
    oneLine(refused.stderr),
    /Option '--no-recompute': 1 example of shard 0\/1 .* was explained with another model, recording or version \(Ae_aegypti\/Ae_aegypti-0000\.wav\)/,
  );
  const recomputed = await run();
  assert.equal(recomputed.code, 0, recomputed.stderr);
  assert.equal(JSON.parse(recomputed.stdout).recomputed, 1);
  const inputs = new Map<string, number[]>();
  for await (const rows of readTableRowGroups(path.join(out, 'table.parquet'), ['path', 'input']))
    for (const row of rows) inputs.set(row.path, row.input ?? []);
  assert.deepEqual(inputs.get(relativePaths[0]), inputs.get(relativePaths[1]), 'the new bytes were explained');

  // The model's weights changed in place.
  const weights = path.join(path.dirname(model), 'weights.bin');
  const bytes = readFileSync(weights);
  bytes[bytes.length - 1] ^= 0x01;
  writeFileSync(weights, bytes);
  const noRecompute = await run(['--no-recompute']);
  assert.match(oneLine(noRecompute.stderr), /holds results made by another model \(its bytes changed\)/);
  const all = await run();
  assert.equal(JSON.parse(all.stdout).recomputed, relativePaths.length);
});

test('damaged part files and settings.json: one line naming the file and what to do; a footer declaring 2^31 rows is refused before reading', async () => {
  const out = path.join(work, 'damaged');
  const args = ['--input', data, '--out', out, '--shard', '0/1', '--json'];
  assert.equal((await dataset(args)).code, 0);
  const part = path.join(out, 'parts', 'shard-0000-of-0001', 'chunk-000000.parquet');
  const good = readFileSync(part);

  truncateSync(part, good.length - 20);
  for (const result of [await runCli(['dataset', 'merge', out]), await dataset(args)]) {
    assert.equal(result.code, 1);
    assert.match(
      oneLine(result.stderr),
      /'.*chunk-000000\.parquet' is not a readable wingbeats-xai table: .*; remove '.*chunk-000000\.parquet' and run/,
    );
  }

  // Another program's Parquet file (other columns).
  const foreign = new ParquetWriter({
    writer: fileWriter(part),
    schema: [
      { name: 'root', num_children: 1 },
      { name: 'x', type: 'INT32', repetition_type: 'REQUIRED' },
    ],
  });
  foreign.write({ columnData: [{ name: 'x', data: [1, 2, 3] }] });
  foreign.finish();
  assert.match(oneLine((await runCli(['dataset', 'merge', out])).stderr), /lacks the columns path, index, /);

  // Our schema, but the footer declares 2^31 rows.
  const row: DatasetRow = {
    path: relativePaths[0],
    index: 0,
    label: null,
    split: null,
    method: 'saliency',
    predicted: null,
    predictedIndex: null,
    target: null,
    targetName: null,
    probabilities: null,
    scores: null,
    heads: null,
    input: null,
    attributions: null,
    heatmap: null,
    delta: null,
    error: 'x',
    warnings: [],
  };
  const huge = new ParquetWriter({
    writer: fileWriter(part),
    schema: tableSchema(),
    kvMetadata: [{ key: TABLE_METADATA_KEY, value: '{}' }],
  });
  huge.write({ columnData: rowsToColumns([row]) });
  const internals = huge as unknown as { num_rows: bigint; row_groups: { num_rows: bigint }[] };
  internals.num_rows = 2n ** 31n;
  internals.row_groups[0].num_rows = 2n ** 31n;
  huge.finish();
  const started = performance.now();
  const merge = await runCli(['dataset', 'merge', out]);
  assert.match(oneLine(merge.stderr), /row group 0 declares 2147483648 rows/);
  assert.ok(performance.now() - started < 10_000);
  writeFileSync(part, good);

  const settings = path.join(out, 'settings.json');
  const text = readFileSync(settings, 'utf8');
  writeFileSync(settings, '[]');
  assert.match(
    oneLine((await runCli(['dataset', 'merge', out])).stderr),
    /'.*settings\.json' must hold a JSON object \(a dataset run's settings\) but holds an array; remove it/,
  );
  writeFileSync(settings, text.slice(0, 100));
  const truncated = await dataset(args);
  assert.match(oneLine(truncated.stderr), /'.*settings\.json' is not valid JSON: .*; remove it/);
  writeFileSync(settings, text);
  assert.equal((await runCli(['dataset', 'merge', out])).code, 0);
});

test('--out naming a file is refused before the model is loaded', async () => {
  const file = path.join(work, 'a-file');
  writeFileSync(file, 'x');
  const result = await dataset(['--input', data, '--out', file], path.join(work, 'no-such-model.json'));
  assert.equal(result.code, 1);
  assert.match(oneLine(result.stderr), /Option '--out' must be a folder but '.*a-file' is a file/);
});

test("--force never removes a live run's parts or lock; a lock whose pid now belongs to another process is stale", async () => {
  const out = path.join(work, 'forced');
  assert.equal((await dataset(['--input', data, '--out', out, '--shard', '0/2'])).code, 0);
  const folder = path.join(out, 'parts', 'shard-0000-of-0002');
  const lock = path.join(folder, 'lock');
  const live = JSON.stringify({ pid: process.pid, host: hostname(), processStart: processStartTime(process.pid) });
  writeFileSync(lock, live);
  const before = readdirSync(folder).sort();
  const forced = await dataset(['--input', data, '--out', out, '--shard', '1/2', '--force']);
  assert.equal(forced.code, 1);
  assert.match(oneLine(forced.stderr), /is already running \(process \d+ on .*\); wait for it/);
  assert.deepEqual(readdirSync(folder).sort(), before, 'nothing of the live run removed');
  assert.equal(readFileSync(lock, 'utf8'), live);
  assert.ok(existsSync(path.join(out, 'settings.json')));

  assert.notEqual(liveLockOwner(lock), undefined);
  if (processStartTime(process.pid) !== undefined) {
    writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname(), processStart: '1' }));
    assert.equal(liveLockOwner(lock), undefined, 'the pid was reused by a later process');
  }
  writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname() }));
  assert.equal(liveLockOwner(lock), undefined, 'dead pid');
  const retaken = await dataset(['--input', data, '--out', out, '--shard', '1/2', '--force']);
  assert.equal(retaken.code, 0, retaken.stderr);
});

test("merge takes over the lock of a killed merge and removes its temporary table; a killed run's settings temporary is removed; nothing of their own is left", async () => {
  const out = path.join(work, 'merged');
  assert.equal((await dataset(['--input', data, '--out', out])).code, 0);
  const leftover = path.join(out, `.table.parquet.${2 ** 22 + 7}.tmp`);
  writeFileSync(leftover, Buffer.alloc(1000));
  writeFileSync(path.join(out, '.merge.lock'), JSON.stringify({ pid: 2 ** 22 + 7, host: hostname() }));
  const merge = await runCli(['dataset', 'merge', out]);
  assert.equal(merge.code, 0, merge.stderr);
  writeFileSync(path.join(out, `.settings.${2 ** 22 + 8}.tmp`), '{}');
  assert.equal((await dataset(['--input', data, '--out', out])).code, 0);
  assert.deepEqual(
    readdirSync(out).filter((n) => n.endsWith('.tmp') || n.includes('lock')),
    [],
  );
});
