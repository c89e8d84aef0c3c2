/**
 * `wingbeats-xai explain`: the command-line contract of DESIGN.md. And `explain --audio`: NAME.used.wav and
 * NAME.ignored.wav have the recording's rate and length and, written with one common gain (audio.gain), add up to the
 * recording times that gain; re-classification is the model's answer on the written files ÷ gain (on the window it
 * explained); `--audio-unseen used` puts what the model never heard in `used`; the report's players play both parts
 * with the same gain. (That had a file of its own, test/cli/explain-audio.test.ts; one test process for both.)
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { decodeWav } from '../../src/signal/wav.js';
import { encodeWavFloat32 } from '../../src/signal/wav-encode.js';
import { computeFeatures } from '../../src/signal/features.js';
import { resampleTo } from '../../src/signal/resample.js';
import { saliency } from '../../src/attribution/saliency.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, cliBin, flat, repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { conv1dNet, seedWeights } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-explain-'));
const psdModel = path.join(sharedDir, 'models', 'Potatamis_Sequential', 'PSD', 'Mosquito_CNN_PSD.h5');
const hieraModel = path.join(sharedDir, 'models', 'Potatamis', 'psd', 'HieraEmbCls', 'HieraEmbCls_psd_frozen.h5');
const recording = path.join(sharedDir, 'data', 'recordings', 'Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav');

function psdInputs(): number[][] {
  const file = JSON.parse(readFileSync(path.join(sharedDir, 'reference', 'models', 'psd_inputs.json'), 'utf8'));
  return Object.entries(file.inputs as Record<string, { values: number[] }>)
    .filter(([key]) => key.includes('potamitis'))
    .map(([, v]) => v.values);
}

test(
  'explain --json on a real model gives the numbers of the library API, for a list of flat PSD inputs',
  { skip: skipWithoutShared },
  async () => {
    const inputs = psdInputs();
    const inputFile = path.join(work, 'psd-inputs.json');
    writeFileSync(inputFile, JSON.stringify(inputs));
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      hieraModel,
      '--input',
      inputFile,
      '--method',
      'integrated-gradients',
      '--output',
      'species',
      '--steps',
      '16',
      '--json',
      '--quiet',
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout);
    assert.equal(document.method, 'integrated-gradients');
    assert.equal(document.model.output, 'species');
    assert.deepEqual(document.model.outputs, ['embedding', 'genus', 'species']);
    assert.equal(document.results.length, inputs.length);
    const model = await loadModelFile(hieraModel);
    const x = tf.tensor(inputs.flat(), [inputs.length, 129, 1]);
    const api = await integratedGradients(model, x, { output: 'species', steps: 16 });
    assertClose(
      document.results.flatMap((r: { attributions: number[][] }) => r.attributions.flat()),
      flat(api.attributions),
      0,
      0,
      'attributions',
    );
    assert.deepEqual(
      document.results.map((r: { target: number }) => r.target),
      api.targets,
    );
    assert.deepEqual(
      document.results.map((r: { targetName: string }) => r.targetName),
      api.targetNames,
    );
    assertClose(
      document.results.map((r: { delta: number }) => r.delta),
      api.delta ?? [],
      0,
      0,
      'delta',
    );
    assertClose(
      document.results.flatMap((r: { probabilities: number[] }) => r.probabilities),
      flat(api.probabilities as tf.Tensor),
      0,
      0,
      'probabilities',
    );
    assert.deepEqual(document.results[0].heatmap.length, 129);
    disposeAttribution(api);
    x.dispose();
  },
);

test(
  'explain on a recording writes JSON, .npy that NumPy loads with shape and dtype, and pictures',
  { skip: skipWithoutShared },
  async (t) => {
    const out = path.join(work, 'out-recording');
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      psdModel,
      '--input',
      recording,
      '--method',
      'saliency',
      '--out',
      out,
      '--json',
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout);
    assert.equal(document.preset, 'potamitis-psd');
    assert.equal(document.results[0].input.length, 129, 'the input computed from the recording is included');
    const files = readdirSync(out).sort();
    const base = 'Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav.saliency';
    assert.deepEqual(
      files,
      [
        `${base}.attributions.json`,
        `${base}.attributions.npy`,
        `${base}.heatmap.npy`,
        `${base}.png`,
        `${base}.svg`,
        'explain.json',
        '.wingbeats-xai-output',
      ].sort(),
    );
    assert.deepEqual([...readFileSync(path.join(out, `${base}.png`)).subarray(1, 4)], [0x50, 0x4e, 0x47]);
    // The library API on the same input gives the same saliency.
    const model = await loadModelFile(psdModel);
    const api = await saliency(model, [document.results[0].input]);
    assertClose(document.results[0].attributions.flat(), flat(api.attributions), 0, 0, 'saliency');
    disposeAttribution(api);
    // One Python process: it says itself when NumPy (or Python) is missing.
    const check = spawnSync(
      'python3',
      [
        '-c',
        `import numpy as np, json, sys
a = np.load(sys.argv[1]); h = np.load(sys.argv[2])
print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "hshape": list(h.shape), "first": float(a.ravel()[0])}))`,
        path.join(out, `${base}.attributions.npy`),
        path.join(out, `${base}.heatmap.npy`),
      ],
      { encoding: 'utf8' },
    );
    if (check.error !== undefined || /No module named '?numpy/.test(check.stderr)) {
      t.skip('python3 with numpy is not installed: the .npy check against NumPy is skipped');
      return;
    }
    assert.equal(check.status, 0, check.stderr);
    const info = JSON.parse(check.stdout);
    assert.deepEqual(info, {
      shape: [129, 1],
      dtype: 'float32',
      hshape: [129],
      first: Math.fround(document.results[0].attributions[0][0]),
    });
  },
);

test('explain on a tfjs model.json with .npy input, every method of the registry', async () => {
  const model = conv1dNet(91);
  const modelFile = await saveModelJson(model, path.join(work, 'tiny-model'));
  const npy = path.join(work, 'inputs.npy');
  const { encodeNpy } = await import('../../src/node/npy-file.js');
  const values = Float32Array.from({ length: 2 * 12 * 2 }, (_, i) => Math.sin(i));
  writeFileSync(npy, encodeNpy(values, [2, 12, 2]));
  const { attributionMethodNames } = await import('../../src/attribution/registry.js');
  const tensorsBefore = tf.memory().numTensors;
  for (const method of attributionMethodNames) {
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      npy,
      '--method',
      method,
      '--json',
      '--quiet',
      '--seed',
      '3',
      '--samples',
      '2',
      '--steps',
      '4',
      '--target',
      '0,2',
      // The background methods need reference inputs (the inputs themselves will do); the group methods get bands.
      '--background',
      npy,
      '--groups',
      'bands:3',
    ]);
    assert.equal(code, 0, `${method}: ${stderr}`);
    const document = JSON.parse(stdout);
    assert.equal(document.results.length, 2);
    assert.deepEqual(
      document.results.map((r: { target: number }) => r.target),
      [0, 2],
    );
    assert.equal(document.results[0].attributions.length, 12);
    assert.equal(document.results[0].attributions[0].length, 2);
  }
  assert.equal(tf.memory().numTensors, tensorsBefore, 'a command run in-process frees its model and every tensor');
  model.dispose();
});

test('bad arguments, missing files and a model that does not fit the input: one line on stderr, non-zero exit, nothing left behind', async () => {
  const model = conv1dNet(92);
  const modelFile = await saveModelJson(model, path.join(work, 'tiny-model-2'));
  model.dispose();
  const wrong = path.join(work, 'wrong.json');
  writeFileSync(wrong, JSON.stringify([[1, 2, 3]]));
  const out = path.join(work, 'never-written');
  const cases: [string[], RegExp][] = [
    [
      ['explain', '--model', modelFile, '--input', wrong, '--out', out],
      /^wingbeats-xai: Input '.*wrong\.json' has shape \[1,3\] but the model takes \[12,2\] \(one input\) or \[n,12,2\] \(a list\)\.\n$/,
    ],
    [['explain', '--model', path.join(work, 'missing.h5'), '--input', wrong], /^wingbeats-xai: .*missing\.h5.*\n$/],
    [
      ['explain', '--model', modelFile, '--input', wrong, '--method', 'nope'],
      /^wingbeats-xai: Option '--method' must be one of gradients, saliency, guided-backprop, integrated-gradients, input-x-gradient, smoothgrad, grad-cam, guided-grad-cam, occlusion, deeplift, lrp, feature-ablation, shapley, shapley-sampling, kernel-shap, lime, gradient-shap, deeplift-shap but got 'nope'\.\n$/,
    ],
    [['explain', '--model', modelFile], /^wingbeats-xai: required option '-i, --input <file>' not specified\n$/],
    [
      ['explain', '--model', modelFile, '--input', wrong, '--steps', 'many'],
      /^wingbeats-xai: Option '--steps' must be an integer in \[1, 100000\] but got 'many'\.\n$/,
    ],
  ];
  for (const [argv, pattern] of cases) {
    const { code, stdout, stderr } = await runCli(argv);
    assert.equal(code, 1, argv.join(' '));
    assert.equal(stdout, '');
    assert.match(stderr, pattern);
  }
  assert.equal(existsSync(out) && readdirSync(out).length > 0, false, 'no output files after a failure');
});

// The failing run takes the shipped demo model (its error line does not depend on the model; 0.4 s of CPU less than
// the .h5 model, which the succeeding run still loads in the built package's process).
test(
  'the installed binary: --json puts exactly one document on stdout; errors exit non-zero with one line',
  { skip: skipWithoutShared },
  () => {
    const ok = spawnSync(process.execPath, [cliBin, 'explain', '--model', psdModel, '--input', recording, '--json'], {
      encoding: 'utf8',
    });
    assert.equal(ok.status, 0, ok.stderr);
    assert.doesNotThrow(() => JSON.parse(ok.stdout));
    const demoModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
    const demoRecording = path.join(repoRoot, 'assets', 'demo-recordings', 'Cu_pipiens_synthetic.wav');
    const bad = spawnSync(
      process.execPath,
      [cliBin, 'explain', '--model', demoModel, '--input', demoRecording, '--target', '9'],
      { encoding: 'utf8' },
    );
    assert.equal(bad.status, 1);
    assert.equal(
      bad.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('wingbeats-xai:')).length,
      1,
    );
    assert.match(bad.stderr, /Option '--target' must be in \[0, 6\) \(number of classes\) but got 9\./);
    assert.doesNotMatch(bad.stderr, /at .*\.[jt]s:\d+/, 'no stack trace without --verbose');
  },
);

const audioWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-audio-'));

test('explain --audio writes the two parts, which add up, and reports what the model makes of each written file', async () => {
  const net = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [129, 1], filters: 2, kernelSize: 5, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(net, 41, 0.2);
  const modelFile = await saveModelJson(net, path.join(audioWork, 'psd'));
  net.dispose();
  // 1 s at 16 kHz (the preset's rate is 8 kHz, its window 0.625 s), louder from 0.3125 to 0.8125 s: the loudest
  // window starts after 0 s and ends before 1 s, so there are samples before and after what the model heard.
  const samples = Float32Array.from(
    { length: 16000 },
    (_, t) =>
      (t > 5000 && t < 13000 ? 1 : 0.3) *
      (0.5 * Math.sin((2 * Math.PI * 600 * t) / 16000) + 0.2 * Math.sin((2 * Math.PI * 2500 * t) / 16000)),
  );
  const wav = path.join(audioWork, 'tone.wav');
  writeFileSync(wav, encodeWavFloat32(samples, 16000));
  const out = path.join(audioWork, 'out');
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
  const reportDir = path.join(audioWork, 'report');
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
  const unseenOut = path.join(audioWork, 'unseen');
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
