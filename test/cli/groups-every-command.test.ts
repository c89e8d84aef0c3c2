/**
 * `--groups harmonics` (f0 estimated per recording) on every command that takes `--groups`: explain, report and batch
 * record `f0Hz` and the harmonic groups; evaluate (pixel flipping and --metrics), sanity and uncertainty run the group
 * method over the same harmonic groups (numbers checked against explain's); and `.npy`/`.json` inputs, which have no
 * Hz axis, are refused in one line naming `--groups`. The demo model and one synthetic recording keep it fast.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertClose, repoRoot, useWasm } from '../helpers.js';
import { runCli, saveModelJson } from './cli-helpers.js';
import { conv1dNet } from '../tiny-models.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { sparseness } from '../../src/evaluation/sparseness.js';

const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-groups-every-'));
const folder = path.join(work, 'recordings');
let wav = '';

interface Explained {
  f0Hz: number;
  groups: { name: string; positions: number[] }[];
  groupAttributions: number[];
  attributions: number[][];
  input: number[][];
}
let explained: Explained;

async function run(command: string, ...args: string[]): Promise<any> {
  const out = path.join(work, `${command}-${args.join('-').replace(/[^a-z0-9]+/gi, '')}`);
  const result = await runCli([
    command,
    '--model',
    model,
    '--groups',
    'harmonics',
    '--out',
    out,
    '--json',
    '--quiet',
    ...args,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return { ...JSON.parse(result.stdout), out };
}

before(async () => {
  await useWasm();
  await writeSyntheticDataset(folder, { perSpecies: 1, seed: 5, species: ['Ae_aegypti'] });
  const file = readdirSync(folder, { recursive: true })
    .map(String)
    .find((f) => f.endsWith('.wav'));
  wav = path.join(folder, file as string);
  explained = (await run('explain', '--input', wav, '--method', 'feature-ablation')).results[0];
});

/** Asserts that `map` holds one value per harmonic group of `explained` (every position of a group equal). */
function constantPerGroup(map: number[], what: string): void {
  for (const group of explained.groups) {
    const values = group.positions.map((p) => map[p]);
    assert.ok(
      values.every((v) => Math.abs(v - values[0]) <= 1e-6 * (1 + Math.abs(values[0]))),
      `${what}: not constant in ${group.name}`,
    );
  }
}

test('explain, report and batch --groups harmonics record f0Hz and the harmonic groups', async () => {
  assert.ok(explained.f0Hz > 100 && explained.f0Hz < 1000, `f0 ${explained.f0Hz}`);
  assert.deepEqual(
    explained.groups.slice(0, 3).map((g) => g.name),
    ['below f0', 'f0', '2f0'],
  );
  const report = (await run('report', '--input', wav, '--methods', 'feature-ablation')).results[0];
  assert.equal(report.f0Hz, explained.f0Hz);
  assertClose(report.groupAttributions, explained.groupAttributions, 1e-6, 1e-6);
  const batch = await run('batch', '--input', wav, '--methods', 'feature-ablation');
  const perFile = readdirSync(batch.out, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json') && f.includes(path.sep));
  const written = perFile.map((f) => JSON.parse(readFileSync(path.join(batch.out, f), 'utf8')));
  const withF0 = written.flatMap((doc) => (doc.results ?? []).filter((r: { f0Hz?: number }) => r.f0Hz !== undefined));
  assert.ok(withF0.length > 0, `no f0Hz in ${perFile.join(', ')}`);
  assert.equal(withF0[0].f0Hz, explained.f0Hz);
});

test('evaluate --groups harmonics: pixel flipping flips the top harmonic group first; --metrics on the same map', async () => {
  const flipping = await run('evaluate', '--input', wav, '--methods', 'feature-ablation', '--random-seeds', '1');
  const curve = flipping.results[0].curves.find((c: { method: string }) => c.method === 'feature-ablation');
  const magnitude = explained.groupAttributions.map(Math.abs);
  const top = explained.groups[magnitude.indexOf(Math.max(...magnitude))];
  // Every position of a group holds its value: the group of largest |value| is flipped first, as a whole.
  const first: number[] = curve.positions.slice(0, top.positions.length);
  assert.ok(
    first.every((p) => top.positions.includes(p)),
    `first flipped ${first} not all in ${top.name}`,
  );
  const metrics = await run('evaluate', '--input', wav, '--methods', 'feature-ablation', '--metrics', 'sparseness');
  assertClose(
    [metrics.results[0].metrics['feature-ablation'].sparseness],
    [sparseness(explained.attributions.flat())],
    1e-5,
  );
});

test('sanity and uncertainty --groups harmonics: the maps hold one value per harmonic group', async () => {
  const sanity = await run('sanity', '--input', wav, '--methods', 'feature-ablation');
  assert.ok(sanity.results[0].curves[0].spearman.every((v: number) => Number.isFinite(v)));
  const uncertainty = await run('uncertainty', '--input', wav, '--method', 'feature-ablation', '--samples', '2');
  const row = uncertainty.results[0];
  for (const [i, map] of row.quantileMaps.entries()) constantPerGroup(map, `quantile map ${i}`);
  constantPerGroup(row.mean, 'mean');
});

test("--groups harmonics on model inputs: the Hz axis of the model's preset, else refused in one line", async () => {
  // The demo model's input is a Potamitis PSD: a .json model input has that preset's Hz axis, and the same f0.
  const inputFile = path.join(work, 'input.json');
  writeFileSync(inputFile, JSON.stringify(explained.input));
  const again = (await run('explain', '--input', inputFile, '--method', 'feature-ablation')).results[0];
  assert.equal(again.f0Hz, explained.f0Hz);
  assertClose(again.groupAttributions, explained.groupAttributions, 1e-5, 1e-5);
  // A model whose input no preset describes has no Hz axis: refused, naming the option.
  const net = conv1dNet(7);
  const tiny = await saveModelJson(net, path.join(work, 'tiny'));
  net.dispose();
  const tinyInput = path.join(work, 'tiny-input.json');
  writeFileSync(tinyInput, JSON.stringify(Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(i)])));
  for (const command of ['evaluate', 'sanity']) {
    const result = await runCli([
      command,
      '--model',
      tiny,
      '--input',
      tinyInput,
      '--methods',
      'shapley',
      '--groups',
      'harmonics',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /^wingbeats-xai: Option '--groups' is 'harmonics', which needs the frequency/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});

test('the efficiency gap of group methods is named as such', async () => {
  const text = await runCli([
    'explain',
    '--model',
    model,
    '--input',
    wav,
    '--method',
    'shapley',
    '--groups',
    'bands:4',
    '--quiet',
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /shapley of head 'species' .*, efficiency gap -?[\d.]+e[+-]\d+ \([\d.e+-]+ % of \|f\(x\) − f\(baseline\)\|\); strongest groups: band/,
  );
});
