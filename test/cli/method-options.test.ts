/**
 * Method options on the command line (one test process for what had six files: explain-groups, explain-new-methods,
 * method-flags, groups-every-command, explain-contrast and contrast-batch-report).
 * - `explain` with the group methods and the background methods: `--groups` (a spec or a .json mask file with
 *   names), `--permutations`, `--coalitions`, `--background` (a JSON list); the JSON contract (`groups`,
 *   `groupAttributions`, `standardErrors`, `fitR2`, `delta`, attributions in the input's shape) equal to the
 *   library's numbers; one clear line for a bad `--groups`. With ../shared: `--groups harmonics` on a real recording
 *   reports `f0Hz`.
 * - `explain` with grad-cam, guided-grad-cam, occlusion, deeplift and lrp: flags from the option specs, the JSON
 *   contract.
 * - Method options are generated from the registry's option specs: every command that takes a method lists each
 *   option with the same flag, default and help; old flag names still work as hidden aliases.
 * - `--groups harmonics` (f0 estimated per recording) on every command that takes `--groups`: explain, report and
 *   batch record `f0Hz` and the harmonic groups; evaluate (pixel flipping and --metrics), sanity and uncertainty run
 *   the group method over the same harmonic groups (numbers checked against explain's); and `.npy`/`.json` inputs,
 *   which have no Hz axis, are refused in one line naming `--groups`. The demo model and one synthetic recording keep
 *   it fast.
 * - `explain --contrast CLASS|rival`: the margin score(target) − score(contrast), as the library computes it; and
 *   `batch --contrast` and `report --contrast`, as `explain --contrast` gives it.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { contrastiveAttribution } from '../../src/attribution/contrast.js';
import { gradCam } from '../../src/attribution/grad-cam.js';
import { attributionMethods, methodOptionSpecs } from '../../src/attribution/registry.js';
import { lrp } from '../../src/attribution/lrp.js';
import { occlusion } from '../../src/attribution/occlusion.js';
import { shapley } from '../../src/attribution/shapley.js';
import { gradientShap } from '../../src/attribution/gradient-shap.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { assertClose, flat, repoRoot, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { conv1dNet, randomBatch } from '../tiny-models.js';
import { writeSyntheticDataset } from '../../scripts/synthetic-dataset.js';
import { sparseness } from '../../src/evaluation/sparseness.js';
import { runCli, saveModelJson, writeConv1dFiles } from './cli-helpers.js';

const harmonicsModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const harmonicsWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-groups-every-'));
const harmonicsFolder = path.join(harmonicsWork, 'recordings');
let wav = '';

interface Explained {
  f0Hz: number;
  groups: { name: string; positions: number[] }[];
  groupAttributions: number[];
  attributions: number[][];
  input: number[][];
}
let explained: Explained;

async function run(command: string, ...args: string[]): Promise<any> {
  const out = path.join(harmonicsWork, `${command}-${args.join('-').replace(/[^a-z0-9]+/gi, '')}`);
  const result = await runCli([
    command,
    '--model',
    harmonicsModel,
    '--groups',
    'harmonics',
    '--out',
    out,
    '--json',
    '--quiet',
    ...args,
  ]);
  assert.equal(result.code, 0, result.stderr);
  return { ...JSON.parse(result.stdout), out };
}

// The file's one root hook (Node runs root-level before hooks concurrently): the wasm backend first, then the
// recording and the explanation the --groups harmonics tests compare with.
before(async () => {
  await useWasm();
  await writeSyntheticDataset(harmonicsFolder, { perSpecies: 1, seed: 5, species: ['Ae_aegypti'] });
  const file = readdirSync(harmonicsFolder, { recursive: true })
    .map(String)
    .find((f) => f.endsWith('.wav'));
  wav = path.join(harmonicsFolder, file as string);
  explained = (await run('explain', '--input', wav, '--method', 'feature-ablation')).results[0];
});

/** Asserts that `map` holds one value per harmonic group of `explained` (every position of a group equal). */
function constantPerGroup(map: number[], what: string): void {
  for (const group of explained.groups) {
    const values = group.positions.map((p) => map[p]);
    assert.ok(
      values.every((v) => Math.abs(v - values[0]) <= 1e-6 * (1 + Math.abs(values[0]))),
      `${what}: not constant in ${group.name}`,
    );
  }
}

