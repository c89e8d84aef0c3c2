/**
 * `explain --contrast CLASS|rival`: the margin score(target) − score(contrast), as the library computes it; and
 * `batch --contrast` and `report --contrast`, as `explain --contrast` gives it (one test process for both, which had a
 * file each).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contrastiveAttribution } from '../../src/attribution/contrast.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, flat, repoRoot, useWasm } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-contrast-'));

test('explain --contrast: JSON carries contrast per result, attributions equal the library; non-linear methods refused', async () => {
  const net = conv1dNet(111);
  const modelFile = await saveModelJson(net, path.join(work, 'conv1d'));
  net.dispose();
  const x = randomBatch([2, 12, 2], 112);
  const inputFile = path.join(work, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  const base = ['explain', '--model', modelFile, '--input', inputFile, '--json', '--quiet'];
  for (const [method, contrast] of [
    ['input-x-gradient', '2'],
    ['integrated-gradients', 'rival'],
  ]) {
    const { code, stdout, stderr } = await runCli([
      ...base,
      '--method',
      method,
      '--contrast',
      contrast,
      '--target',
      '0',
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout) as { results: { contrast: number; attributions: number[][] }[] };
    const model = await loadModelFile(modelFile);
    const library = await contrastiveAttribution(method as 'input-x-gradient', model, x, {
      target: 0,
      contrast: contrast === 'rival' ? 'rival' : 2,
      seed: 0,
    });
    assert.deepEqual(
      document.results.map((r) => r.contrast),
      library.contrasts,
    );
    const size = 24;
    const values = flat(library.attributions);
    document.results.forEach((r, i) => assertClose(flat(r.attributions), values.slice(i * size, (i + 1) * size), 1e-6));
    disposeAttribution(library);
    model.dispose();
  }
  const refused = await runCli([...base, '--method', 'grad-cam', '--contrast', '1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /'contrast' of 'grad-cam' is not supported/);
  const same = await runCli([...base, '--contrast', '0', '--target', '0']);
  assert.notEqual(same.code, 0);
  assert.match(same.stderr, /'--contrast'/);
  x.dispose();
});

const demoModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const demoRecording = 'Cu_pipiens_synthetic.wav';

test('batch --contrast and report --contrast carry the contrast per result and equal explain --contrast', async () => {
  const batchWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-contrast-batch-'));
  const inputs = path.join(batchWork, 'recordings');
  mkdirSync(inputs);
  cpSync(path.join(repoRoot, 'assets', 'demo-recordings', demoRecording), path.join(inputs, demoRecording));
  const explain = await runCli([
    'explain',
    '--model',
    demoModel,
    '--input',
    path.join(inputs, demoRecording),
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

  const out = path.join(batchWork, 'batch');
  const argv = ['batch', '--model', demoModel, '--input', inputs, '--methods', 'input-x-gradient', '--out', out];
  const first = await runCli([...argv, '--contrast', 'rival', '--json', '--quiet']);
  assert.equal(first.code, 0, first.stderr);
  const result = JSON.parse(readFileSync(path.join(out, demoRecording, 'result.json'), 'utf8')).results[0];
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

  const reportDir = path.join(batchWork, 'report');
  const report = await runCli([
    'report',
    '--model',
    demoModel,
    '--input',
    path.join(inputs, demoRecording),
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
