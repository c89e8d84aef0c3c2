/**
 * The input-range check for models without an input batch norm: `--stats FILE` (from `wingbeats-xai stats` over
 * training inputs) gives the training statistics, per input value; an input far from them gets the warning; every
 * result says what its range was checked against (`inputRange`), or that it could not be checked; `dataset --stats`
 * puts the same warning in its rows and summaries. Library:
 * `statisticsOfInputs` and `checkInputRange` against a textbook count.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkInputRange, statisticsOfInputs } from '../../src/execution/input-range.js';
import { repoRoot, useWasm } from '../helpers.js';
import { conv1dNet } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-range-stats-'));

test('checkInputRange per input value: z-scores counted as a textbook loop; a value with std 0 is left out', () => {
  const mean = [0, 1, 2, 3, 4, 5];
  const std = [1, 1, 2, 0, 0.5, 1];
  const data = [4, 1, -5, 100, 4.1, 9];
  const statistics = statisticsOfInputs({ mean, std }, 'stats');
  const check = checkInputRange(statistics, data, [3, 2]);
  const z = [4, 0, -3.5, 0.2, 4]; // position 3 (std 0) left out
  assert.equal(check.positions, 5);
  assert.equal(check.above, 2);
  assert.equal(check.below, 1);
  assert.ok(Math.abs(check.deviation - z.reduce((a, b) => a + b) / 5) < 1e-12);
  assert.equal(check.farOff, true, 'three of five positions beyond 3 std');
  assert.throws(
    () => checkInputRange(statistics, [1, 2], [2]),
    /^WingbeatsError: Stats holds 6 values per input but the model's input has 2; make it with 'wingbeats-xai stats' over inputs of this model\.$/,
  );
});

test('explain --stats: the warning for a far-off input, inputRange names the file; without it: not checked', async () => {
  const net = conv1dNet(41);
  const modelFile = await saveModelJson(net, path.join(work, 'no-batch-norm'));
  net.dispose();
  const training = Array.from({ length: 4 }, (_, k) =>
    Array.from({ length: 12 }, (_, i) => [Math.sin(i + k) * 0.1, Math.cos(i - k) * 0.1]),
  );
  const trainingFile = path.join(work, 'training.json');
  writeFileSync(trainingFile, JSON.stringify(training));
  const statsFile = path.join(work, 'stats.json');
  const made = await runCli(['stats', '--model', modelFile, '--input', trainingFile, '--out', statsFile, '--quiet']);
  assert.equal(made.code, 0, made.stderr);
  const inputFile = path.join(work, 'inputs.json');
  const far = Array.from({ length: 12 }, () => [50, -50]);
  writeFileSync(inputFile, JSON.stringify([training[0], far]));
  const explain = async (...extra: string[]): Promise<{ results: Record<string, unknown>[] }> => {
    const run = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--json', '--quiet', ...extra]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout);
  };
  const checked = await explain('--stats', statsFile);
  assert.deepEqual(
    checked.results.map((r) => (r.warnings as string[]).length),
    [0, 1],
  );
  assert.match((checked.results[1].warnings as string[])[0], /The model was not trained on inputs like this/);
  assert.equal(checked.results[0].inputRange, `the statistics file '${statsFile}'`);
  const unchecked = await explain();
  assert.deepEqual(
    unchecked.results.map((r) => (r.warnings as string[]).length),
    [0, 0],
  );
  assert.match(String(unchecked.results[0].inputRange), /^not checked: the model has no input batch norm/);
  // The demo model has an input batch norm: its range is checked against it.
  const demo = await runCli([
    'explain',
    '--model',
    path.join(repoRoot, 'assets', 'demo-model', 'model.json'),
    '--input',
    path.join(repoRoot, 'assets', 'demo-recordings'),
    '--json',
    '--quiet',
  ]);
  assert.equal(demo.code, 0, demo.stderr);
  assert.match(String(JSON.parse(demo.stdout).results[0].inputRange), /^the model's input batch norm '/);
  // A bad file: one line naming the flag.
  const bad = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--stats', inputFile, '--quiet']);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--stats/);

  // dataset --stats: the same warning in the row's warnings column and the summary; the settings record the file.
  const folder = path.join(work, 'dataset');
  mkdirSync(path.join(folder, 'near'), { recursive: true });
  mkdirSync(path.join(folder, 'far'), { recursive: true });
  writeFileSync(path.join(folder, 'near', 'a.json'), JSON.stringify(training[0]));
  writeFileSync(path.join(folder, 'far', 'b.json'), JSON.stringify(far));
  const dataset = async (out: string, ...extra: string[]): Promise<Record<string, any>> => {
    const args = ['dataset', '--model', modelFile, '--input', folder, '--out', path.join(work, out), '--quiet'];
    const run = await runCli([...args, ...extra]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(readFileSync(path.join(work, out, 'summary.json'), 'utf8'));
  };
  const withStats = await dataset('with-stats', '--stats', statsFile);
  assert.equal(withStats.warnings['out-of-range'], 1);
  const farClass = withStats.classes.find((c: any) => c.by === 'label' && c.label === 'far');
  assert.deepEqual([farClass.count, farClass.outOfRange], [1, 1]);
  assert.equal(withStats.settings.stats.file, statsFile);
  assert.match(withStats.settings.stats.sha256, /^[0-9a-f]{64}$/);
  const withoutStats = await dataset('without-stats');
  assert.equal(withoutStats.warnings['out-of-range'], 0);
  assert.equal(withoutStats.settings.stats, undefined);
  // Resuming a run with another statistics file is another run: refused in one line naming the setting.
  const again = await runCli([
    'dataset',
    '--model',
    modelFile,
    '--input',
    folder,
    '--out',
    path.join(work, 'without-stats'),
    '--stats',
    statsFile,
    '--quiet',
  ]);
  assert.notEqual(again.code, 0);
  assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
  assert.match(again.stderr, /other settings \(stats differ\)/);
});