test('explain, report and batch --groups harmonics record f0Hz and the harmonic groups', async () => {
  assert.ok(explained.f0Hz > 100 && explained.f0Hz < 1000, `f0 ${explained.f0Hz}`);
  assert.deepEqual(
    explained.groups.slice(0, 3).map((g) => g.name),
    ['below f0', 'f0', '2f0'],
  );
  const report = (await run('report', '--input', wav, '--methods', 'feature-ablation')).results[0];
  assert.equal(report.f0Hz, explained.f0Hz);
  assertClose(report.groupAttributions, explained.groupAttributions, 1e-6, 1e-6);
  const batch = await run('batch', '--input', wav, '--methods', 'feature-ablation');
  const perFile = readdirSync(batch.out, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json') && f.includes(path.sep));
  const written = perFile.map((f) => JSON.parse(readFileSync(path.join(batch.out, f), 'utf8')));
  const withF0 = written.flatMap((doc) => (doc.results ?? []).filter((r: { f0Hz?: number }) => r.f0Hz !== undefined));
  assert.ok(withF0.length > 0, `no f0Hz in ${perFile.join(', ')}`);
  assert.equal(withF0[0].f0Hz, explained.f0Hz);
});

test('evaluate --groups harmonics: pixel flipping flips the top harmonic group first; --metrics on the same map', async () => {
  const flipping = await run('evaluate', '--input', wav, '--methods', 'feature-ablation', '--random-seeds', '1');
  const curve = flipping.results[0].curves.find((c: { method: string }) => c.method === 'feature-ablation');
  const magnitude = explained.groupAttributions.map(Math.abs);
  const top = explained.groups[magnitude.indexOf(Math.max(...magnitude))];
  // Every position of a group holds its value: the group of largest |value| is flipped first, as a whole.
  const first: number[] = curve.positions.slice(0, top.positions.length);
  assert.ok(
    first.every((p) => top.positions.includes(p)),
    `first flipped ${first} not all in ${top.name}`,
  );
  const metrics = await run('evaluate', '--input', wav, '--methods', 'feature-ablation', '--metrics', 'sparseness');
  assertClose(
    [metrics.results[0].metrics['feature-ablation'].sparseness],
    [sparseness(explained.attributions.flat())],
    1e-5,
  );
});

test('sanity and uncertainty --groups harmonics: the maps hold one value per harmonic group', async () => {
  const sanity = await run('sanity', '--input', wav, '--methods', 'feature-ablation');
  assert.ok(sanity.results[0].curves[0].spearman.every((v: number) => Number.isFinite(v)));
  const uncertainty = await run('uncertainty', '--input', wav, '--method', 'feature-ablation', '--samples', '2');
  const row = uncertainty.results[0];
  for (const [i, map] of row.quantileMaps.entries()) constantPerGroup(map, `quantile map ${i}`);
  constantPerGroup(row.mean, 'mean');
});

test("--groups harmonics on model inputs: the Hz axis of the model's preset, else refused in one line", async () => {
  // The demo model's input is a Potamitis PSD: a .json model input has that preset's Hz axis, and the same f0.
  const inputFile = path.join(harmonicsWork, 'input.json');
  writeFileSync(inputFile, JSON.stringify(explained.input));
  const again = (await run('explain', '--input', inputFile, '--method', 'feature-ablation')).results[0];
  assert.equal(again.f0Hz, explained.f0Hz);
  assertClose(again.groupAttributions, explained.groupAttributions, 1e-5, 1e-5);
  // A model whose input no preset describes has no Hz axis: refused, naming the option.
  const net = conv1dNet(7);
  const tiny = await saveModelJson(net, path.join(harmonicsWork, 'tiny'));
  net.dispose();
  const tinyInput = path.join(harmonicsWork, 'tiny-input.json');
  writeFileSync(tinyInput, JSON.stringify(Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(i)])));
  for (const command of ['evaluate', 'sanity']) {
    const result = await runCli([
      command,
      '--model',
      tiny,
      '--input',
      tinyInput,
      '--methods',
      'shapley',
      '--groups',
      'harmonics',
    ]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /^wingbeats-xai: Option '--groups' is 'harmonics', which needs the frequency/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});

test('the efficiency gap of group methods is named as such', async () => {
  const text = await runCli([
    'explain',
    '--model',
    harmonicsModel,
    '--input',
    wav,
    '--method',
    'shapley',
    '--groups',
    'bands:4',
    '--quiet',
  ]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /shapley of head 'species' .*, efficiency gap -?[\d.]+e[+-]\d+ \([\d.e+-]+ % of \|f\(x\) − f\(baseline\)\|\); strongest groups: band/,
  );
});

const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-groups-'));

test('explain --method shapley|shapley-sampling|kernel-shap|lime|feature-ablation|gradient-shap|deeplift-shap', async () => {
  const { modelFile, inputFile, inputs } = await writeConv1dFiles(work, { model: 111, inputs: 112 });
  const x = tf.tensor3d(inputs);
  const maskFile = path.join(work, 'mask.json');
  writeFileSync(
    maskFile,
    JSON.stringify({ mask: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2], names: ['low', 'mid', 'high'] }),
  );
  const backgroundFile = path.join(work, 'background.json');
  const backgroundRows = randomBatch([3, 12, 2], 113);
  writeFileSync(backgroundFile, JSON.stringify(backgroundRows.arraySync()));
  backgroundRows.dispose();
  const run = async (...args: string[]): Promise<{ results: Record<string, unknown>[] }> => {
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--json',
      '--quiet',
      ...args,
    ]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout);
  };
  const exact = await run('--method', 'shapley', '--groups', maskFile);
  const row = exact.results[0];
  assert.deepEqual(
    (row.groups as { name: string; positions: number[] }[]).map((g) => [g.name, g.positions.length]),
    [
      ['low', 4],
      ['mid', 4],
      ['high', 4],
    ],
  );
  const model = await loadModelFile(modelFile);
  const api = await shapley(model, x, { groups: { mask: [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2] } });
  assertClose(
    exact.results.flatMap((r) => r.groupAttributions as number[]),
    (api.groupAttributions ?? []).flat(),
    1e-6,
    1e-6,
  );
  disposeAttribution(api);
  // Captum's convention: every position (and channel) holds its group's value (float32 in the tensor).
  assertClose(
    (row.attributions as number[][])[5],
    new Array(2).fill((row.groupAttributions as number[])[1]),
    1e-6,
    1e-6,
  );
  assert.ok(Math.abs(row.delta as number) < 1e-5);
  const sampled = await run('--method', 'shapley-sampling', '--groups', 'bands:3', '--permutations', '6');
  assert.equal((sampled.results[0].standardErrors as number[]).length, 3);
  const kernel = await run('--method', 'kernel-shap', '--groups', 'bands:4', '--coalitions', '40', '--seed', '3');
  assert.equal((kernel.results[0].groupAttributions as number[]).length, 4);
  const limeRun = await run('--method', 'lime', '--groups', 'bands:4', '--coalitions', '40');
  assert.equal(typeof limeRun.results[0].fitR2, 'number');
  const ablation = await run('--method', 'feature-ablation');
  assert.equal((ablation.results[0].groups as unknown[]).length, 12);
  for (const method of ['gradient-shap', 'deeplift-shap']) {
    const r = await run('--method', method, '--background', backgroundFile, '--noise-samples', '8');
    assert.equal(typeof r.results[0].delta, 'number');
    assert.deepEqual((r.results[0].attributions as number[][]).length, 12);
  }
  // Without --noise-stdev, gradient-shap takes its own default (0, as Captum), not SmoothGrad's 0.15.
  const plain = await run(
    '--method',
    'gradient-shap',
    '--background',
    backgroundFile,
    '--noise-samples',
    '8',
    '--seed',
    '5',
  );
  const background = randomBatch([3, 12, 2], 113);
  const shapApi = await gradientShap(model, x, { background, noiseSamples: 8, seed: 5, noiseStdev: 0 });
  assertClose(
    plain.results.flatMap((r) => (r.attributions as number[][]).flat()),
    flat(shapApi.attributions),
    1e-5,
    1e-6,
    'gradient-shap default noise',
  );
  disposeAttribution(shapApi);
  background.dispose();
  model.dispose();
  const bad = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--method',
    'shapley',
    '--groups',
    'octaves',
  ]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr.trim(), /^wingbeats-xai: Option '--groups' must be 'bands:N', .* but got 'octaves'\.$/);
  x.dispose();
});

