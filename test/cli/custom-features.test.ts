/**
 * `--features FILE.json`: a model whose input no preset gives is fed from WAV files with the user's own recipe; the
 * inputs equal the library's `featuresFromRecording` with the same settings; bad settings get one line naming the field.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli, saveModelJson } from './cli-helpers.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { parseFeatureSettings } from '../../src/signal/feature-settings-file.js';
import { featureAxes } from '../../src/signal/feature-axes.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-custom-features-'));
const recording = path.join(repoRoot, 'assets', 'demo-recordings', 'Cu_pipiens_synthetic.wav');

const PSD = {
  kind: 'psd',
  sampleRate: 8000,
  windowLength: 4000,
  segmentLength: 128,
  overlap: 64,
  nFft: 128,
  bins: 65,
  normalisation: 'peak',
};

/** A tiny dense classifier over inputs of `shape`, saved as model.json in `dir`. */
async function tinyModel(shape: number[], dir: string): Promise<string> {
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: shape }),
      tf.layers.dense({ units: 3, kernelInitializer: 'glorotUniform' }),
    ],
  });
  const file = await saveModelJson(model, path.join(work, dir));
  model.dispose();
  return file;
}

function settingsFile(name: string, value: unknown): string {
  const file = path.join(work, name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

test('a PSD model with a non-preset input [65, 1] is explained from a WAV file with --features', async () => {
  const model = await tinyModel([65, 1], 'psd65');
  const refused = await runCli(['explain', '--model', model, '--input', recording, '--quiet']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /give your own feature settings \(on the command line: --features FILE\.json\)/);
  const settings = settingsFile('psd65.json', PSD);
  const result = await runCli(['explain', '--model', model, '--input', recording, '--features', settings, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const document = JSON.parse(result.stdout);
  const input = document.results[0].input.flat();
  assert.equal(input.length, 65);
  const expected = featuresFromRecording(await readWavFile(recording), parseFeatureSettings(PSD, 'x'));
  assert.deepEqual(input, Array.from(expected.data), 'the same float32 values as the library');
});

test('a spectrogram recipe extends a preset: [129, 57, 3] from frameStep 84', async () => {
  const model = await tinyModel([129, 57, 3], 'spec57');
  const settings = settingsFile('spec57.json', { extends: 'potamitis-spectrogram', hop: 84 });
  const result = await runCli([
    'report',
    '--model',
    model,
    '--input',
    recording,
    '--features',
    settings,
    '--methods',
    'saliency',
    '--out',
    path.join(work, 'spec-report'),
    '--json',
    '--quiet',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const document = JSON.parse(result.stdout);
  assert.equal(document.results.length, 1);
  assert.equal(document.preset, undefined, 'custom settings are no preset');
});

test('bad settings: one line naming --features and the field; --features with --preset is refused', async () => {
  const model = await tinyModel([65, 1], 'psd65-bad');
  const cases: [unknown, RegExp][] = [
    [{ ...PSD, bins: 100 }, /'bins' must be at most fftLength \/ 2 \+ 1 = 65 but got 100\./],
    [{ ...PSD, overlap: 128 }, /'overlap' \(128\) must be less than 'segmentLength' \(128\)\./],
    [{ ...PSD, hopp: 3 }, /'hopp' is not a setting of a psd recipe .*/],
    [{ ...PSD, normalisation: 'max' }, /'normalisation' must be 'peak' or 'none' but got "max"\./],
    [{ extends: 'potamitis-psdd' }, /'extends' must be one of .* Did you mean 'potamitis-psd'\?/],
    [{ ...PSD, kind: undefined }, /'kind' must be 'psd' or 'spectrogram'/],
  ];
  for (const [i, [value, message]] of cases.entries()) {
    const file = settingsFile(`bad-${i}.json`, value);
    const result = await runCli(['explain', '--model', model, '--input', recording, '--features', file]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^wingbeats-xai: The --features file '.*'/);
    assert.match(result.stderr, message);
  }
  const both = await runCli([
    'explain',
    '--model',
    model,
    '--input',
    recording,
    '--features',
    settingsFile('ok.json', PSD),
    '--preset',
    'potamitis-psd',
  ]);
  assert.equal(both.code, 1);
  assert.match(both.stderr, /--features .* cannot be used with option '--preset/);
});

test('features --features writes the inputs the recipe makes, with the recipe itself; neither --preset nor --features is refused', async () => {
  const file = settingsFile('features-psd.json', PSD);
  const result = await runCli(['features', '--input', recording, '--features', file, '--json']);
  assert.equal(result.code, 0, result.stderr);
  const document = JSON.parse(result.stdout);
  assert.equal(document.preset, 'custom');
  assert.deepEqual(document.shape, [65, 1]);
  assert.deepEqual(document.settings, parseFeatureSettings(PSD, 'x'));
  const expected = featuresFromRecording(await readWavFile(recording), parseFeatureSettings(PSD, 'x'));
  assert.deepEqual(document.features.flat(), Array.from(expected.data));
  const neither = await runCli(['features', '--input', recording]);
  assert.equal(neither.code, 1);
  assert.equal(
    neither.stderr,
    "wingbeats-xai: Command 'features' needs --preset NAME or --features FILE.json (your own recipe).\n",
  );
});

const MEL = {
  kind: 'spectrogram',
  sr: 8000,
  windowLength: 4000,
  win_length: 256,
  hop_length: 128,
  n_fft: 256,
  n_mels: 32,
  fmin: 50,
  ref: 'max',
  top_db: 80,
  center: true,
  normalisation: 'peak',
};

test('a log-mel model [32, 32, 1] is explained from a WAV file with a librosa-style --features recipe', async () => {
  const model = await tinyModel([32, 32, 1], 'mel32');
  const file = settingsFile('mel32.json', MEL);
  const features = await runCli(['features', '--input', recording, '--features', file, '--json']);
  assert.equal(features.code, 0, features.stderr);
  const document = JSON.parse(features.stdout);
  assert.deepEqual(document.shape, [32, 32, 1]);
  const settings = parseFeatureSettings(MEL, 'x');
  assert.deepEqual(document.settings, settings, 'features writes the recipe it used (librosa names resolved)');
  assert.equal(document.settings.frequencyScale, 'mel');
  assert.equal(document.settings.values, 'db');
  const expected = featuresFromRecording(await readWavFile(recording), settings);
  assert.deepEqual(document.features.flat(2), Array.from(expected.data));
  assert.equal(Math.max(...expected.data), 0, "ref 'max': the loudest cell is 0 dB");
  assert.ok(Math.min(...expected.data) >= -80, 'top_db 80');
  const out = path.join(work, 'mel32-out');
  const explained = await runCli([
    'explain',
    '--model',
    model,
    '--input',
    recording,
    '--features',
    file,
    '--json',
    '--out',
    out,
  ]);
  assert.equal(explained.code, 0, explained.stderr);
  assert.equal(JSON.parse(explained.stdout).results[0].input.flat(2).length, 32 * 32);
  // The picture's axes are the recipe's: frequency ticks at mel band centres (50 Hz up), time from the hop.
  const svg = readFileSync(
    path.join(
      out,
      readdirSync(out).find((f) => f.endsWith('.svg'))!,
    ),
    'utf8',
  );
  const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  const centres = featureAxes(settings).frequencyHz.map((hz) => `${Math.round(hz)}`);
  assert.ok(
    labels.filter((label) => centres.includes(label)).length >= 4,
    `mel centres on the axis: ${labels.join(' | ')}`,
  );
  assert.ok(labels.includes('Time (s)') && !labels.includes('Time (frame)'), 'the time axis is in seconds');
  const bad = await runCli([
    'explain',
    '--model',
    model,
    '--input',
    recording,
    '--features',
    settingsFile('mel-bad.json', { ...MEL, fmax: 9000 }),
  ]);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /^wingbeats-xai: The --features file '.*mel-bad\.json': 'fmax' must be at most sampleRate \/ 2 = 4000 but got 9000\.\n$/,
  );
});
