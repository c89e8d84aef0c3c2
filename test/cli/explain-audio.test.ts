/** `explain --audio`: NAME.used.wav and NAME.ignored.wav add up to the window the model heard; re-classification is the model's answer on the written files. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeWav } from '../../src/signal/wav.js';
import { encodeWavFloat32 } from '../../src/signal/wav-encode.js';
import { computeFeatures } from '../../src/signal/features.js';
import { normalisePeak } from '../../src/signal/normalise.js';
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
  const samples = Float32Array.from(
    { length: 5000 },
    (_, t) => 0.5 * Math.sin((2 * Math.PI * 600 * t) / 8000) + 0.2 * Math.sin((2 * Math.PI * 2500 * t) / 8000),
  );
  const wav = path.join(work, 'tone.wav');
  writeFileSync(wav, encodeWavFloat32(samples, 8000));
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
  const read = (file: string) => decodeWav(readFileSync(path.join(out, file))).samples;
  const used = read(result.audio.used.file);
  const ignored = read(result.audio.ignored.file);
  assert.equal(result.audio.used.file, 'tone.wav.used.wav');
  assert.equal(used.length, 5000);
  // The window the model heard: the whole 5000-sample recording, peak-normalised.
  const model = await loadModelFile(modelFile);
  const classify = (x: Float32Array) => {
    const { data, shape } = computeFeatures(x, 'potamitis-psd');
    const p = tf.tidy(() =>
      Array.from(model.run(tf.tensor(data, [1, ...shape]), { scores: 'probabilities' }).dataSync()),
    );
    const best = p.indexOf(Math.max(...p));
    return { predicted: best, probability: p[best] };
  };
  const sum = used.map((u, i) => u + ignored[i]);
  const heard = Float32Array.from(normalisePeak(samples));
  assertClose(sum, heard, 1e-6, 0, 'used + ignored');
  for (const [part, values] of [
    ['used', used],
    ['ignored', ignored],
  ] as const) {
    const again = classify(values);
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
  const bad = await runCli(['explain', '--model', modelFile, '--input', wav, '--audio', '--audio-share', '2']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /'--audio-share'/);
});
