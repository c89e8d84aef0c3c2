/** `wingbeats-xai sanity`: the command-line contract (JSON equals the library's numbers; plots with --out; errors). */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sanityCheck } from '../../src/evaluation/sanity-check.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { useWasm } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { runCli, saveModelJson } from '../cli/cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-sanity-'));

test('sanity --json: the numbers of sanityCheck; --out writes sanity.json and a plot per input; bad options are one line', async () => {
  const net = conv1dNet(61);
  const modelFile = await saveModelJson(net, path.join(work, 'conv1d'));
  net.dispose();
  const x = randomBatch([2, 12, 2], 62);
  const inputFile = path.join(work, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  const { code, stdout, stderr } = await runCli([
    'sanity',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--methods',
    'gradients,integrated-gradients',
    '--steps',
    '8',
    '--seed',
    '5',
    '--json',
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.equal(document.command, 'sanity');
  assert.equal(document.seed, 5);
  const model = await loadModelFile(modelFile);
  const api = await sanityCheck(model, x, {
    methods: ['gradients', 'integrated-gradients'],
    seed: 5,
    methodOptions: { steps: 8 },
  });
  model.dispose();
  assert.deepEqual(document.layers, api.layers);
  assert.deepEqual(
    document.results.map(({ input: _input, ...rest }: { input: string }) => rest),
    JSON.parse(JSON.stringify(api.results)),
  );
  const out = path.join(work, 'out');
  const written = await runCli(['sanity', '--model', modelFile, '--input', inputFile, '--out', out, '--quiet']);
  assert.equal(written.code, 0, written.stderr);
  assert.match(
    written.stdout,
    /^inputs\.json#0: target class \d; Spearman after full randomisation: gradients -?[\d.]+, guided-backprop -?[\d.]+, integrated-gradients -?[\d.]+\n/,
  );
  for (const name of ['sanity.json', 'sanity-0.svg', 'sanity-0.png', 'sanity-1.png'])
    assert.ok(existsSync(path.join(out, name)), name);
  const bad = await runCli(['sanity', '--model', modelFile, '--input', inputFile, '--methods', 'nope']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Option '--methods' must be a comma-separated list of .* but got 'nope'\./);
  x.dispose();
});