test(
  'explain --groups harmonics on a real recording reports f0Hz and harmonic groups',
  { skip: skipWithoutShared },
  async () => {
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      path.join(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'),
      '--input',
      path.join(sharedDir, 'data/recordings/Ae.Aegypti_1F_5D_25C_SmallCylinder_Cut16.wav'),
      '--method',
      'shapley',
      '--groups',
      'harmonics',
      '--json',
      '--quiet',
    ]);
    assert.equal(code, 0, stderr);
    const row = JSON.parse(stdout).results[0];
    assert.ok(row.f0Hz > 400 && row.f0Hz < 550, `f0 ${row.f0Hz}`);
    assert.deepEqual(
      row.groups.slice(0, 3).map((g: { name: string }) => g.name),
      ['below f0', 'f0', '2f0'],
    );
    assert.ok(row.groups[1].lowHz <= row.f0Hz && row.groups[1].highHz >= row.f0Hz - 31.25);
    assert.ok(Math.abs(row.delta) < 1e-4);
  },
);

const newMethodsWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-new-methods-'));

test('explain --method grad-cam|guided-grad-cam|occlusion|deeplift|lrp: attributions in the input shape, layerMap, delta; flags reach the library', async () => {
  const net = conv1dNet(101);
  const modelFile = await saveModelJson(net, path.join(newMethodsWork, 'conv1d'));
  const layerName = net.layers[0].name;
  net.dispose();
  const x = randomBatch([2, 12, 2], 102);
  const inputFile = path.join(newMethodsWork, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  const run = async (...args: string[]): Promise<{ results: Record<string, unknown>[] }> => {
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--json',
      '--quiet',
      ...args,
    ]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout);
  };
  const model = await loadModelFile(modelFile);
  const cam = await run('--method', 'grad-cam', '--layer', layerName);
  const camApi = await gradCam(model, x, { layer: layerName });
  assert.equal(cam.results[0].layer, layerName);
  assert.deepEqual((cam.results[0].layerMap as number[]).length, 12);
  assertClose(
    cam.results.flatMap((r) => r.layerMap as number[]),
    flat(camApi.layerMap as tf.Tensor),
    1e-6,
    1e-6,
    'layerMap',
  );
  assert.deepEqual(
    [(cam.results[0].attributions as number[][]).length, (cam.results[0].attributions as number[][])[0].length],
    [12, 2],
  );
  disposeAttribution(camApi);
  const guided = await run('--method', 'guided-grad-cam');
  assert.equal(guided.results[0].layer, layerName);
  const occ = await run('--method', 'occlusion', '--window', '3', '--stride', '2');
  const occApi = await occlusion(model, x, { window: 3, stride: 2 });
  assertClose(
    occ.results.flatMap((r) => (r.attributions as number[][]).flat()),
    flat(occApi.attributions),
    1e-6,
    1e-6,
    'occlusion',
  );
  disposeAttribution(occApi);
  const dl = await run('--method', 'deeplift');
  for (const r of dl.results) assert.ok(Math.abs(r.delta as number) < 1e-4, `delta ${r.delta}`);
  const relevance = await run(
    '--method',
    'lrp',
    '--rule',
    'alpha-beta',
    '--alpha',
    '1',
    '--beta',
    '0',
    '--epsilon',
    '0.001',
    '--fold-batch-norm',
  );
  const lrpApi = await lrp(model, x, { rule: 'alpha-beta', alpha: 1, beta: 0, epsilon: 0.001, foldBatchNorm: true });
  assertClose(
    relevance.results.flatMap((r) => (r.attributions as number[][]).flat()),
    flat(lrpApi.attributions),
    1e-6,
    1e-6,
    'lrp',
  );
  disposeAttribution(lrpApi);
  const bad = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--method',
    'lrp',
    '--epsilon',
    '-1',
  ]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Option '--epsilon' must be a number in \[0, 1000000\] but got '-1'\./);
  model.dispose();
  x.dispose();
});

