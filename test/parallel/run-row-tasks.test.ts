/**
 * The ordered map (runRowTasks) with a fake worker platform in this thread: results consumed in task order whatever
 * order tasks finish in, at most `workers` tasks in flight, the small-job heuristic, errors and abort; snapshots
 * rebuild the same model; every wired method gives the same bits inline and on the (fake) pool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import {
  ExplainableModel,
  executeRowTask,
  gradients,
  guidedBackprop,
  inputXGradient,
  integratedGradients,
  modelSnapshot,
  rebuildModel,
  registerRowTaskKind,
  runRowTasks,
  saliency,
  registerWorkerPlatform,
  defaultSession,
  taskChunks,
  type RowTask,
  type RowResult,
  type WorkerPool,
} from '../../src/index.js';
import { startPoolForRest } from '../../src/session/start-worker-pool.js';
import { conv1dNet, conv2dNet } from '../tiny-models.js';
import { rejectsWithoutLeaks, useWasm, withoutLeaks } from '../helpers.js';

/** A pool that runs tasks on a rebuilt copy of the model in this thread, finishing them in scrambled order. */
function fakePlatform(log: { started: number; maxInFlight: number; pools: number }) {
  return {
    cores: 2,
    createPool(snapshot: Parameters<typeof rebuildModel>[0], size: number): WorkerPool {
      log.pools++;
      const copy = rebuildModel(snapshot);
      builds.push(copy);
      let inFlight = 0;
      let closed = false;
      return {
        size,
        async run(task: RowTask): Promise<RowResult> {
          log.started++;
          inFlight++;
          log.maxInFlight = Math.max(log.maxInFlight, inFlight);
          try {
            const model = await copy;
            await new Promise((resolve) => setTimeout(resolve, ((log.started * 7) % 5) * 3));
            return executeRowTask(model, task);
          } finally {
            inFlight--;
          }
        },
        stats: () => ({ tasks: log.started, tensorsByWorker: {} }),
        async close() {
          if (closed) return;
          closed = true;
          (await copy).dispose();
        },
      };
    },
  };
}

const builds: Promise<ExplainableModel>[] = [];
const log = { started: 0, maxInFlight: 0, pools: 0 };
let model1d: ExplainableModel;
let model2d: ExplainableModel;

before(async () => {
  await useWasm();
  registerWorkerPlatform(fakePlatform(log));
  model1d = ExplainableModel.from(conv1dNet());
  model2d = ExplainableModel.from(conv2dNet());
});

after(() => {
  registerWorkerPlatform(null);
  model1d.dispose();
  model2d.dispose();
});

registerRowTaskKind('test-index', (task) => ({ data: Float32Array.of(task.numbers.index[0]), shape: [1] }));
registerRowTaskKind('test-throw', () => {
  throw new Error('task failed on purpose');
});

function indexJob(model: ExplainableModel, count: number, seen: number[], kind = 'test-index') {
  return {
    model,
    session: defaultSession(model),
    outputIndex: 0,
    scores: 'logits' as const,
    execution: {},
    taskCount: count,
    tasks: (function* () {
      for (let k = 0; k < count; k++) yield { kind, arrays: {}, numbers: { index: [k] } };
    })(),
    consume: (k: number, result: RowResult) => {
      assert.equal(result.data[0], k);
      seen.push(k);
    },
  };
}

test('taskChunks on a task accelerator: about 2 tasks of at least 16 rows, within the batch size; tfjs as without', () => {
  assert.deepEqual(
    taskChunks(80, 64, 'onnx').map((c) => c.end - c.start),
    [40, 40],
  );
  assert.deepEqual(
    taskChunks(8, 64, 'onnx').map((c) => c.end - c.start),
    [8],
  );
  assert.deepEqual(
    taskChunks(408, 64, 'onnx').map((c) => c.end - c.start),
    [...Array(6).fill(64), 24],
  );
  assert.deepEqual(taskChunks(64, 64, 'tfjs'), taskChunks(64, 64));
});

test('taskChunks depends on rows and batch size only', () => {
  assert.deepEqual(
    taskChunks(64, 64).map((c) => c.end - c.start),
    Array(8).fill(8),
  );
  assert.deepEqual(
    taskChunks(10, 64).map((c) => c.end - c.start),
    [4, 4, 2],
  );
  assert.deepEqual(
    taskChunks(10, 3).map((c) => c.end - c.start),
    [3, 3, 3, 1],
  );
  assert.deepEqual(
    taskChunks(1000, 64).map((c) => c.end - c.start),
    [...Array(15).fill(64), 40],
  );
});

