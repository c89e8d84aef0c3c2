/**
 * The library run from its TypeScript sources (a checkout without a build, as bin/wingbeats-xai.js runs it, through
 * tsx): the worker threads of the pool, the child processes of the ONNX session pool and the worker of the Keras HDF5
 * reader start from the `.ts` files (registering tsx themselves, which workers do not inherit) and give the numbers of
 * the calling thread. scripts/run-tests.mjs runs every other test from its compiled tree, where these start from the
 * compiled files, so this path is checked here, in one process of its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers.js';

/**
 * The script imports the modules it uses, not src/index.ts: tsx compiles and resolves every module the process loads
 * (about 1 s of CPU for the rest of the library), and the workers and child processes load their own entries anyway.
 */
const SCRIPT = `
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './src/execution/backend.ts';
import './src/task-kinds.ts';
import { ExplainableModel } from './src/execution/explainable-model.ts';
import { saliency } from './src/attribution/saliency.ts';
import { startWorkerPool } from './src/session/start-worker-pool.ts';
import { registerWorkerPlatform } from './src/parallel/worker-pool.ts';
import { useWorkerThreads } from './src/node/parallel/thread-pool.ts';
import { OnnxGradientSession } from './src/node/onnx/node-onnx-sessions.ts';
import { readKerasH5Isolated } from './src/node/read-keras-h5-isolated.ts';
import { functionalConfig, functionalWeights, kerasH5Bytes } from './scripts/fuzz/seeds.ts';
import { conv1dNet } from './test/tiny-models.ts';

await setupBackend({ backend: 'wasm' });
useWorkerThreads();
const model = ExplainableModel.from(conv1dNet());
const x = tf.randomNormal([6, ...model.inputShape], 0, 1, 'float32', 3);
const numbers = async (workers) => {
  const r = await saliency(model, x, { batchSize: 2, workers });
  const values = Array.from(r.attributions.dataSync());
  tf.dispose([r.attributions, r.heatmaps, r.predictions, r.probabilities ?? []]);
  return values;
};
const pool = await startWorkerPool(model, 2);
const threads = {
  same: JSON.stringify(await numbers(1)) === JSON.stringify(await numbers(2)),
  tasks: pool.stats().tasks,
};

const rows = Float32Array.from({ length: 5 * 24 }, (_, i) => Math.sin(i * 0.37) * 2);
const targets = [0, 1, 2, 0, 1];
const here = await OnnxGradientSession.create(model, { threads: 1 });
const pooled = await OnnxGradientSession.create(model, { threads: 2, poolRunMinMs: 0 });
await pooled.startSessionPool();
const expected = await here.gradients(rows, targets);
const pair = await Promise.all([pooled.gradients(rows, targets), pooled.gradients(rows, targets)]);
const onnx = {
  ready: pooled.sessionPoolReady,
  runs: pooled.runs,
  same: pair.every((r) => JSON.stringify(Array.from(r.gradient)) === JSON.stringify(Array.from(expected.gradient))),
};
await Promise.all([here.release(), pooled.release()]);

const h5 = await readKerasH5Isolated(await kerasH5Bytes(functionalWeights(), functionalConfig()), 'good.h5');
console.log(JSON.stringify({ threads, onnx, h5: { layers: h5.layerNames, values: h5.weights.get('dense_1')?.[0].values.length } }));
x.dispose();
model.dispose();
registerWorkerPlatform(null);
process.exit(0);
`;

test('from the TypeScript sources: pool workers, ONNX pool processes and the HDF5 reader start through tsx and agree', () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(child.signal, null, `killed after the time limit: ${child.stderr.slice(-2000)}`);
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1) as string);
  assert.equal(result.threads.same, true, 'workers 1 and 2 give the same saliency');
  assert.ok(result.threads.tasks > 0, 'the pool of worker threads ran tasks');
  assert.deepEqual(result.onnx, { ready: true, runs: { here: 1, pool: 1 }, same: true });
  assert.deepEqual(result.h5, { layers: ['x', 'dense_1', 'out'], values: 387 });
});