const METHOD_COMMANDS = ['explain', 'report', 'batch', 'evaluate', 'uncertainty'];

/** The help block of one flag (its line and continuation lines), whitespace normalised. */
function flagHelp(help: string, flag: string): string | undefined {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => new RegExp(`^\\s+${flag}( <|\\s)`).test(l));
  if (start < 0) return undefined;
  const block = [lines[start]];
  for (let i = start + 1; i < lines.length && /^\s{10,}\S/.test(lines[i]); i++) block.push(lines[i]);
  return block.join(' ').replace(/\s+/g, ' ').trim();
}

test('every command that takes a method shows every method option with one flag, one default and one help text', async () => {
  const helps = new Map<string, string>();
  for (const command of METHOD_COMMANDS) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    helps.set(command, stdout);
  }
  const specs = methodOptionSpecs();
  assert.deepEqual(specs.map((s) => s.flag).sort(), [
    '--alpha',
    '--background',
    '--baseline',
    '--beta',
    '--coalitions',
    '--epsilon',
    '--fold-batch-norm',
    '--gamma',
    '--groups',
    '--integration',
    '--kernel-width',
    '--layer',
    '--noise-samples',
    '--noise-stdev',
    '--permutations',
    '--ridge',
    '--rule',
    '--steps',
    '--stride',
    '--window',
  ]);
  for (const spec of specs) {
    const blocks = METHOD_COMMANDS.map((c) => flagHelp(helps.get(c) as string, spec.flag));
    blocks.forEach((b, i) => assert.ok(b !== undefined, `${METHOD_COMMANDS[i]} --help lacks ${spec.flag}`));
    assert.equal(new Set(blocks).size, 1, `${spec.flag} differs between commands:\n${blocks.join('\n')}`);
    assert.ok((blocks[0] as string).includes(spec.help.slice(0, 20)), `${spec.flag}: its help text`);
    if (spec.defaultText !== undefined)
      assert.ok(
        (blocks[0] as string).replace(/\s+/g, ' ').includes(`default: ${spec.defaultText})`),
        `${spec.flag}: its default`,
      );
    else if (spec.default !== undefined)
      assert.match(
        blocks[0] as string,
        new RegExp(`default: "?${String(spec.default)}"?\\)`),
        `${spec.flag}: its default`,
      );
    if (spec.max !== undefined)
      assert.match(blocks[0] as string, new RegExp(`${spec.min} to ${spec.max}`), `${spec.flag}: its range`);
  }
  // Options only appear under methods that take them, and no old name is shown.
  for (const [name, d] of Object.entries(attributionMethods))
    for (const o of d.options) assert.ok(specs.includes(o), `${name}: ${o.name}`);
  for (const help of helps.values()) assert.doesNotMatch(help, /--smooth-samples|--step </);
});

