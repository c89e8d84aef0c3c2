/**
 * `--features FILE.json`: a model whose input no preset gives is fed from WAV files with the user's own recipe; the
 * inputs equal the library's `featuresFromRecording` with the same settings; bad settings get one line naming the field.
 * And the input-range check for models without an input batch norm: `--stats FILE` (from `wingbeats-xai stats` over
 * training inputs) gives the training statistics, per input value; an input far from them gets the warning; every
 * result says what its range was checked against (`inputRange`), or that it could not be checked; `dataset --stats`
 * puts the same warning in its rows and summaries. Library: `statisticsOfInputs` and `checkInputRange` against a
 * textbook count. (That had a file of its own, test/cli/range-stats.test.ts; one test process for both.)
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot, useWasm } from '../helpers.js';
import { runCli, saveModelJson } from './cli-helpers.js';
import { featuresFromRecording } from '../../src/signal/features.js';
import { readWavFile } from '../../src/node/read-wav-file.js';
import { parseFeatureSettings } from '../../src/signal/feature-settings-file.js';
import { featureAxes } from '../../src/signal/feature-axes.js';
import { checkInputRange, statisticsOfInputs } from '../../src/execution/input-range.js';
import { conv1dNet } from '../tiny-models.js';

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

const rangeWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-range-stats-'));

test('checkInputRange per input value: z-scores counted as a textbook loop; a value with std 0 is left out', () => {
  const mean = [0, 1, 2, 3, 4, 5];
  const std = [1, 1, 2, 0, 0.5, 1];
  const data = [4, 1, -5, 100, 4.1, 9];
  const statistics = statisticsOfInputs({ mean, std }, 'stats');
  const check = checkInputRange(statistics, data, [3, 2]);
  const z = [4, 0, -3.5, 0.2, 4]; // position 3 (std 0) left out
  assert.equal(check.positions, 5);
  assert.equal(check.above, 2);
  assert.equal(check.below, 1);
  assert.ok(Math.abs(check.deviation - z.reduce((a, b) => a + b) / 5) < 1e-12);
  assert.equal(check.farOff, true, 'three of five positions beyond 3 std');
  assert.throws(
    () => checkInputRange(statistics, [1, 2], [2]),
    /^WingbeatsError: Stats holds 6 values per input but the model's input has 2; make it with 'wingbeats-xai stats' over inputs of this model\.$/,
  );
});

test('explain --stats: the warning for a far-off input, inputRange names the file; without it: not checked', async () => {
  const net = conv1dNet(41);
  const modelFile = await saveModelJson(net, path.join(rangeWork, 'no-batch-norm'));
  net.dispose();
  const training = Array.from({ length: 4 }, (_, k) =>
    Array.from({ length: 12 }, (_, i) => [Math.sin(i + k) * 0.1, Math.cos(i - k) * 0.1]),
  );
  const trainingFile = path.join(rangeWork, 'training.json');
  writeFileSync(trainingFile, JSON.stringify(training));
  const statsFile = path.join(rangeWork, 'stats.json');
  const made = await runCli(['stats', '--model', modelFile, '--input', trainingFile, '--out', statsFile, '--quiet']);
  assert.equal(made.code, 0, made.stderr);
  const inputFile = path.join(rangeWork, 'inputs.json');
  const far = Array.from({ length: 12 }, () => [50, -50]);
  writeFileSync(inputFile, JSON.stringify([training[0], far]));
  const explain = async (...extra: string[]): Promise<{ results: Record<string, unknown>[] }> => {
    const run = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--json', '--quiet', ...extra]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout);
  };
  const checked = await explain('--stats', statsFile);
  assert.deepEqual(
    checked.results.map((r) => (r.warnings as string[]).length),
    [0, 1],
  );
  assert.match((checked.results[1].warnings as string[])[0], /The model was not trained on inputs like this/);
  assert.equal(checked.results[0].inputRange, `the statistics file '${statsFile}'`);
  const unchecked = await explain();
  assert.deepEqual(
    unchecked.results.map((r) => (r.warnings as string[]).length),
    [0, 0],
  );
  assert.match(String(unchecked.results[0].inputRange), /^not checked: the model has no input batch norm/);
  // The demo model has an input batch norm: its range is checked against it.
  const demo = await runCli([
    'explain',
    '--model',
    path.join(repoRoot, 'assets', 'demo-model', 'model.json'),
    '--input',
    path.join(repoRoot, 'assets', 'demo-recordings'),
    '--json',
    '--quiet',
  ]);
  assert.equal(demo.code, 0, demo.stderr);
  assert.match(String(JSON.parse(demo.stdout).results[0].inputRange), /^the model's input batch norm '/);
  // A bad file: one line naming the flag.
  const bad = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--stats', inputFile, '--quiet']);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--stats/);

  // dataset --stats: the same warning in the row's warnings column and the summary; the settings record the file.
  const folder = path.join(rangeWork, 'dataset');
  mkdirSync(path.join(folder, 'near'), { recursive: true });
  mkdirSync(path.join(folder, 'far'), { recursive: true });
  writeFileSync(path.join(folder, 'near', 'a.json'), JSON.stringify(training[0]));
  writeFileSync(path.join(folder, 'far', 'b.json'), JSON.stringify(far));
  const dataset = async (out: string, ...extra: string[]): Promise<Record<string, any>> => {
    const args = ['dataset', '--model', modelFile, '--input', folder, '--out', path.join(rangeWork, out), '--quiet'];
    const run = await runCli([...args, ...extra]);
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(readFileSync(path.join(rangeWork, out, 'summary.json'), 'utf8'));
  };
  const withStats = await dataset('with-stats', '--stats', statsFile);
  assert.equal(withStats.warnings['out-of-range'], 1);
  const farClass = withStats.classes.find((c: any) => c.by === 'label' && c.label === 'far');
  assert.deepEqual([farClass.count, farClass.outOfRange], [1, 1]);
  assert.equal(withStats.settings.stats.file, statsFile);
  assert.match(withStats.settings.stats.sha256, /^[0-9a-f]{64}$/);
  const withoutStats = await dataset('without-stats');
  assert.equal(withoutStats.warnings['out-of-range'], 0);
  assert.equal(withoutStats.settings.stats, undefined);
  // Resuming a run with another statistics file is another run: refused in one line naming the setting.
  const again = await runCli([
    'dataset',
    '--model',
    modelFile,
    '--input',
    folder,
    '--out',
    path.join(rangeWork, 'without-stats'),
    '--stats',
    statsFile,
    '--quiet',
  ]);
  assert.notEqual(again.code, 0);
  assert.equal(again.stderr.trim().split('\n').length, 1, again.stderr);
  assert.match(again.stderr, /other settings \(stats differ\)/);
});
