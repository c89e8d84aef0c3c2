/** `wingbeats-xai explain`: the command-line contract of DESIGN.md. */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { integratedGradients } from '../../src/attribution/integrated-gradients.js';
import { saliency } from '../../src/attribution/saliency.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, cliBin, flat, repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { conv1dNet } from '../tiny-models.js';
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