test('old flag names are hidden aliases: explain --samples (each method’s sample count) and evaluate --smooth-samples / --step', async () => {
  const flagsWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-flags-'));
  const net = conv1dNet(91);
  const modelFile = await saveModelJson(net, path.join(flagsWork, 'model'));
  const inputFile = path.join(flagsWork, 'x.json');
  const x = randomBatch([1, 12, 2], 92);
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  x.dispose();
  const explain = async (flags: string[], method = 'smoothgrad'): Promise<unknown> => {
    const { code, stdout, stderr } = await runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--method',
      method,
      '--seed',
      '3',
      '--json',
      '--quiet',
      ...flags,
    ]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout).results[0].attributions;
  };
  assert.deepEqual(await explain(['--samples', '3']), await explain(['--noise-samples', '3']));
  assert.notDeepEqual(await explain(['--noise-samples', '3']), await explain([]));
  // --samples is KernelSHAP's and LIME's coalition count too (as the anchors name it); its own flag wins.
  const kernel = (flags: string[]) => explain(['--groups', 'bands:6', ...flags], 'kernel-shap');
  assert.deepEqual(await kernel(['--samples', '20']), await kernel(['--coalitions', '20']));
  assert.notDeepEqual(await kernel(['--samples', '20']), await kernel([]));
  assert.deepEqual(await kernel(['--coalitions', '30', '--samples', '20']), await kernel(['--coalitions', '30']));
  const evaluate = async (flags: string[]): Promise<unknown> => {
    const { code, stdout, stderr } = await runCli([
      'evaluate',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--methods',
      'smoothgrad',
      '--random-seeds',
      '1',
      '--json',
      '--quiet',
      ...flags,
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout);
    return [document.step, document.results[0].curves[0].targetScores];
  };
  assert.deepEqual(
    await evaluate(['--smooth-samples', '2', '--step', '0.1']),
    await evaluate(['--noise-samples', '2', '--flip-step', '0.1']),
  );
  const bad = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--noise-samples', '100001']);
  assert.equal(bad.code, 1);
  assert.equal(
    bad.stderr,
    "wingbeats-xai: Option '--noise-samples' must be an integer in [1, 100000] but got '100001'.\n",
  );
  net.dispose();
});

const contrastWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-contrast-'));

test('explain --contrast: JSON carries contrast per result, attributions equal the library; non-linear methods refused', async () => {
  const net = conv1dNet(111);
  const modelFile = await saveModelJson(net, path.join(contrastWork, 'conv1d'));
  net.dispose();
  const x = randomBatch([2, 12, 2], 112);
  const inputFile = path.join(contrastWork, 'inputs.json');
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  const base = ['explain', '--model', modelFile, '--input', inputFile, '--json', '--quiet'];
  for (const [method, contrast] of [
    ['input-x-gradient', '2'],
    ['integrated-gradients', 'rival'],
  ]) {
    const { code, stdout, stderr } = await runCli([
      ...base,
      '--method',
      method,
      '--contrast',
      contrast,
      '--target',
      '0',
    ]);
    assert.equal(code, 0, stderr);
    const document = JSON.parse(stdout) as { results: { contrast: number; attributions: number[][] }[] };
    const model = await loadModelFile(modelFile);
    const library = await contrastiveAttribution(method as 'input-x-gradient', model, x, {
      target: 0,
      contrast: contrast === 'rival' ? 'rival' : 2,
      seed: 0,
    });
    assert.deepEqual(
      document.results.map((r) => r.contrast),
      library.contrasts,
    );
    const size = 24;
    const values = flat(library.attributions);
    document.results.forEach((r, i) => assertClose(flat(r.attributions), values.slice(i * size, (i + 1) * size), 1e-6));
    disposeAttribution(library);
    model.dispose();
  }
  const refused = await runCli([...base, '--method', 'grad-cam', '--contrast', '1']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /'contrast' of 'grad-cam' is not supported/);
  const same = await runCli([...base, '--contrast', '0', '--target', '0']);
  assert.notEqual(same.code, 0);
  assert.match(same.stderr, /'--contrast'/);
  x.dispose();
});

