/**
 * What a researcher meets on day one (issue 13): the default head, recursive folders with relative names, the preset
 * and input-range warnings with their figures, hints that name options of the command, the relative completeness gap,
 * axes in JSON, and a stats file as the integrated-gradients baseline.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as wavefileModule from 'wavefile';
import { createProgram } from '../../src/node/cli/program.js';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, flat, repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { conv1dNet } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

const WaveFile = (wavefileModule as any).WaveFile ?? (wavefileModule as any).default.WaveFile;

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-day-one-'));
const psdModel = path.join(sharedDir, 'models', 'Potatamis_Sequential', 'PSD', 'Mosquito_CNN_PSD.h5');
const hieraModel = path.join(sharedDir, 'models', 'Potatamis', 'psd', 'HieraEmbCls', 'HieraEmbCls_psd_frozen.h5');
const recordings = path.join(sharedDir, 'data', 'recordings');
const aedes = path.join(recordings, 'Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav');

/** Writes a mono 16-bit WAV of a 500 Hz tone with harmonics. */
function writeTone(file: string, rate: number, seconds: number): string {
  const samples = Array.from({ length: Math.round(rate * seconds) }, (_, i) =>
    Math.round(8000 * (Math.sin((2 * Math.PI * 500 * i) / rate) + 0.4 * Math.sin((2 * Math.PI * 1000 * i) / rate))),
  );
  const wav = new WaveFile();
  wav.fromScratch(1, rate, '16', samples);
  writeFileSync(file, wav.toBuffer());
  return file;
}

interface Result {
  name: string;
  head: string;
  warnings: string[];
  axes?: { frequencyHz: number[]; timeS?: number[] };
  targetName?: string;
  delta?: number;
  relativeDelta?: number;
  attributions: number[][];
  frequencyBands?: { lowHz: number; highHz: number; share: number }[];
}

test(
  'the default head is species on a hierarchical model, in explain, evaluate and uncertainty; every result names it',
  { skip: skipWithoutShared },
  async () => {
    const explain = await runCli(['explain', '--model', hieraModel, '--input', aedes, '--json', '--quiet']);
    assert.equal(explain.code, 0, explain.stderr);
    const document = JSON.parse(explain.stdout);
    assert.equal(document.head, 'species');
    const result = document.results[0] as Result;
    assert.equal(result.head, 'species');
    assert.match(result.targetName ?? '', /^(Ae|An|Cu)_/, 'a species name, not "class 0" of the embedding');
    assert.deepEqual(result.warnings, []);
    assert.equal(result.axes?.frequencyHz.length, 129);
    assert.equal(result.axes?.frequencyHz[16], 500);
    assert.ok(
      (result.frequencyBands ?? []).length > 0 &&
        (result.frequencyBands ?? []).every((b) => b.highHz > b.lowHz && b.share > 0 && b.share <= 1),
    );
    const evaluate = await runCli([
      'evaluate',
      '--model',
      hieraModel,
      '--input',
      aedes,
      '--methods',
      'saliency',
      '--random-seeds',
      '1',
      '--fraction',
      '0.05',
      '--json',
      '--quiet',
    ]);
    assert.equal(evaluate.code, 0, evaluate.stderr);
    const evaluated = JSON.parse(evaluate.stdout);
    assert.equal(evaluated.results[0].head, 'species');
    assert.equal(evaluated.results[0].axes.frequencyHz.length, 129);
    const uncertainty = await runCli([
      'uncertainty',
      '--model',
      hieraModel,
      '--input',
      aedes,
      '--samples',
      '2',
      '--json',
      '--quiet',
    ]);
    assert.equal(uncertainty.code, 0, uncertainty.stderr);
    const uncertain = JSON.parse(uncertainty.stdout);
    assert.equal(uncertain.results[0].head, 'species');
    assert.deepEqual(uncertain.results[0].warnings, []);
    const text = await runCli(['explain', '--model', hieraModel, '--input', aedes, '--quiet']);
    assert.match(
      text.stdout,
      /^Ae\.Aegypti_1F_5D_25C_SmallCylinder_Cut16\.wav: saliency of head 'species' for \w+ \(p = [\d.]+\); most relevant: \d+–\d+ Hz \(\d+ %\)/,
    );
  },
);

