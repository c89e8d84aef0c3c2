/**
 * The Node worker pool: every wired method gives the same bits with workers 1 and 2 (tiny models, and the real
 * Potamitis spectrogram model when ../shared is present); interleaved calls; no tensor leak in the main thread or
 * the workers; a task that throws or a worker that exits gives one clear error, no hang, and the next call works;
 * small jobs start no pool; dispose stops the pool.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
  ExplainableModel,
  startWorkerPool,
  gradients,
  guidedBackprop,
  inputXGradient,
  integratedGradients,
  runRowTasks,
  defaultSession,
  saliency,
  registerWorkerPlatform,
  type AttributionResult,
  type RowResult,
  type WorkerPool,
} from '../../src/index.js';
import { useWorkerThreads, workerFlags } from '../../src/node/parallel/thread-pool.js';
import { loadModelFile } from '../../src/node/load-model-file.js';
import { conv1dNet, conv2dNet, seedWeights } from '../tiny-models.js';
import { runScriptToExit, sharedDir, skipWithoutShared, srcUrl, useWasm, withoutLeaks } from '../helpers.js';

type Method = (model: ExplainableModel, x: tf.Tensor, options: Record<string, unknown>) => Promise<AttributionResult>;
const METHODS: [string, Method, Record<string, unknown>][] = [
  ['gradients', gradients, {}],
  ['saliency', saliency, {}],
  ['inputXGradient', inputXGradient, {}],
  ['guidedBackprop', guidedBackprop, {}],
  ['integratedGradients', integratedGradients, { steps: 12 }],
];

let model1d: ExplainableModel;
let model2d: ExplainableModel;

before(async () => {
  await useWasm();
  useWorkerThreads();
  model1d = ExplainableModel.from(conv1dNet());
  model2d = ExplainableModel.from(conv2dNet());
});

after(() => {
  model1d.dispose();
  model2d.dispose();
  registerWorkerPlatform(null);
});

/** Starts `model`'s pool of 2 workers (as a long-running program would) and waits until both answer. */
async function startPool(model: ExplainableModel): Promise<WorkerPool> {
  const pool = await startWorkerPool(model, 2);
  assert.ok(pool !== undefined, 'a pool of worker threads');
  return pool;
}

/** The attributions, predictions and deltas of one call, as plain arrays; the result's tensors freed. */
async function numbers(
  method: Method,
  model: ExplainableModel,
  x: tf.Tensor,
  options: Record<string, unknown>,
  checkLeaks = true,
) {
  const run = async () => {
    const r = await method(model, x, { batchSize: 4, ...options });
    const out = {
      attributions: r.attributions.dataSync().slice(),
      predictions: r.predictions.dataSync().slice(),
      delta: r.delta,
    };
    tf.dispose([r.attributions, r.heatmaps, r.predictions, r.probabilities ?? []]);
    return out;
  };
  return checkLeaks ? withoutLeaks(run) : run();
}

test('every wired method: workers 1 and 2 give the same bits on tiny 1-D and 2-D models; workers stay leak-free', async () => {
  for (const [model, shape] of [
    [model1d, [6, 12, 2]],
    [model2d, [5, 6, 5, 2]],
  ] as const) {
    const pool = await startPool(model);
    const x = tf.randomNormal([...shape], 0, 1, 'float32', 7);
    try {
      for (const [name, method, options] of METHODS) {
        const tasks = pool.stats().tasks;
        const one = await numbers(method, model, x, { ...options, workers: 1 });
        assert.equal(pool.stats().tasks, tasks, `${name}: workers 1 ran in the calling thread`);
        const two = await numbers(method, model, x, { ...options, workers: 2 });
        assert.ok(pool.stats().tasks > tasks, `${name}: workers 2 used the pool`);
        assert.deepEqual(two, one, `${name}: same numbers with 1 and 2 workers`);
      }
      // Between tasks a worker holds only its model (weights and kept kernel cache): another round leaves every
      // worker's tensor count where it was.
      const counts = pool.stats().tensorsByWorker;
      assert.equal(Object.keys(counts).length, 2);
      for (const [, method, options] of METHODS) await numbers(method, model, x, { ...options, workers: 2 });
      assert.deepEqual(pool.stats().tensorsByWorker, counts, 'worker tensor counts after another round');
    } finally {
      x.dispose();
    }
  }
});

test('interleaved calls on one model give the same numbers as one after the other', async () => {
  await startPool(model2d);
  const x = tf.randomNormal([5, 6, 5, 2], 0, 1, 'float32', 8);
  try {
    const alone = [
      await numbers(saliency, model2d, x, { workers: 2 }),
      await numbers(integratedGradients, model2d, x, { workers: 2, steps: 8 }),
      await numbers(guidedBackprop, model2d, x, { workers: 1 }),
    ];
    // Concurrent calls: the leak check covers the three together.
    const together = await withoutLeaks(() =>
      Promise.all([
        numbers(saliency, model2d, x, { workers: 2 }, false),
        numbers(integratedGradients, model2d, x, { workers: 2, steps: 8 }, false),
        numbers(guidedBackprop, model2d, x, { workers: 1 }, false),
      ]),
    );
    assert.deepEqual(together, alone);
  } finally {
    x.dispose();
  }
});

