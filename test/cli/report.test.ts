/**
 * `wingbeats-xai report`: several methods side by side for any model, recordings or inputs, in one HTML file. The
 * report on a folder takes a folder of three demo recordings (the demo command's test reports on all six), the layout
 * test two of the six microphone recordings.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { runCli } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-report-'));

test('report on a folder of recordings: every input, its prediction and every method, self-contained', async () => {
  const out = path.join(work, 'demo-report');
  const recordings = path.join(work, 'recordings');
  for (const name of ['Ae_albopictus_synthetic.wav', 'An_gambiae_synthetic.wav', 'Cu_pipiens_synthetic.wav'])
    cpSync(path.join(repoRoot, 'assets', 'demo-recordings', name), path.join(recordings, name));
  const { code, stdout, stderr } = await runCli([
    'report',
    '--model',
    path.join(repoRoot, 'assets', 'demo-model', 'model.json'),
    '--input',
    recordings,
    '--methods',
    'saliency,integrated-gradients',
    '--steps',
    '8',
    '--title',
    'Demo <check>',
    '--out',
    out,
    '--json',
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const document = JSON.parse(stdout);
  assert.deepEqual(document.methods, ['saliency', 'integrated-gradients']);
  assert.equal(document.preset, 'potamitis-psd');
  assert.equal(document.results.length, 3 * 2);
  assert.deepEqual(readdirSync(out).sort(), ['.wingbeats-xai-output', 'report.html', 'report.json']);
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  assert.match(html, /Demo &lt;check&gt;/, 'the title is escaped');
  assert.equal((html.match(/<img /g) ?? []).length, 3 * 3, 'input picture + two explanations per recording');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?https?:/i);
});

test(
  'report on a multi-head model shows every classifier head and skips the embedding',
  { skip: skipWithoutShared },
  async () => {
    const out = path.join(work, 'hiera-report');
    const model = path.join(sharedDir, 'models', 'Potatamis', 'psd', 'HieraEmbCls', 'HieraEmbCls_psd_frozen.h5');
    const recording = path.join(sharedDir, 'data', 'recordings', 'Cx.Quin_1F_6D_25C_SmallCylinder_cut31.wav');
    const { code, stderr } = await runCli([
      'report',
      '--model',
      model,
      '--input',
      recording,
      '--output',
      'species',
      '--methods',
      'saliency',
      '--out',
      out,
      '--quiet',
    ]);
    assert.equal(code, 0, stderr);
    const html = readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.match(html, /genus/);
    assert.match(html, /Culex/);
    assert.match(html, /Cu_quinquefasciatus/);
    assert.doesNotMatch(html, /<caption>embedding/);
  },
);

test(
  'report layout: summary table at the top, an audio player and warnings per recording, spectrogram input once in dB, explanations alone and large',
  { skip: skipWithoutShared },
  async () => {
    // Two of the six microphone recordings (test/cli/day-one.test.ts checks the warning's figures on all six).
    const recordings = path.join(sharedDir, 'data', 'recordings');
    const two = path.join(work, 'layout-recordings');
    for (const name of ['Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav', 'Cx.Quin_1F_6D_25C_SmallCylinder_cut31.wav'])
      cpSync(path.join(recordings, name), path.join(two, name));
    const psdOut = path.join(work, 'layout-psd');
    const psd = await runCli([
      'report',
      '--model',
      path.join(sharedDir, 'models', 'Potatamis_Sequential', 'PSD', 'Mosquito_CNN_PSD.h5'),
      '--input',
      two,
      '--methods',
      'saliency',
      '--out',
      psdOut,
      '--json',
      '--quiet',
    ]);
    assert.equal(psd.code, 0, psd.stderr);
    const document = JSON.parse(psd.stdout);
    assert.equal(document.head, 'species');
    assert.equal(
      document.warnings.length,
      2,
      'each microphone recording is far from the training data of Mosquito_CNN_PSD',
    );
    const html = readFileSync(path.join(psdOut, 'report.html'), 'utf8');
    const summary = html.indexOf('<section class="card summary"><h2>Summary</h2>');
    assert.ok(
      summary > 0 && summary < html.indexOf('<section class="card" id="item-0">'),
      'the summary comes before the first recording',
    );
    assert.match(
      html,
      /<th>Predicted \(species\)<\/th><th>p<\/th><th>Explained class<\/th><th>Most relevant bands \(saliency\)<\/th><th>Warnings<\/th>/,
    );
    assert.equal((html.match(/<audio controls preload="none" src="data:audio\/wav;base64,/g) ?? []).length, 2);
    assert.equal((html.match(/<ul class="warnings"><li>/g) ?? []).length, 2);
    assert.match(html, /training standard deviations above the training mean/);
    assert.match(html, /Relevance 0–1 is normalised per example/);

    const spectrogramOut = path.join(work, 'layout-spectrogram');
    const aedes = path.join(recordings, 'Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav');
    const spectrogram = await runCli([
      'report',
      '--model',
      path.join(sharedDir, 'models', 'Potatamis', 'spectro', 'SimpleCls', 'SimpleCls_spectro_frozen.h5'),
      '--input',
      aedes,
      '--methods',
      'saliency,gradients',
      '--out',
      spectrogramOut,
      '--quiet',
    ]);
    assert.equal(spectrogram.code, 0, spectrogram.stderr);
    const page = readFileSync(path.join(spectrogramOut, 'report.html'), 'utf8');
    const svgs = [...page.matchAll(/<img src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) =>
      Buffer.from(m[1], 'base64').toString('utf8'),
    );
    assert.equal(svgs.length, 3, 'the input once, and one picture per method');
    assert.match(svgs[0], /\|level\| \(dB\)/, 'the spectrogram input in dB');
    for (const svg of svgs.slice(1)) {
      assert.doesNotMatch(svg, />Input</, 'explanations do not repeat the input');
      assert.match(svg, /Time \(s\)/);
      const width = Number(/<svg[^>]*width="([\d.]+)"/.exec(svg)?.[1]);
      assert.ok(width >= 640, `a large explanation (${width} px wide)`);
    }
  },
);

test('report errors: an unknown method, one line, nothing written', async () => {
  const out = path.join(work, 'never');
  const { code, stderr } = await runCli([
    'report',
    '--model',
    path.join(repoRoot, 'assets', 'demo-model', 'model.json'),
    '--input',
    path.join(repoRoot, 'assets', 'demo-recordings'),
    '--methods',
    'saliency,nope',
    '--out',
    out,
  ]);
  assert.equal(code, 1);
  assert.match(
    stderr,
    /^wingbeats-xai: Option '--methods' must be a comma-separated list of gradients, saliency, .* but got 'nope'\.\n$/,
  );
  assert.equal(existsSync(out), false);
});
