/**
 * Both cores for small models on the ONNX backend: `OnnxGradientSession` with more than one core keeps a big model's
 * work in onnxruntime's intra-op threads and sends a small model's runs, while the calling thread is busy, to a pool of
 * child processes (each with its own one-thread sessions). The pool's numbers are bit-identical to the calling thread's, it starts by itself once the
 * model has kept onnxruntime busy, a failing worker gives one WORKER_FAILED line and the pool keeps working, and a
 * running pool never keeps the process alive.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import {
  INTRA_OP_MULTIPLY_ADDS,
  POOL_RUN_MIN_MS,
  SESSION_POOL_WORTH_MS,
} from '../../src/onnx/onnx-gradient-session.js';
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import { OnnxSessionPool } from '../../src/node/onnx/onnx-session-pool.js';
import { runScriptToExit, sharedDir, skipWithoutShared, srcUrl, useWasm } from '../helpers.js';
import { conv1dNet, conv2dNet, randomBatch } from '../tiny-models.js';

before(useWasm);

const rowsOf = (count: number, size: number, seed: number): Float32Array =>
  Float32Array.from({ length: count * size }, (_, i) => Math.sin(i * 0.37 + seed) * 2);

describe('ONNX session pool', () => {
  test('multiply-adds per row are counted layer by layer (hand count on the tiny Conv1D network)', () => {
    // Conv1D 2→3 channels, kernel 3, 12 positions: 12·3·2·3 = 216; Dense 18 → 3: 54.
    const model = ExplainableModel.from(conv1dNet());
    assert.equal(
      compileGradientGraph(model.layersModel!, { scores: 'logits', gradient: false }).multiplyAdds,
      216 + 54,
    );
    model.dispose();
  });

  test('a small model uses one intra-op thread and a pool of one worker fewer than cores; one core, no pool', async () => {
    const model = ExplainableModel.from(conv2dNet());
    const two = await OnnxGradientSession.create(model, { threads: 2 });
    const one = await OnnxGradientSession.create(model, { threads: 1 });
    assert.deepEqual([two.intraOpThreads, two.sessionPoolSize], [1, 1]);
    assert.deepEqual([one.intraOpThreads, one.sessionPoolSize], [1, 0]);
    await one.startSessionPool();
    assert.equal(one.sessionPoolReady, false);
    await Promise.all([two.release(), one.release()]);
    model.dispose();
  });

  test('runs in the pool are bit-identical to runs in the calling thread (gradients, scores, dropout masks)', async () => {
    const model = ExplainableModel.from(conv1dNet());
    const here = await OnnxGradientSession.create(model, { threads: 1, dropout: true });
    const pooled = await OnnxGradientSession.create(model, { threads: 2, dropout: true, poolRunMinMs: 0 });
    await pooled.startSessionPool();
    assert.equal(pooled.sessionPoolReady, true);
    const x = rowsOf(9, 24, 1);
    const targets = [0, 1, 2, 0, 1, 2, 0, 1, 2];
    const keeps = [Float32Array.from({ length: 9 * 18 }, (_, i) => ((i * 7) % 3 === 0 ? 0 : 1))];
    const expected = await here.gradients(x, targets, keeps);
    // A lone run stays in this thread; while it is pending, the next one goes to the pool (any run: poolRunMinMs 0).
    const lone = await pooled.gradients(x, targets, keeps);
    assert.deepEqual(pooled.runs, { here: 1, pool: 0 });
    const pair = await Promise.all([pooled.gradients(x, targets, keeps), pooled.gradients(x, targets, keeps)]);
    assert.deepEqual(pooled.runs, { here: 2, pool: 1 });
    for (const run of [lone, ...pair]) {
      assert.deepEqual(run.gradient, expected.gradient);
      assert.deepEqual(run.scores, expected.scores);
    }
    const scores = await Promise.all([pooled.scores(x, keeps), pooled.scores(x, keeps)]);
    assert.deepEqual(pooled.runs, { here: 3, pool: 2 });
    for (const s of scores) assert.deepEqual(s, await here.scores(x, keeps));
    await Promise.all([here.release(), pooled.release()]);
    model.dispose();
  });

  test(`runs expected to take under ${POOL_RUN_MIN_MS} ms stay in this thread even while it is busy`, async () => {
    const model = ExplainableModel.from(conv1dNet());
    const session = await OnnxGradientSession.create(model, { threads: 2 });
    await session.startSessionPool();
    assert.equal(session.sessionPoolReady, true);
    const x = rowsOf(4, 24, 4);
    await session.gradients(x, [0, 1, 2, 0]);
    await Promise.all([session.gradients(x, [0, 1, 2, 0]), session.gradients(x, [0, 1, 2, 0])]);
    assert.deepEqual(session.runs, { here: 3, pool: 0 });
    await session.release();
    await assert.rejects(
      OnnxGradientSession.create(model, { poolRunMinMs: -1 }),
      /Argument 'poolRunMinMs' passed to 'OnnxGradientSession.create' must be a number ≥ 0 but got -1\./,
    );
    model.dispose();
  });

  test(`the pool starts by itself after ${SESSION_POOL_WORTH_MS} ms of single-thread runs`, async () => {
    const model = ExplainableModel.from(conv2dNet());
    const session = await OnnxGradientSession.create(model, { threads: 2 });
    const x = rowsOf(256, 60, 2);
    const targets = Array.from({ length: 256 }, (_, r) => r % 3);
    // Calls go on in this thread until their time adds up; the pool then opens its sessions in the background.
    const started = performance.now();
    while (!session.sessionPoolReady && performance.now() - started < 60_000) {
      await session.gradients(x, targets);
      await new Promise((done) => setTimeout(done, 2));
    }
    assert.equal(session.sessionPoolReady, true);
    await session.release();
    assert.equal(session.sessionPoolReady, false);
    model.dispose();
  });

  test('a failing worker run gives one WORKER_FAILED line, and the pool keeps working', async () => {
    const model = ExplainableModel.from(conv1dNet());
    const graph = compileGradientGraph(model.layersModel!, { scores: 'logits' }).model;
    // One process: the run after the failure must be served by the same pool member (or its replacement).
    const pool = OnnxSessionPool.start([graph], 1);
    await pool.whenReady();
    const feeds = {
      x: { data: rowsOf(2, 24, 3), dims: [2, 12, 2] },
      mask: { data: new Float32Array(6), dims: [2, 3] },
    };
    await assert.rejects(pool.run(5, feeds), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'WORKER_FAILED');
      assert.match(error.message, /^An ONNX worker process failed: .*; run the call again, or use workers: 1\.$/s);
      return true;
    });
    const out = await pool.run(0, feeds);
    assert.equal(out.gradient.length, 48);
    await pool.close();
    model.dispose();
  });

  test('a running pool never keeps the process alive (a script that ends without releasing it exits)', () => {
    const stdout = runScriptToExit(`
      import * as tf from '@tensorflow/tfjs';
      import { ExplainableModel } from ${srcUrl('index.ts')};
      import { OnnxGradientSession } from ${srcUrl('node/onnx/node-onnx-sessions.ts')};
      import { setupBackend } from ${srcUrl('execution/backend.ts')};
      await setupBackend();
      const net = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] });
      const session = await OnnxGradientSession.create(ExplainableModel.from(net), { threads: 2 });
      await session.startSessionPool();
      console.log('ready', session.sessionPoolReady);
    `);
    assert.match(stdout, /^ready true$/m);
  });

  test(
    'real models: the spectrogram CNN is big (intra-op threads), the PSD CNN small (session pool, same numbers)',
    { skip: skipWithoutShared },
    async () => {
      const psd = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
      const spectro = await loadModel(
        resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5'),
      );
      for (const [model, big] of [
        [psd, false],
        [spectro, true],
      ] as const) {
        const cost = compileGradientGraph(model.layersModel!, { scores: 'logits', gradient: false }).multiplyAdds;
        assert.equal(cost >= INTRA_OP_MULTIPLY_ADDS, big, `${model.layersModel!.name}: ${cost}`);
      }
      const here = await OnnxGradientSession.create(psd, { threads: 1 });
      const pooled = await OnnxGradientSession.create(psd, { threads: 2, poolRunMinMs: 0 });
      assert.deepEqual([pooled.intraOpThreads, pooled.sessionPoolSize], [1, 1]);
      await pooled.startSessionPool();
      const x = tf.tidy(() => tf.add(tf.mul(randomBatch([40, 129, 1], 5), 15), -60));
      const rows = x.dataSync() as Float32Array;
      const targets = Array.from({ length: 40 }, (_, r) => r % 6);
      const expected = await here.gradients(rows, targets);
      const pair = await Promise.all([pooled.gradients(rows, targets), pooled.gradients(rows, targets)]);
      assert.deepEqual(pooled.runs, { here: 1, pool: 1 });
      for (const run of pair) assert.deepEqual(run.gradient, expected.gradient);
      x.dispose();
      await Promise.all([here.release(), pooled.release()]);
      psd.dispose();
      spectro.dispose();
    },
  );
});
