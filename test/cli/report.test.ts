/** `wingbeats-xai report`: several methods side by side for any model, recordings or inputs, in one HTML file. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-report-'));

test('report on a folder of recordings: every input, its prediction and every method, self-contained', async () => {
  const out = path.join(work, 'demo-report');
  const { code, stdout, stderr } = await runCli([
    'report', '--model', path.join(repoRoot, 'assets', 'demo-model', 'model.json'), '--input', path.join(repoRoot, 'assets', 'demo-recordings'),
    '--methods', 'saliency,integrated-gradients', '--steps', '8', '--title', 'Demo <check>', '--out', out, '--json', '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.deepEqual(document.methods, ['saliency', 'integrated-gradients']);
  assert.equal(document.preset, 'potamitis-psd');
  assert.equal(document.results.length, 12);
  assert.deepEqual(readdirSync(out).sort(), ['report.html', 'report.json']);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /Demo &lt;check&gt;/, 'the title is escaped');
  assert.equal((html.match(/<img /g) ?? []).length, 6 * 3, 'input picture + two explanations per recording');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/i);
});

test('report on a multi-head model shows every classifier head and skips the embedding', { skip: skipWithoutShared }, async () => {
  const out = path.join(work, 'hiera-report');
  const model = path.join(sharedDir, 'models', 'Potatamis', 'psd', 'HieraEmbCls', 'HieraEmbCls_psd_frozen.h5');
  const recording = path.join(sharedDir, 'data', 'recordings', 'Cx.Quin_1F_6D_25C_SmallCylinder_cut31.wav');
  const { code, stderr } = await runCli(['report', '--model', model, '--input', recording, '--output', 'species', '--methods', 'saliency', '--out', out, '--quiet']);
  assert.equal(code, 0, stderr);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /genus/);
  assert.match(html, /Culex/);
  assert.match(html, /Cu_quinquefasciatus/);
  assert.doesNotMatch(html, /<caption>embedding/);
});

test('report errors: an unknown method, one line, nothing written', async () => {
  const out = path.join(work, 'never');
  const { code, stderr } = await runCli(['report', '--model', path.join(repoRoot, 'assets', 'demo-model', 'model.json'), '--input', path.join(repoRoot, 'assets', 'demo-recordings'), '--methods', 'saliency,lime', '--out', out]);
  assert.equal(code, 1);
  assert.match(stderr, /^wingbeats-xai: Option '--methods' must be a comma-separated list of gradients, saliency, .* but got 'lime'\.\n$/);
  assert.equal(existsSync(out), false);
});
