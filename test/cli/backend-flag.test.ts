/**
 * The execution flags of every command that runs a model. `--engine auto|onnx|onnx-cuda|tfjs` (`--backend` its older
 * name): shown in help, checked, same numbers to float32, the engine named in the JSON, one fallback line. `--workers
 * N`: shown in help with its bound, checked, and never changing results (one test process for both, which had a file
 * each).
 */
import { after, before, test } from 'node:test';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { useWasm } from '../helpers.js';
import { conv1dNet, randomBatch, unloweredNet } from '../tiny-models.js';
import { runCli, saveModelJson } from './cli-helpers.js';

before(useWasm);

let accelerated = 0;
const originalRun = OnnxTaskRunner.prototype.run;
before(() => {
  OnnxTaskRunner.prototype.run = function (this: OnnxTaskRunner, ...args: Parameters<typeof originalRun>) {
    accelerated++;
    return originalRun.apply(this, args);
  };
});
after(() => {
  OnnxTaskRunner.prototype.run = originalRun;
});

test('--engine: the default (auto) runs explain on ONNX Runtime, equal to --engine tfjs to float32; the JSON names the engine; bad values refused in one line', async () => {
  for (const command of ['explain', 'report', 'batch', 'evaluate', 'uncertainty', 'sanity', 'dataset']) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--engine <name>\s+where gradients and forward passes run/, `${command} --help`);
  }
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-backend-'));
  const net = conv1dNet(41);
  const modelFile = await saveModelJson(net, path.join(work, 'model'));
  net.dispose();
  const inputFile = path.join(work, 'x.json');
  const x = randomBatch([3, 12, 2], 42);
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  x.dispose();
  const explain = async (engineFlags: string[], method: string, model = modelFile) => {
    const argv = ['explain', '--model', model, '--input', inputFile, '--method', method, '--workers', '1'];
    const { code, stdout, stderr } = await runCli([...argv, ...engineFlags, '--json', '--quiet']);
    assert.equal(code, 0, stderr);
    const results = JSON.parse(stdout).results as { engine: string }[];
    return {
      results: results.map(({ engine: _engine, ...rest }) => rest),
      engines: results.map((r) => r.engine),
      stderr,
    };
  };
  for (const method of ['integrated-gradients', 'saliency']) {
    const tfjs = await explain(['--engine', 'tfjs'], method);
    assert.deepEqual(new Set(tfjs.engines), new Set(['tfjs']));
    const before = accelerated;
    const onnx = await explain([], method);
    assert.ok(accelerated > before, `${method}: tasks ran on onnxruntime by default`);
    assert.deepEqual(new Set(onnx.engines), new Set(['onnx']));
    assert.equal(onnx.stderr, '');
    assert.deepEqual((await explain(['--backend', 'onnx'], method)).results, onnx.results, '--backend is an alias');
    const a = JSON.stringify(tfjs.results)
      .match(/-?\d+(\.\d+)?(e-?\d+)?/g)!
      .map(Number);
    const b = JSON.stringify(onnx.results)
      .match(/-?\d+(\.\d+)?(e-?\d+)?/g)!
      .map(Number);
    assert.equal(b.length, a.length);
    const scale = Math.max(...a.map(Math.abs));
    const worst = Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    assert.ok(worst <= 2e-6 * scale, `${method}: --backend onnx differs by ${worst} (largest value ${scale})`);
  }
  // onnxruntime-node 1.17 has no CUDA provider: --engine onnx-cuda says so in one line and runs on the CPU.
  const cpu = await explain([], 'saliency');
  const cuda = await explain(['--engine', 'onnx-cuda'], 'saliency');
  assert.deepEqual(new Set(cuda.engines), new Set(['onnx']));
  assert.match(
    cuda.stderr,
    /^wingbeats-xai: BACKEND onnxruntime-node [^\n]* has no CUDA execution provider \(it has: cpu\)[^\n]*; using ONNX Runtime on the CPU\.\n$/,
  );
  assert.deepEqual(cuda.results, cpu.results);
  const bad = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--engine', 'torch']);
  assert.equal(bad.code, 1);
  assert.match(
    bad.stderr,
    /^wingbeats-xai: Option '--engine' must be one of auto, tfjs, onnx, onnx-cuda but got 'torch'\.\n$/,
  );
  assert.equal(bad.stderr.split('\n').length, 2);
  const clash = await runCli([
    'explain',
    '--model',
    modelFile,
    '--input',
    inputFile,
    '--engine',
    'tfjs',
    '--backend',
    'onnx',
  ]);
  assert.equal(clash.code, 1);
  assert.match(
    clash.stderr,
    /^wingbeats-xai: Options '--engine tfjs' and '--backend onnx' disagree: give only --engine \(--backend is its older name\)\.\n$/,
  );
});

test('the default engine with a model the compiler refuses: one stderr line, TensorFlow.js numbers', async () => {
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-backend-'));
  // GaussianNoise has no ONNX lowering
  const net = unloweredNet();
  const modelFile = await saveModelJson(net, path.join(work, 'model'));
  const inputFile = path.join(work, 'x.json');
  const x = randomBatch([2, ...(net.inputs[0].shape.slice(1) as number[])], 43);
  net.dispose();
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  x.dispose();
  const run = (engineFlags: string[]) =>
    runCli([
      'explain',
      '--model',
      modelFile,
      '--input',
      inputFile,
      '--method',
      'saliency',
      ...engineFlags,
      '--json',
      '--quiet',
    ]);
  const tfjs = await run(['--engine', 'tfjs']);
  const onnx = await run([]);
  assert.equal(onnx.code, 0, onnx.stderr);
  assert.match(onnx.stderr, /^wingbeats-xai: UNSUPPORTED_MODEL [^\n]*; using TensorFlow\.js\.\n$/);
  assert.deepEqual(JSON.parse(onnx.stdout).results, JSON.parse(tfjs.stdout).results);
});

test('--workers is on every model-running command, bounded, and does not change results', async () => {
  for (const command of ['explain', 'report', 'batch', 'evaluate', 'uncertainty', 'sanity', 'dataset']) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    assert.match(stdout, /--workers <n>\s+worker threads sharing the work/, `${command} --help`);
  }
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-workers-'));
  const net = conv1dNet(31);
  const modelFile = await saveModelJson(net, path.join(work, 'model'));
  net.dispose();
  const inputFile = path.join(work, 'x.json');
  const x = randomBatch([3, 12, 2], 32);
  writeFileSync(inputFile, JSON.stringify(x.arraySync()));
  x.dispose();
  const explain = async (workers: string) => {
    const argv = ['explain', '--model', modelFile, '--input', inputFile, '--method', 'integrated-gradients'];
    const { code, stdout, stderr } = await runCli([...argv, '--workers', workers, '--json', '--quiet']);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout).results;
  };
  assert.deepEqual(await explain('2'), await explain('1'));
  const bad = await runCli(['explain', '--model', modelFile, '--input', inputFile, '--workers', '0']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "wingbeats-xai: Option '--workers' must be an integer in [1, 64] but got '0'.\n");
});