function diagnosticJob(model: ExplainableModel, kind: string, count: number, seen: number[]) {
  return {
    model,
    session: defaultSession(model),
    outputIndex: 0,
    scores: 'logits' as const,
    execution: {},
    taskCount: count,
    tasks: (function* () {
      for (let k = 0; k < count; k++) yield { kind, arrays: {}, numbers: { code: [3] } };
    })(),
    consume: (k: number, _result: RowResult) => void seen.push(k),
  };
}

test('a task that throws in a worker rejects with its message; a worker that exits gives WORKER_FAILED; no hang, the next call works', async () => {
  await startPool(model1d);
  const x = tf.randomNormal([6, 12, 2], 0, 1, 'float32', 9);
  try {
    const before = await numbers(saliency, model1d, x, { workers: 2 });
    await withoutLeaks(() =>
      assert.rejects(runRowTasks(diagnosticJob(model1d, 'worker-throw', 4, []), { workers: 2 }), /threw on purpose/),
    );
    await withoutLeaks(() =>
      assert.rejects(runRowTasks(diagnosticJob(model1d, 'worker-exit', 3, []), { workers: 2 }), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'WORKER_FAILED');
        assert.match(error.message, /worker thread of model '.*' failed during a 'worker-exit' task/);
        assert.equal(error.message.split('\n').length, 1, 'one line');
        return true;
      }),
    );
    assert.ok(defaultSession(model1d).workerPool.running(2) !== undefined, 'the pool is still there');
    const afterCrash = await numbers(saliency, model1d, x, { workers: 2 });
    assert.deepEqual(afterCrash, before);
  } finally {
    x.dispose();
  }
});

test('a small job with workers 2 runs in the calling thread and starts no pool; weights changed after the pool started (as the sanity check randomises a copy) replace the pool, numbers follow the new weights; dispose stops the pool', async () => {
  // One model for both checks: each pool of it costs two worker starts.
  const net = conv1dNet(4);
  const model = ExplainableModel.from(net);
  const session = defaultSession(model);
  const x = tf.randomNormal([3, 12, 2], 0, 1, 'float32', 10);
  const x6 = tf.randomNormal([6, 12, 2], 0, 1, 'float32', 15);
  let pool: WorkerPool | undefined;
  try {
    // Warmed up first, in this thread: the first call's kernel set-up would otherwise count as the job's time (the
    // pool starts when the first task's time × the tasks left is over poolStartMs(), 3 s with the compiled library).
    await numbers(integratedGradients, model, x, { workers: 1, steps: 20 });
    await numbers(integratedGradients, model, x, { workers: 2, steps: 20 });
    assert.equal(session.workerPool.running(), undefined, 'no pool for a job of a few milliseconds');
    const first = await startPool(model);
    assert.equal(session.workerPool.running(), first);
    // New weights after the pool started: the stale pool gets no task, a new pool holds the new weights.
    const before = await numbers(saliency, model, x6, { workers: 2 });
    seedWeights(net, 22);
    const one = await numbers(saliency, model, x6, { workers: 1 });
    assert.notDeepEqual(one.attributions, before.attributions, 'the new weights change the map');
    const tasks = first.stats().tasks;
    assert.deepEqual(await numbers(saliency, model, x6, { workers: 2 }), one, 'the old weights are never used');
    assert.equal(first.stats().tasks, tasks, 'the stale pool got no task');
    pool = await startPool(model);
    assert.notEqual(pool, first, 'a new pool holds the new weights');
    assert.equal(session.workerPool.running(), pool);
    assert.deepEqual(await numbers(saliency, model, x6, { workers: 2 }), one);
    assert.ok(pool.stats().tasks > 2, 'the new pool ran the job');
  } finally {
    x.dispose();
    x6.dispose();
    model.dispose();
  }
  assert.ok(session.isDisposed, 'disposing the model disposed its default session');
  assert.equal(session.workerPool.running(), undefined, 'dispose stopped the pool');
  await session.dispose();
  await assert.rejects(
    pool.run({ kind: 'scores', outputIndex: 0, scores: 'logits', execution: { rules: [] }, arrays: {}, numbers: {} }),
  );
});