test('a small job runs inline and starts no pool; a running pool takes every task, in order', async () => {
  const seen: number[] = [];
  const report = await runRowTasks(indexJob(model1d, 5, seen), { workers: 2 });
  assert.deepEqual(report, { inline: 5, pooled: 0 });
  assert.equal(defaultSession(model1d).workerPool.running(), undefined);
  // Start the pool (as a server would, to warm it up), then every task goes to it.
  defaultSession(model1d).workerPool.acquire(2, tf.getBackend());
  const seen2: number[] = [];
  log.maxInFlight = 0;
  const report2 = await runRowTasks(indexJob(model1d, 20, seen2), { workers: 2 });
  assert.deepEqual(report2, { inline: 0, pooled: 20 });
  assert.deepEqual(
    seen2,
    Array.from({ length: 20 }, (_, k) => k),
  );
  assert.ok(log.maxInFlight <= 2, `at most 2 tasks in flight, saw ${log.maxInFlight}`);
  const report1 = await runRowTasks(indexJob(model1d, 4, []), { workers: 1 });
  assert.deepEqual(report1, { inline: 4, pooled: 0 });
});

test('a failing task rejects the job once, after the flight landed; the pool works again', async () => {
  await assert.rejects(runRowTasks(indexJob(model1d, 6, [], 'test-throw'), { workers: 2 }), /on purpose/);
  const seen: number[] = [];
  await runRowTasks(indexJob(model1d, 6, seen), { workers: 2 });
  assert.equal(seen.length, 6);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(runRowTasks(indexJob(model1d, 6, []), { workers: 2, signal: controller.signal }), (e: Error) => {
    assert.equal((e as { code?: string }).code, 'ABORTED');
    return true;
  });
});

test('a snapshot rebuilds the same model (same scores bit for bit)', async () => {
  const copy = await rebuildModel(modelSnapshot(model2d)!);
  try {
    const x = tf.randomNormal([3, 6, 5, 2], 0, 1, 'float32', 5);
    const a = tf.tidy(() => model2d.run(x).dataSync());
    const b = tf.tidy(() => copy.run(x).dataSync());
    x.dispose();
    assert.deepEqual(Array.from(b), Array.from(a));
  } finally {
    copy.dispose();
  }
});

for (const [name, method] of [
  ['gradients', gradients],
  ['saliency', saliency],
  ['inputXGradient', inputXGradient],
  ['guidedBackprop', guidedBackprop],
  ['integratedGradients', integratedGradients],
] as const) {
  test(`${name}: the same bits inline (workers 1) and on a running pool (workers 2), no leaks`, async () => {
    for (const model of [model1d, model2d]) {
      const shape = model === model1d ? [5, 12, 2] : [5, 6, 5, 2];
      const x = tf.randomNormal(shape, 0, 1, 'float32', 11);
      try {
        const run = (workers: number) =>
          withoutLeaks(async () => {
            const r = await method(model, x, { workers, batchSize: 4 });
            const out = { a: r.attributions.dataSync().slice(), p: r.predictions.dataSync().slice() };
            tf.dispose([r.attributions, r.heatmaps, r.predictions, r.probabilities ?? []]);
            return out;
          });
        await acquirePoolFor(model);
        const one = await run(1);
        const started = log.started;
        const two = await run(2);
        assert.ok(log.started > started, 'workers 2 used the pool');
        assert.deepEqual(two.a, one.a);
        assert.deepEqual(two.p, one.p);
      } finally {
        x.dispose();
      }
    }
  });
}

async function acquirePoolFor(model: ExplainableModel): Promise<void> {
  const pools = defaultSession(model).workerPool;
  if (pools.running(2) === undefined) pools.acquire(2, tf.getBackend());
  await Promise.all(builds);
}

test("closing the session's pool stops it; a job without a session runs inline", async () => {
  await defaultSession(model1d).workerPool.close();
  assert.equal(defaultSession(model1d).workerPool.running(), undefined);
  const report = await runRowTasks({ ...indexJob(model1d, 20, []), session: undefined }, { workers: 2 });
  assert.deepEqual(report, { inline: 20, pooled: 0 });
});

test('a bad workers value is refused in one line naming the argument, without leaks', async () => {
  const x = tf.randomNormal([2, 12, 2], 0, 1, 'float32', 3);
  try {
    for (const workers of [0, 1.5, 65, Number.NaN]) {
      await rejectsWithoutLeaks(
        () => saliency(model1d, x, { workers }),
        /^Argument 'workers' passed to 'saliency' must be an integer in \[1, 64\] but got /,
      );
    }
  } finally {
    x.dispose();
  }
});

test('work of many small calls (a data set by chunks) starts the pool only when the calls left outweigh its start', async () => {
  const model = ExplainableModel.from(conv1dNet());
  try {
    const pools = log.pools;
    assert.equal(await startPoolForRest(defaultSession(model), 1, 60_000, 100), false, 'one worker: never');
    assert.equal(
      await startPoolForRest(defaultSession(model), 2, 10, 3),
      false,
      '30 ms of calls left: not worth starting',
    );
    assert.equal(log.pools, pools, 'no pool was made');
    assert.equal(
      await startPoolForRest(defaultSession(model), 2, 4000, 2),
      true,
      '8 s of calls left over 2 workers: started',
    );
    assert.equal(log.pools, pools + 1, 'one pool was made');
    assert.equal(await startPoolForRest(defaultSession(model), 2, 1, 1), true, 'a running pool is used');
    assert.equal(log.pools, pools + 1, 'and not made again');
  } finally {
    model.dispose();
  }
});
