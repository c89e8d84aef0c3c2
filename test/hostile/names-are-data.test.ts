/**
 * Issue 25, names are data: a file name with terminal escapes or bidirectional overrides is printed escaped on every
 * path (`batch`'s outcome lines and failure lines included), reaches SVG/HTML escaped, and never makes a valid input
 * fail; `--quantiles` with an empty entry is refused.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli } from '../cli/cli-helpers.js';
import { escapeHtml } from '../../src/render/html-escape.js';

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-names-'));
const model = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const recording = path.join(repoRoot, 'assets', 'demo-recordings', 'Ae_aegypti_synthetic.wav');
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

before(useWasm);
after(() => rmSync(work, { recursive: true, force: true }));

test('batch prints a broken file named with ESC, BEL and a bidi override escaped, on stdout and stderr', async () => {
  const input = path.join(work, 'in');
  mkdirSync(input);
  const name = 'bad\u001b]0;owned\u0007\u202e.wav';
  writeFileSync(path.join(input, name), 'RIFF, not a WAV');
  cpSync(recording, path.join(input, 'good.wav'));
  const result = await runCli(['batch', '--model', model, '--input', input, '--out', path.join(work, 'out')]);
  assert.equal(result.code, 1);
  assert.doesNotMatch(result.stdout, RAW);
  assert.doesNotMatch(result.stderr, RAW);
  assert.match(result.stdout, /failed +.*bad\\x1b\]0;owned\\x07\\u202e\.wav: /);
  assert.match(result.stdout, /done +.*good\.wav: /);
});

test('a valid WAV with ESC in its name is explained and rendered (names escaped in SVG and HTML)', async () => {
  const file = path.join(work, 'rec\u001b[31m.wav');
  cpSync(recording, file);
  const out = path.join(work, 'explained');
  const result = await runCli(['explain', '--model', model, '--input', file, '--out', out, '--quiet']);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(readdirSync(out, { recursive: true }).some((n) => String(n).endsWith('.png')));
  assert.equal(escapeHtml('a\u001b<b>\u202e'), 'a\\x1b&lt;b&gt;\\u202e');
});

test("uncertainty --quantiles '0.5,,0.5' and repeated quantiles are refused in one line", async () => {
  for (const [text, pattern] of [
    ['0.5,,0.5', /Option '--quantiles' must be a comma-separated list without empty entries but got '0\.5,,0\.5'\./],
    ['0.5,0.5', /Option '--quantiles' must list each quantile once but got 0\.5 twice/],
  ] as const) {
    const result = await runCli(['uncertainty', '--model', model, '--input', recording, '--quantiles', text]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, pattern);
  }
});

test('a file named with a newline stays on one line: batch (stdout and stderr) and the failures dataset lists', async () => {
  const input = path.join(work, 'newline');
  mkdirSync(input);
  writeFileSync(path.join(input, 'bad\nname.wav'), 'RIFF, not a WAV');
  const batch = await runCli(['batch', '--model', model, '--input', input, '--out', path.join(work, 'newline-out')]);
  assert.equal(batch.code, 1);
  assert.deepEqual(
    batch.stdout
      .trim()
      .split('\n')
      .map((l) => l.replace(/: .*/, '')),
    [`failed  ${path.join(input, 'bad name.wav')}`],
  );
  assert.equal(batch.stderr.trim().split('\n').length, 2, batch.stderr);
  assert.match(batch.stderr, /bad name\.wav: File 'bad name\.wav' is not a WAV file/);
  const dataset = await runCli([
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--out',
    path.join(work, 'newline-dataset'),
    '--methods',
    'saliency',
    '--quiet',
  ]);
  assert.equal(dataset.code, 0, dataset.stderr);
  assert.deepEqual(dataset.stderr.trim().split('\n'), [
    'wingbeats-xai warning: 1 of 1 examples failed:',
    "  bad name.wav: File 'bad name.wav' is not a WAV file: it does not start with a RIFF/WAVE header.",
  ]);
});
