/** `batch --contrast` and `report --contrast`: the margin score(target) − score(contrast), as `explain --contrast` gives it. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { assertClose, flat, repoRoot, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const recording = 'Cu_pipiens_synthetic.wav';

test('batch --contrast and report --contrast carry the contrast per result and equal explain --contrast', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-contrast-batch-'));
  const inputs = path.join(work, 'recordings');
  mkdirSync(inputs);
  cpSync(path.join(repoRoot, 'assets', 'demo-recordings', recording), path.join(inputs, recording));
  const explain = await runCli([
    'explain',
    '--model',
    model,
    '--input',
    path.join(inputs, recording),
    '--method',
    'input-x-gradient',
    '--contrast',
    'rival',
    '--json',
    '--quiet',
  ]);
  assert.equal(explain.code, 0, explain.stderr);
  const expected = JSON.parse(explain.stdout).results[0];
  assert.equal(typeof expected.contrast, 'number');

  const out = path.join(work, 'batch');
  const argv = ['batch', '--model', model, '--input', inputs, '--methods', 'input-x-gradient', '--out', out];
  const first = await runCli([...argv, '--contrast', 'rival', '--json', '--quiet']);
  assert.equal(first.code, 0, first.stderr);
  const result = JSON.parse(readFileSync(path.join(out, recording, 'result.json'), 'utf8')).results[0];
  assert.equal(result.contrast, expected.contrast);
  assert.equal(result.contrastName, expected.contrastName);
  assertClose(flat(result.attributions), flat(expected.attributions), 1e-6);
  // The contrast is part of what made the result: the same run skips, another contrast explains again.
  const again = await runCli([...argv, '--contrast', 'rival', '--json', '--quiet']);
  assert.deepEqual(JSON.parse(again.stdout).counts, { done: 0, skipped: 1, failed: 0 });
  const otherClass = [0, 1, 2].find((c) => c !== expected.target && c !== expected.contrast) as number;
  const other = await runCli([...argv, '--contrast', String(otherClass), '--json', '--quiet']);
  assert.equal(other.code, 0, other.stderr);
  assert.deepEqual(JSON.parse(other.stdout).counts, { done: 1, skipped: 0, failed: 0 });

  const reportDir = path.join(work, 'report');
  const report = await runCli([
    'report',
    '--model',
    model,
    '--input',
    path.join(inputs, recording),
    '--methods',
    'gradients,input-x-gradient',
    '--contrast',
    'rival',
    '--out',
    reportDir,
    '--quiet',
  ]);
  assert.equal(report.code, 0, report.stderr);
  const document = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8'));
  const ixg = document.results.find((r: { method: string }) => r.method === 'input-x-gradient');
  assert.equal(ixg.contrast, expected.contrast);
  assertClose(flat(ixg.attributions), flat(expected.attributions), 1e-6);
  const html = readFileSync(path.join(reportDir, 'report.html'), 'utf8');
  const caption = `Contrast: score(${expected.targetName}) − score(${expected.contrastName})`;
  assert.ok(html.split(caption).length - 1 >= 2, 'a contrast caption under both explanations');
  const refused = await runCli([...argv, '--methods', 'grad-cam', '--contrast', 'rival', '--force', '--quiet']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /'contrast' of 'grad-cam' is not supported/);
});
