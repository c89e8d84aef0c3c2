/** `--workers N` on every command that runs a model: shown in help with its bound, checked, and never changing results. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useWasm } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

test('--workers is on every model-running command, bounded, and does not change results', async () => {
  for (const command of ['explain', 'report', 'batch', 'evaluate', 'uncertainty', 'sanity', 'dataset']) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--workers <n>\s+worker threads sharing the work/, `${command} --help`);
  }
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-workers-'));
  const net = conv1dNet(31);
  const modelFile = await saveModelJson(net, path.join(work, 'model'));
  net.dispose();
  const inputFile = path.join(work, 'x.json');
  const x = randomBatch([3, 12, 2], 32);
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  x.dispose();
  const explain = async (workers: string) => {
    const argv = ['explain', '--model', modelFile, '--input', inputFile, '--method', 'integrated-gradients'];
    const { code, stdout, stderr } = await runCli([...argv, '--workers', workers, '--json', '--quiet']);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout).results;
  };
  assert.deepEqual(await explain('2'), await explain('1'));
  const bad = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--workers', '0']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "wingbeats-xai: Option '--workers' must be an integer in [1, 64] but got '0'.\n");
});
