/**
 * `explain --audio`: NAME.used.wav and NAME.ignored.wav have the recording's rate and length and, written with one
 * common gain (audio.gain), add up to the recording times that gain; re-classification is the model's answer on the
 * written files ÷ gain (on the window it explained); `--audio-unseen used` puts what the model never heard in `used`;
 * the report's players play both parts with the same gain.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeWav } from '../../src/signal/wav.js';
import { encodeWavFloat32 } from '../../src/signal/wav-encode.js';
import { computeFeatures } from '../../src/signal/features.js';
import { resampleTo } from '../../src/signal/resample.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, useWasm } from '../helpers.js';
import { seedWeights } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-audio-'));

test('explain --audio writes the two parts, which add up, and reports what the model makes of each written file', async () => {
  const net = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [129, 1], filters: 2, kernelSize: 5, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(net, 41, 0.2);
  const modelFile = await saveModelJson(net, path.join(work, 'psd'));
  net.dispose();
  // 1 s at 16 kHz (the preset's rate is 8 kHz, its window 0.625 s), louder from 0.3125 to 0.8125 s: the loudest
  // window starts after 0 s and ends before 1 s, so there are samples before and after what the model heard.
  const samples = Float32Array.from(
    { length: 16000 },
    (_, t) =>
      (t > 5000 && t < 13000 ? 1 : 0.3) *
      (0.5 * Math.sin((2 * Math.PI * 600 * t) / 16000) + 0.2 * Math.sin((2 * Math.PI * 2500 * t) / 16000)),
  );
  const wav = path.join(work, 'tone.wav');
  writeFileSync(wav, encodeWavFloat32(samples, 16000));
  const out = path.join(work, 'out');
  const { code, stdout, stderr } = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    wav,
    '--method',
    'saliency',
    '--audio',
    '--audio-share',
    '0.1',
    '--out',
    out,
    '--json',
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout).results[0];
  assert.deepEqual(result.audio.mask, { mapping: 'hard', share: 0.1 });
  const read = (file: string) => decodeWav(readFileSync(path.join(out, file)));
  const usedWav = read(result.audio.used.file);
  const ignoredWav = read(result.audio.ignored.file);
  const [used, ignored] = [usedWav.samples, ignoredWav.samples];
  // One gain for both: the loudest of the recording and its parts at 0.9 of full scale.
  const gain = result.audio.gain.value;
  let loudest = 0;
  for (const signal of [samples.map((v) => v * gain), used, ignored])
    for (const v of signal) loudest = Math.max(loudest, Math.abs(v));
  assertClose([loudest], [0.9], 1e-6);
  assert.match(result.audio.gain.rule, /one gain for both/);
  assert.equal(result.audio.used.file, 'tone.wav.used.wav');
  assert.deepEqual([usedWav.sampleRate, ignoredWav.sampleRate, result.audio.sampleRate], [16000, 16000, 16000]);
  assert.deepEqual([used.length, ignored.length], [16000, 16000]);
  assert.equal(result.audio.unseen, 'ignored');
  // The model's window: 5000 samples at 8 kHz from the loudest start, i.e. 0.625 s of the recording.
  const { startSeconds, endSeconds } = result.audio.window;
  assert.ok(startSeconds > 0 && endSeconds < 1, `window ${startSeconds} … ${endSeconds} s`);
  assertClose([endSeconds - startSeconds], [0.625], 1e-4);
  const start = Math.round(startSeconds * 8000);
  // Outside it the model heard nothing, so nothing there is used.
  assert.ok(used.slice(0, Math.floor(startSeconds * 16000)).every((v) => v === 0));
  assert.ok(used.slice(Math.ceil(endSeconds * 16000)).every((v) => v === 0));
  assert.ok(used.some((v) => v !== 0));
  const model = await loadModelFile(modelFile);
  // Running the model on a written file the way a recording is run: resampled to 8 kHz, the explained window cut out.
  const classify = (x: Float32Array) => {
    const window = resampleTo(x, 16000, 8000).slice(start, start + 5000);
    const { data, shape } = computeFeatures(window, 'potamitis-psd');
    const p = tf.tidy(() =>
      Array.from(model.run(tf.tensor(data, [1, ...shape]), { scores: 'probabilities' }).dataSync()),
    );
    const best = p.indexOf(Math.max(...p));
    return { predicted: best, probability: p[best] };
  };
  const sum = used.map((u, i) => u + ignored[i]);
  assertClose(
    sum,
    samples.map((v) => v * gain),
    8 * 2 ** -24,
    0,
    'used + ignored = recording × gain',
  );
  for (const [part, written] of [
    ['used', used],
    ['ignored', ignored],
  ] as const) {
    const again = classify(written.map((v) => v / gain));
    assert.equal(result.audio[part].predicted, again.predicted);
    assertClose([result.audio[part].probability], [again.probability], 1e-6);
  }
  model.dispose();
  // report --audio: two players under every explanation, labelled with the same re-classification.
  const reportDir = path.join(work, 'report');
  const report = await runCli([
    'report',
    '--model',
    modelFile,
    '--input',
    wav,
    '--methods',
    'saliency,gradients',
    '--audio',
    '--audio-share',
    '0.1',
    '--out',
    reportDir,
    '--quiet',
  ]);
  assert.equal(report.code, 0, report.stderr);
  const html = readFileSync(path.join(reportDir, 'report.html'), 'utf8');
  assert.equal(html.match(/<div class="part">What the model used/g)?.length, 2);
  assert.equal(html.match(/<div class="part">What it ignored[^<]*<audio controls/g)?.length, 2);
  const reportJson = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8'));
  const saliencyAudio = reportJson.results.find((r: { method: string }) => r.method === 'saliency').audio;
  assert.deepEqual(saliencyAudio.used.predicted, result.audio.used.predicted);
  assertClose([saliencyAudio.ignored.probability], [result.audio.ignored.probability], 1e-7);
  // The players of one explanation share its gain: used + ignored = recording × gain, to 16-bit rounding.
  const players = [
    ...html.matchAll(
      /<div class="part">What [^<]*<audio controls preload="none" src="data:audio\/wav;base64,([^"]+)"/g,
    ),
  ];
  const [usedPcm, ignoredPcm] = players.slice(0, 2).map((m) => decodeWav(Buffer.from(m[1], 'base64')).samples);
  const reportGain = saliencyAudio.gain.value;
  assertClose(
    usedPcm.map((u, i) => u + ignoredPcm[i]),
    samples.map((v) => v * reportGain),
    2.5 / 32767,
    0,
    'players: used + ignored = recording × gain',
  );
  // --audio-unseen used: what the model never heard (outside its window) is in used, untouched.
  const unseenOut = path.join(work, 'unseen');
  const unseen = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    wav,
    '--method',
    'saliency',
    '--audio',
    '--audio-unseen',
    'used',
    '--out',
    unseenOut,
    '--json',
    '--quiet',
  ]);
  assert.equal(unseen.code, 0, unseen.stderr);
  const unseenAudio = JSON.parse(unseen.stdout).results[0].audio;
  assert.equal(unseenAudio.unseen, 'used');
  const before = Math.floor(unseenAudio.window.startSeconds * 16000) - 1;
  const usedAll = decodeWav(readFileSync(path.join(unseenOut, unseenAudio.used.file))).samples;
  assertClose(
    usedAll.slice(0, before),
    samples.slice(0, before).map((v) => v * unseenAudio.gain.value),
    2 ** -24,
    1e-6,
    'unseen samples in used',
  );
  const bad = await runCli(['explain', '--model', modelFile, '--input', wav, '--audio', '--audio-share', '2']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /'--audio-share'/);
});
