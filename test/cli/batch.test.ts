/**
 * `wingbeats-xai batch`: many files, one folder each, failures reported without stopping, resumable. The runs take
 * three and two of the six demo recordings: the counts, resuming and --force do not depend on how many files there
 * are, and every file costs about 0.2 s of CPU per method (its result files and two pictures).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

test('batch explains every file, reports a broken one, and a second run redoes only what is missing', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-batch-'));
  const inputs = path.join(work, 'recordings');
  for (const name of ['Ae_aegypti_synthetic.wav', 'An_arabiensis_synthetic.wav', 'Cu_pipiens_synthetic.wav'])
    cpSync(path.join(repoRoot, 'assets', 'demo-recordings', name), path.join(inputs, name));
  writeFileSync(path.join(inputs, 'broken.wav'), 'not a wav file at all');
  const out = path.join(work, 'out');
  const argv = [
    'batch',
    '--model',
    path.join(repoRoot, 'assets', 'demo-model', 'model.json'),
    '--input',
    inputs,
    '--methods',
    'saliency,input-x-gradient',
    '--out',
    out,
    '--json',
    '--quiet',
  ];
  const first = await runCli(argv);
  assert.equal(first.code, 1, 'a failed file makes the exit code non-zero');
  const summary = JSON.parse(first.stdout);
  assert.deepEqual(summary.counts, { done: 3, skipped: 0, failed: 1 });
  assert.match(first.stderr, /broken\.wav: File 'broken\.wav' is not a WAV file/);
  assert.match(first.stderr, /1 of 4 files failed/);
  assert.equal(existsSync(path.join(out, 'broken.wav')), false, 'no folder for the failed file');
  const folder = path.join(out, 'Cu_pipiens_synthetic.wav');
  assert.equal(readdirSync(folder).length, 2 * 5 + 1);
  const result = JSON.parse(readFileSync(path.join(folder, 'result.json'), 'utf8'));
  assert.equal(result.inputs[0].targetName, 'Cu_pipiens');
  assert.equal(result.results.length, 2);
  // Resume: remove one folder and fix the broken file; only those two are explained again.
  rmSync(folder, { recursive: true });
  cpSync(path.join(repoRoot, 'assets', 'demo-recordings', 'An_gambiae_synthetic.wav'), path.join(inputs, 'broken.wav'));
  const second = await runCli(argv);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(JSON.parse(second.stdout).counts, { done: 2, skipped: 2, failed: 0 });
  assert.ok(existsSync(path.join(folder, 'result.json')));
});

test('batch --target explains the named class for every file; --force redoes finished files', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-batch-target-'));
  const inputs = path.join(work, 'recordings');
  for (const name of ['Ae_albopictus_synthetic.wav', 'Cu_quinquefasciatus_synthetic.wav'])
    cpSync(path.join(repoRoot, 'assets', 'demo-recordings', name), path.join(inputs, name));
  const out = path.join(work, 'out');
  const argv = [
    'batch',
    '--model',
    path.join(repoRoot, 'assets', 'demo-model', 'model.json'),
    '--input',
    inputs,
    '--target',
    'Cu_pipiens',
    '--out',
    out,
    '--json',
    '--quiet',
  ];
  const first = await runCli(argv);
  assert.equal(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.files.length, 2);
  for (const file of summary.files)
    assert.deepEqual(
      file.inputs.map((i: { targetName: string }) => i.targetName),
      ['Cu_pipiens'],
    );
  const again = await runCli([...argv, '--force']);
  assert.deepEqual(JSON.parse(again.stdout).counts, { done: 2, skipped: 0, failed: 0 });
});
