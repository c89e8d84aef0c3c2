/**
 * The input-range check for models without an input batch norm: `--stats FILE` (from `wingbeats-xai stats` over
 * training inputs) gives the training statistics, per input value; an input far from them gets the warning; every
 * result says what its range was checked against (`inputRange`), or that it could not be checked. Library:
 * `statisticsOfInputs` and `checkInputRange` against a textbook count.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
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
});