const SPECTRO = resolve(sharedDir, 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5');

/**
 * One real model: the spectrogram CNN, loaded from its .h5 file (the wingbeats CNN2D custom layer, nested, with batch
 * norms; 2 rows per call). The PSD CNN's layers (Conv1D, BatchNorm, ReLU, MaxPool1D, Dropout, Dense) are rebuilt in the
 * workers by the same snapshot code as the tiny networks' above and the spectrogram CNN's, and its numbers in this
 * thread are checked by every other real-model test; a pool of its own would cost two more worker starts.
 */
test(
  'real model: workers 1 and 2 give the same bits (spectrogram CNN: IG-5 and saliency)',
  { skip: skipWithoutShared },
  async () => {
    // Tasks of 4 rows (numbers' batchSize): IG-5 of 2 rows is 12 path rows, 3 tasks (so one worker takes two); more
    // steps would only add tasks of the same kind.
    const model = await loadModelFile(SPECTRO);
    try {
      await startPool(model);
      const x = tf.randomUniform([2, ...(model.inputShape as number[])], 0, 1, 'float32', 12);
      try {
        for (const [method, options] of [
          [integratedGradients, { steps: 5 }],
          [saliency, {}],
        ] as const) {
          const one = await numbers(method, model, x, { ...options, workers: 1 });
          const two = await numbers(method, model, x, { ...options, workers: 2 });
          assert.deepEqual(two, one, `${SPECTRO}: ${method.name}`);
        }
      } finally {
        x.dispose();
      }
    } finally {
      model.dispose();
    }
  },
);

test('a running pool never keeps the process alive (a script that ends without closing it exits), and starts under a heap cap', () => {
  const stdout = runScriptToExit(
    `
    import * as tf from '@tensorflow/tfjs';
    import { ExplainableModel, startWorkerPool } from ${srcUrl('index.ts')};
    import { useWorkerThreads } from ${srcUrl('node/parallel/thread-pool.ts')};
    import { setupBackend } from ${srcUrl('execution/backend.ts')};
    await setupBackend();
    useWorkerThreads();
    const model = ExplainableModel.from(tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 2 })] }));
    const pool = await startWorkerPool(model, 2);
    console.log('pool', pool.size, pool.stats().tasks);
  `,
    ['--max-old-space-size=256'],
  );
  assert.match(stdout, /^pool 2 2$/m);
});

test('settings that cross threads: MC-dropout masks, probabilities, Gauss-Legendre IG and fast-path switches give the same bits with 1 and 2 workers', async () => {
  await startPool(model1d);
  const x = tf.randomNormal([6, 12, 2], 0, 1, 'float32', 13);
  try {
    const cases: [Method, Record<string, unknown>][] = [
      [saliency, { execution: { dropout: { seed: 5, fixedMasks: true } } }],
      [gradients, { execution: { dropout: { seed: 6 } }, scores: 'probabilities' }],
      [integratedGradients, { steps: 9, integration: 'gauss-legendre', scores: 'probabilities' }],
    ];
    for (const [method, options] of cases) {
      const one = await numbers(method, model1d, x, { ...options, workers: 1 });
      const two = await numbers(method, model1d, x, { ...options, workers: 2 });
      assert.deepEqual(two, one, `${method.name} ${JSON.stringify(options)}`);
    }
    await startPool(model2d);
    const x2 = tf.randomNormal([6, 6, 5, 2], 0, 1, 'float32', 16);
    try {
      const off = { execution: { fastPaths: { foldBatchNorm: false, maxPoolGradient: false, kernelCache: false } } };
      for (const options of [off, {}]) {
        const one = await numbers(integratedGradients, model2d, x2, { ...options, steps: 6, workers: 1 });
        const two = await numbers(integratedGradients, model2d, x2, { ...options, steps: 6, workers: 2 });
        assert.deepEqual(two, one, `fast paths ${JSON.stringify(options)}`);
      }
    } finally {
      x2.dispose();
    }
    const plain = await numbers(saliency, model1d, x, { workers: 2 });
    const dropped = await numbers(saliency, model1d, x, { workers: 2, execution: { dropout: { seed: 5 } } });
    assert.notDeepEqual(dropped.attributions, plain.attributions, 'dropout reached the workers');
  } finally {
    x.dispose();
  }
});

test('a gradient task that fails inside a worker frees its tensors there (worker counts unchanged)', async () => {
  const pool = await startPool(model1d);
  const x = tf.randomNormal([6, 12, 2], 0, 1, 'float32', 14);
  await numbers(saliency, model1d, x, { workers: 2 });
  const counts = pool.stats().tensorsByWorker;
  const wrong = {
    model: model1d,
    session: defaultSession(model1d),
    outputIndex: 0,
    scores: 'logits' as const,
    execution: {},
    taskCount: 4,
    tasks: (function* () {
      for (let k = 0; k < 4; k++)
        yield {
          kind: 'gradients',
          arrays: { rows: { data: new Float32Array(10), shape: [1, 5, 2] } },
          numbers: { targets: [0] },
        };
    })(),
    consume: () => undefined,
  };
  await withoutLeaks(() => assert.rejects(runRowTasks(wrong, { workers: 2 })));
  try {
    await numbers(saliency, model1d, x, { workers: 2 });
  } finally {
    x.dispose();
  }
  assert.deepEqual(pool.stats().tensorsByWorker, counts, 'worker tensor counts after a failed task');
});

test("workers get the flags a worker accepts: V8 and process flags dropped, a heap cap as the worker's own limit", () => {
  assert.deepEqual(
    workerFlags(['--import', 'tsx', '--max-old-space-size=128', '--input-type=module', '--stack-size=900']),
    {
      execArgv: ['--import', 'tsx'],
      resourceLimits: { maxOldGenerationSizeMb: 128 },
    },
  );
  assert.deepEqual(workerFlags(['--enable-source-maps', '--conditions=dev']), {
    execArgv: ['--enable-source-maps', '--conditions=dev'],
  });
});