const demoModel = path.join(repoRoot, 'assets', 'demo-model', 'model.json');
const demoRecording = 'Cu_pipiens_synthetic.wav';

test('batch --contrast and report --contrast carry the contrast per result and equal explain --contrast', async () => {
  const batchWork = mkdtempSync(path.join(tmpdir(), 'wingbeats-contrast-batch-'));
  const inputs = path.join(batchWork, 'recordings');
  mkdirSync(inputs);
  cpSync(path.join(repoRoot, 'assets', 'demo-recordings', demoRecording), path.join(inputs, demoRecording));
  const explain = await runCli([
    'explain',
    '--model',
    demoModel,
    '--input',
    path.join(inputs, demoRecording),
    '--method',
    'input-x-gradient',
    '--contrast',
    'rival',
    '--json',
    '--quiet',
  ]);
  assert.equal(explain.code, 0, explain.stderr);
  const expected = JSON.parse(explain.stdout).results[0];
  assert.equal(typeof expected.contrast, 'number');

  const out = path.join(batchWork, 'batch');
  const argv = ['batch', '--model', demoModel, '--input', inputs, '--methods', 'input-x-gradient', '--out', out];
  const first = await runCli([...argv, '--contrast', 'rival', '--json', '--quiet']);
  assert.equal(first.code, 0, first.stderr);
  const result = JSON.parse(readFileSync(path.join(out, demoRecording, 'result.json'), 'utf8')).results[0];
  assert.equal(result.contrast, expected.contrast);
  assert.equal(result.contrastName, expected.contrastName);
  assertClose(flat(result.attributions), flat(expected.attributions), 1e-6);
  // The contrast is part of what made the result: the same run skips, another contrast explains again.
  const again = await runCli([...argv, '--contrast', 'rival', '--json', '--quiet']);
  assert.deepEqual(JSON.parse(again.stdout).counts, { done: 0, skipped: 1, failed: 0 });
  const otherClass = [0, 1, 2].find((c) => c !== expected.target && c !== expected.contrast) as number;
  const other = await runCli([...argv, '--contrast', String(otherClass), '--json', '--quiet']);
  assert.equal(other.code, 0, other.stderr);
  assert.deepEqual(JSON.parse(other.stdout).counts, { done: 1, skipped: 0, failed: 0 });

  const reportDir = path.join(batchWork, 'report');
  const report = await runCli([
    'report',
    '--model',
    demoModel,
    '--input',
    path.join(inputs, demoRecording),
    '--methods',
    'gradients,input-x-gradient',
    '--contrast',
    'rival',
    '--out',
    reportDir,
    '--quiet',
  ]);
  assert.equal(report.code, 0, report.stderr);
  const document = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8'));
  const ixg = document.results.find((r: { method: string }) => r.method === 'input-x-gradient');
  assert.equal(ixg.contrast, expected.contrast);
  assertClose(flat(ixg.attributions), flat(expected.attributions), 1e-6);
  const html = readFileSync(path.join(reportDir, 'report.html'), 'utf8');
  const caption = `Contrast: score(${expected.targetName}) − score(${expected.contrastName})`;
  assert.ok(html.split(caption).length - 1 >= 2, 'a contrast caption under both explanations');
  const refused = await runCli([...argv, '--methods', 'grad-cam', '--contrast', 'rival', '--force', '--quiet']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /'contrast' of 'grad-cam' is not supported/);
});