test(
  'input-range warning on real microphone recordings: the figures agree with h5py/NumPy (scripts/reference/input_range.py)',
  { skip: skipWithoutShared },
  async () => {
    const reference = JSON.parse(readFileSync(path.join(repoRoot, 'test', 'fixtures', 'input-range.json'), 'utf8'));
    const { code, stdout, stderr } = await runCli(['explain', '--model', psdModel, '--input', recordings, '--json']);
    assert.equal(code, 0, stderr);
    const results = JSON.parse(stdout).results as Result[];
    assert.equal(results.length, 6);
    for (const result of results) {
      const expected = reference.inputs[result.name];
      assert.ok(expected !== undefined, `a reference for ${result.name}`);
      const warning = result.warnings.find((w) => w.includes('training standard deviations')) ?? '';
      const figures =
        /input mean (-?[\d.]+) dB, ([\d.]+) training standard deviations above the training mean \((-?[\d.]+) dB, std ([\d.]+) dB\); (\d+) of (\d+) positions/.exec(
          warning,
        );
      assert.ok(figures !== null, `warning with figures for ${result.name}: ${warning}`);
      assert.equal(figures[1], expected.inputMean.toFixed(1));
      assert.equal(figures[2], expected.deviation.toFixed(1));
      assert.equal(figures[3], reference.trainingMean.toFixed(1));
      assert.equal(figures[4], reference.trainingStd.toFixed(1));
      assert.equal(Number(figures[5]), expected.above);
      assert.equal(Number(figures[6]), expected.positions);
      assert.ok(stderr.includes(`wingbeats-xai warning: ${warning}`), 'the warning also reaches stderr');
    }
  },
);

test(
  'a preset of another data set is refused, naming --force-preset; forced, it is a warning',
  { skip: skipWithoutShared },
  async () => {
    const refused = await runCli(['explain', '--model', psdModel, '--input', aedes, '--preset', 'keogh-psd', '--json']);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, '');
    assert.match(
      refused.stderr,
      /^wingbeats-xai: Preset 'keogh-psd' is made for recordings of the Keogh data set, but model 'Mosquito_CNN_PSD' was trained on the Potamitis data set \(its inputs come from 'potamitis-psd'\)\. Use 'potamitis-psd', or force the preset \(CLI: --force-preset\)/,
    );
    const forced = await runCli([
      'explain',
      '--model',
      psdModel,
      '--input',
      aedes,
      '--preset',
      'keogh-psd',
      '--force-preset',
      '--json',
      '--quiet',
    ]);
    assert.equal(forced.code, 0, forced.stderr);
    const document = JSON.parse(forced.stdout);
    assert.match(
      document.results[0].warnings[0],
      /^Preset 'keogh-psd' is made for .* used anyway because the preset was forced/,
    );
    assert.deepEqual(document.warnings.slice(0, 1), document.results[0].warnings.slice(0, 1));
  },
);

test(
  'a recording resampled up from 4 kHz is explained with a warning naming the empty bins',
  { skip: skipWithoutShared },
  async () => {
    const low = writeTone(path.join(work, 'low-rate.wav'), 4000, 1);
    const { code, stdout, stderr } = await runCli(['explain', '--model', hieraModel, '--input', low, '--json']);
    assert.equal(code, 0, stderr);
    const [result] = JSON.parse(stdout).results as Result[];
    assert.ok(
      result.warnings.includes(
        "'low-rate.wav' was recorded at 4000 Hz and resampled up to 8000 Hz: it holds nothing above 2000 Hz, so 64 of the 129 frequency bins (2000–4000 Hz) of the model input are empty, unlike the training data. Predictions and explanations of such recordings are unreliable.",
      ),
      result.warnings.join(' | '),
    );
  },
);

test(
  'hints name only options of the command that printed them: --pad and --channel exist wherever recordings are read',
  { skip: skipWithoutShared },
  async () => {
    const short = writeTone(path.join(work, 'short.wav'), 8000, 0.3);
    const program = createProgram();
    const cases: Record<string, string[]> = {
      explain: ['--model', hieraModel, '--input', short],
      evaluate: ['--model', hieraModel, '--input', short, '--random-seeds', '1', '--fraction', '0.05'],
      uncertainty: ['--model', hieraModel, '--input', short, '--samples', '2'],
      report: [
        '--model',
        hieraModel,
        '--input',
        short,
        '--methods',
        'saliency',
        '--out',
        path.join(work, 'hint-report'),
      ],
    };
    for (const [name, argv] of Object.entries(cases)) {
      const command = program.commands.find((c) => c.name() === name);
      assert.ok(command !== undefined);
      const flags = new Set(
        command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
      );
      for (const needed of ['--pad', '--channel', '--force-preset', '--preset', '--windows'])
        assert.ok(flags.has(needed), `${name} has ${needed}`);
      const failed = await runCli([name, ...argv, '--quiet']);
      assert.equal(failed.code, 1, `${name} refuses a recording shorter than one window`);
      const named: string[] = failed.stderr.match(/--[a-z][a-z-]*/g) ?? [];
      assert.ok(named.includes('--pad'), `${name}: ${failed.stderr}`);
      for (const flag of named) assert.ok(flags.has(flag), `${name}'s hint names ${flag}, an option it does not have`);
      const padded = await runCli([name, ...argv, '--pad', '--channel', '0', '--quiet', '--json']);
      assert.equal(padded.code, 0, `${name} --pad: ${padded.stderr}`);
    }
  },
);

