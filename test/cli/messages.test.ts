/**
 * Messages in the command line's words: errors name the flag the user typed, typos get the nearest choice (methods,
 * presets, heads, classes), no word is said twice, `report` prints its path once, `dataset --help` names `.keras`.
 * And program-wide conventions: `--version`, one default style in help, `stats --json` without `--out` (they had a
 * file of their own, test/cli/program.test.ts; one test process for both).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';
import { nearestName } from '../../src/util/nearest-name.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-messages-'));
const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const recording = path.join(repoRoot, 'assets', 'demo-recordings', 'Ae_aegypti_synthetic.wav');
const base = ['--model', model, '--input', recording, '--quiet'];

/** Runs the command line and returns its one error line (asserting it failed with exactly one line). */
async function errorLine(argv: string[]): Promise<string> {
  const result = await runCli(argv);
  assert.equal(result.code, 1, result.stdout);
  assert.equal(result.stderr.split('\n').filter((l) => l !== '').length, 1, result.stderr);
  return result.stderr.trim();
}

test('nearestName: typos, case and separators; nothing for a word that is not near', () => {
  assert.equal(nearestName('salency', ['gradients', 'saliency']), 'saliency');
  assert.equal(nearestName('guided-backprob', ['guided-backprop', 'guided-grad-cam']), 'guided-backprop');
  assert.equal(nearestName('SPECIES', ['genus', 'species']), 'species');
  assert.equal(nearestName('integrated', ['integrated-gradients', 'input-x-gradient']), 'integrated-gradients');
  assert.equal(nearestName('xyz', ['saliency', 'gradients']), undefined);
  assert.equal(nearestName('', ['saliency']), undefined);
});

test('errors name the flag and suggest the nearest method, preset, head and class', async () => {
  assert.equal(
    await errorLine(['explain', ...base, '--method', 'salency']),
    "wingbeats-xai: Option '--method' must be one of gradients, saliency, guided-backprop, integrated-gradients, input-x-gradient, smoothgrad, grad-cam, guided-grad-cam, occlusion, deeplift, lrp, feature-ablation, shapley, shapley-sampling, kernel-shap, lime, gradient-shap, deeplift-shap but got 'salency'. Did you mean 'saliency'?",
  );
  assert.match(
    await errorLine(['report', ...base, '--methods', 'saliency,guided-backprob', '--out', path.join(work, 'r')]),
    /^wingbeats-xai: Option '--methods' must be .* but got 'guided-backprob'\. Did you mean 'guided-backprop'\?$/,
  );
  assert.match(
    await errorLine(['explain', ...base, '--preset', 'potamitis-psdd']),
    /^wingbeats-xai: Option '--preset' must be one of .* but got 'potamitis-psdd'\. Did you mean 'potamitis-psd'\?$/,
  );
  assert.equal(
    await errorLine(['explain', ...base, '--output', 'specie']),
    "wingbeats-xai: Option '--output' must be one of 'species' (or an index) but got 'specie'. Did you mean 'species'?",
  );
  assert.match(
    await errorLine(['explain', ...base, '--target', 'Ae_egypti']),
    /^wingbeats-xai: Option '--target' must be one of the class names 'Ae_aegypti', .* but got 'Ae_egypti'\. Did you mean 'Ae_aegypti'\?$/,
  );
  const line = await errorLine(['uncertainty', ...base, '--target', 'Culex']);
  assert.match(line, /^wingbeats-xai: Option '--target' must be one of the class names/);
  assert.doesNotMatch(line, /Did you mean/, 'no suggestion for a word that is not near any class');
});

test('batch says "failed" once per failed file; report prints its path once', async () => {
  const folder = path.join(work, 'in');
  const { mkdirSync, writeFileSync, copyFileSync } = await import('node:fs');
  mkdirSync(folder);
  copyFileSync(recording, path.join(folder, 'good.wav'));
  writeFileSync(path.join(folder, 'bad.wav'), 'not a recording');
  const batch = await runCli(['batch', '--model', model, '--input', folder, '--out', path.join(work, 'b'), '--quiet']);
  assert.equal(batch.code, 1);
  assert.doesNotMatch(batch.stdout + batch.stderr, /failed: failed|(\b\w+): \1:/);
  assert.match(batch.stdout, /^failed {2}\S*bad\.wav: File 'bad\.wav'/m);
  const out = path.join(work, 'report');
  const report = await runCli([
    'report',
    '--model',
    model,
    '--input',
    recording,
    '--methods',
    'saliency',
    '--out',
    out,
  ]);
  assert.equal(report.code, 0, report.stderr);
  const reportPath = path.join(out, 'report.html');
  assert.equal((report.stdout + report.stderr).split(reportPath).length - 1, 1, report.stdout + report.stderr);
});

test('dataset --help names .keras models', async () => {
  const help = await runCli(['dataset', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--model <file>\s+Keras \.keras or \.h5/);
});

test('--version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const { code, stdout } = await runCli([flag]);
    assert.equal(code, 0);
    assert.equal(stdout, `${version}\n`);
  }
});

test('help states defaults in one style: "(default: ...)" from commander, never hand-written', async () => {
  for (const command of ['demo', 'explain', 'report', 'batch', 'features', 'evaluate', 'uncertainty', 'stats']) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    const text = stdout.replace(/\s+/g, ' ');
    assert.doesNotMatch(text, /\(default [^:]/i, `${command}: a default outside "(default: ...)"`);
    assert.doesNotMatch(text, /default: "[\d.]+"/, `${command}: a number default given as a string`);
  }
});

test('stats --json works without --out and writes nothing', async () => {
  const { code, stdout, stderr } = await runCli([
    'stats',
    '--input',
    recording,
    '--preset',
    'potamitis-psd',
    '--json',
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.deepEqual(document.shape, [129, 1]);
  assert.equal(document.file, undefined);
  assert.ok(document.count >= 1);
  const neither = await runCli(['stats', '--input', recording, '--preset', 'potamitis-psd']);
  assert.equal(neither.code, 1);
  assert.equal(neither.stderr, "wingbeats-xai: Command 'stats' needs --out FILE or --json (or both).\n");
});