test('integrated gradients: the completeness gap relative to |f(x) − f(baseline)|; a stats file as --baseline is its mean', async () => {
  const model = conv1dNet(31);
  const modelFile = await saveModelJson(model, path.join(work, 'ig-model'));
  model.dispose();
  const inputs = Array.from({ length: 3 }, (_, n) =>
    Array.from({ length: 12 }, (_, i) => [Math.sin(i + n), Math.cos(2 * i - n)]),
  );
  const inputFile = path.join(work, 'ig-inputs.json');
  writeFileSync(inputFile, JSON.stringify(inputs));
  const statsFile = path.join(work, 'ig-stats.json');
  const stats = await runCli(['stats', '--input', inputFile, '--model', modelFile, '--out', statsFile, '--quiet']);
  assert.equal(stats.code, 0, stats.stderr);
  const mean = JSON.parse(readFileSync(statsFile, 'utf8')).mean as number[];
  const { code, stdout, stderr } = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--method',
    'integrated-gradients',
    '--steps',
    '8',
    '--baseline',
    statsFile,
    '--json',
    '--quiet',
  ]);
  assert.equal(code, 0, stderr);
  const results = JSON.parse(stdout).results as Result[];
  const loaded = await loadModelFile(modelFile);
  const x = tf.tensor(inputs.flat(2), [3, 12, 2]);
  const baseline = tf.tensor(Array.from({ length: 3 }, () => mean).flat(), [3, 12, 2]);
  const api = await integratedGradients(loaded, x, { steps: 8, baseline });
  assertClose(
    results.flatMap((r) => r.attributions.flat()),
    flat(api.attributions),
    0,
    0,
    'attributions with the stats mean as baseline',
  );
  for (const [i, result] of results.entries()) {
    const sum = result.attributions.flat().reduce((a, b) => a + b, 0);
    const delta = result.delta as number;
    assert.equal(delta, api.delta?.[i]);
    assert.equal(result.relativeDelta, Math.abs(delta) / Math.abs(sum - delta));
    assert.deepEqual(result.warnings, []);
    assert.equal(result.head, loaded.outputNames[0]);
  }
  disposeAttribution(api);
  [x, baseline].forEach((t) => t.dispose());
  loaded.dispose();
  const text = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--method',
    'integrated-gradients',
    '--steps',
    '8',
    '--quiet',
  ]);
  assert.match(text.stdout, /completeness gap -?[\d.]+e[+-]\d+ \([\d.e+-]+ % of \|f\(x\) − f\(baseline\)\|\)/);
});

test('folders are searched recursively; the same file name in two folders stays apart in JSON and in output folders', async () => {
  const model = conv1dNet(32);
  const modelFile = await saveModelJson(model, path.join(work, 'folder-model'));
  model.dispose();
  const data = path.join(work, 'data set');
  for (const [site, shift] of [
    ['siteA', 0],
    ['siteB/deeper', 1],
  ] as const) {
    mkdirSync(path.join(data, site), { recursive: true });
    writeFileSync(
      path.join(data, site, 'rec.json'),
      JSON.stringify(Array.from({ length: 12 }, (_, i) => [Math.sin(i + shift), shift])),
    );
  }
  const explain = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    data,
    '--json',
    '--quiet',
    '--out',
    path.join(work, 'explained'),
  ]);
  assert.equal(explain.code, 0, explain.stderr);
  assert.deepEqual(
    JSON.parse(explain.stdout).results.map((r: Result) => r.name),
    ['siteA/rec.json', 'siteB/deeper/rec.json'],
  );
  assert.ok(existsSync(path.join(work, 'explained', 'siteB', 'deeper', 'rec.json.saliency.png')));
  const batch = await runCli([
    'batch',
    '--model',
    modelFile,
    '--input',
    data,
    '--out',
    path.join(work, 'batch'),
    '--json',
    '--quiet',
  ]);
  assert.equal(batch.code, 0, batch.stderr);
  assert.deepEqual(
    JSON.parse(batch.stdout).files.map((f: { folder: string }) => f.folder),
    ['siteA/rec.json', 'siteB/deeper/rec.json'],
  );
  assert.ok(existsSync(path.join(work, 'batch', 'siteA', 'rec.json', 'result.json')));
  assert.ok(existsSync(path.join(work, 'batch', 'siteB', 'deeper', 'rec.json', 'result.json')));
  const evaluate = await runCli([
    'evaluate',
    '--model',
    modelFile,
    '--input',
    path.join(data, 'siteA'),
    path.join(data, 'siteB'),
    '--random-seeds',
    '1',
    '--json',
    '--quiet',
  ]);
  assert.equal(evaluate.code, 0, evaluate.stderr);
  assert.deepEqual(
    JSON.parse(evaluate.stdout).results.map((r: { input: string }) => r.input),
    ['rec.json', 'deeper/rec.json'],
  );
  const clash = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    path.join(data, 'siteA'),
    '--input',
    path.join(data, 'siteB', 'deeper'),
    '--quiet',
  ]);
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /would both be named 'rec\.json' in the outputs; give their folders instead of the files/);
});

test(
  'uncertainty on a spectrogram model: signed methods keep their sign in quantile maps; charts in seconds; std map on its own scale',
  { skip: skipWithoutShared },
  async () => {
    const model = path.join(sharedDir, 'models', 'Potatamis', 'spectro', 'SimpleCls', 'SimpleCls_spectro_frozen.h5');
    const out = path.join(work, 'uncertainty-spectrogram');
    const { code, stdout, stderr } = await runCli([
      'uncertainty',
      '--model',
      model,
      '--input',
      aedes,
      '--method',
      'gradients',
      '--samples',
      '3',
      '--seed',
      '2',
      '--out',
      out,
      '--json',
      '--quiet',
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout);
    assert.equal(document.maps, 'signed');
    const [result] = document.results;
    assert.equal(result.head, 'species');
    assert.equal(result.axes.timeS.length, 113);
    assert.equal(result.axes.frequencyHz[0], 4000);
    const median = (result.quantileMaps[1] as number[][]).flat();
    assert.ok(median.some((v) => v < 0) && median.some((v) => v > 0), 'the median map of gradients keeps both signs');
    const quantileSvg = readFileSync(path.join(out, 'quantile-maps.svg'), 'utf8');
    assert.match(quantileSvg, /Time \(s\)/);
    assert.doesNotMatch(quantileSvg, /Time \(frame\)/);
    assert.match(quantileSvg, />Attribution</);
    const stdSvg = readFileSync(path.join(out, 'std-map.svg'), 'utf8');
    assert.match(stdSvg, /Time \(s\)/);
    const width = Number(/<svg[^>]*width="([\d.]+)"/.exec(stdSvg)?.[1]);
    assert.ok(width < 800, `the std map is no wider than its panel and legend (${width} px)`);
  },
);

test('features: folders and lists of recordings, relative names, axes and the upsampling warning in JSON', async () => {
  const data = path.join(work, 'feature-recordings');
  mkdirSync(path.join(data, 'siteA'), { recursive: true });
  mkdirSync(path.join(data, 'siteB'), { recursive: true });
  writeTone(path.join(data, 'siteA', 'rec.wav'), 8000, 1);
  writeTone(path.join(data, 'siteB', 'rec.wav'), 4000, 1.5);
  const out = path.join(work, 'features-out');
  const { code, stdout, stderr } = await runCli([
    'features',
    '--input',
    data,
    '--preset',
    'potamitis-psd',
    '--json',
    '--out',
    out,
  ]);
  assert.equal(code, 0, stderr);
  const documents = JSON.parse(stdout) as {
    name: string;
    axes: { frequencyHz: number[] };
    warnings: string[];
    features: number[][];
  }[];
  assert.deepEqual(
    documents.map((d) => d.name),
    ['siteA/rec.wav', 'siteB/rec.wav'],
  );
  assert.equal(documents[0].axes.frequencyHz.length, 129);
  assert.deepEqual(documents[0].warnings, []);
  assert.match(documents[1].warnings[0], /^'siteB\/rec\.wav' was recorded at 4000 Hz and resampled up to 8000 Hz/);
  assert.match(stderr, /wingbeats-xai warning: 'siteB\/rec\.wav' was recorded at 4000 Hz/);
  assert.ok(
    existsSync(path.join(out, 'siteA', 'rec.wav.features.npy')) &&
      existsSync(path.join(out, 'siteB', 'rec.wav.features.json')),
  );
  const notRecording = path.join(work, 'not-a-recording.json');
  writeFileSync(notRecording, '[1, 2, 3]');
  const refused = await runCli(['features', '--input', notRecording, '--preset', 'potamitis-psd']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Option '--input' of 'features' takes \.wav recordings but got/);
});
