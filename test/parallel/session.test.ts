/**
 * Sessions (src/session): a session gives the same bits as the per-call path (saliency, integrated gradients,
 * SmoothGrad, MC dropout) on TensorFlow.js and on ONNX Runtime; interleaved calls on two sessions equal sequential
 * ones; a call's engine/workers override the session's; `dispose()` frees the kernel cache, stops the worker pool and
 * closes the engine runners (idempotent); a call after dispose and bad options are refused in one line; disposing the
 * model disposes its sessions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import '../../src/node.js';
import {
  ExplainableModel,
  defaultSession,
  executeRowTask,
  integratedGradients,
  openSession,
  rebuildModel,
  registerWorkerPlatform,
  saliency,
  smoothGrad,
  startWorkerPool,
  workerPlatform,
  type AttributionResult,
  type ModelInput,
  type RowTask,
  type WorkerPool,
} from '../../src/index.js';
import { disposeAttribution } from '../../src/attribution/types.js';
import { mcDropoutExplanations } from '../../src/uncertainty/mc-dropout-explanations.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dDropoutNet, randomBatch, unloweredNet } from '../tiny-models.js';

let closedRunners = 0;
const originalClose = OnnxTaskRunner.prototype.close;
before(async () => {
  await useWasm();
  OnnxTaskRunner.prototype.close = function (this: OnnxTaskRunner) {
    closedRunners++;
    return originalClose.apply(this);
  };
});
after(() => {
  OnnxTaskRunner.prototype.close = originalClose;
});

/** Attributions, predictions and engine of one call as plain arrays, the result's tensors freed. */
async function numbersOf(run: () => Promise<AttributionResult>) {
  const r = await run();
  const out = {
    attributions: Array.from(r.attributions.dataSync()),
    predictions: Array.from(r.predictions.dataSync()),
    engine: r.engine,
  };
  disposeAttribution(r);
  return out;
}

/** {@link numbersOf}, checking that the call leaks no tensor (only for calls that run alone). */
async function bits(run: () => Promise<AttributionResult>) {
  return withoutLeaks(() => numbersOf(run));
}

type Call = (model: ModelInput, x: tf.Tensor, options: Record<string, unknown>) => Promise<unknown>;

const CALLS: [string, Call, 'attribution' | 'mc'][] = [
  ['saliency', (m, x, o) => bits(() => saliency(m, x, o)), 'attribution'],
  ['integrated gradients', (m, x, o) => bits(() => integratedGradients(m, x, { ...o, steps: 12 })), 'attribution'],
  [
    'SmoothGrad of saliency',
    (m, x, o) => bits(() => smoothGrad(saliency, { noiseSamples: 3, seed: 5 })(m, x, o)),
    'attribution',
  ],
  ['MC dropout of saliency', (m, x, o) => mcDropoutExplanations(m, x, { ...o, samples: 4, seed: 2 }), 'mc'],
];

for (const engine of ['tfjs', 'onnx'] as const) {
  test(`engine ${engine}: a session gives the bits of the per-call path (saliency, IG, SmoothGrad, MC dropout)`, async () => {
    const model = ExplainableModel.from(conv2dDropoutNet(3));
    const x = randomBatch([3, 6, 5, 2], 21);
    const session = openSession(model, { engine, workers: 1 });
    try {
      for (const [name, call] of CALLS) {
        const perCall = await call(model, x, { engine, workers: 1 });
        const inSession = await call(session, x, {});
        assert.deepEqual(inSession, perCall, `${name} on ${engine}`);
        if ((perCall as { engine?: string }).engine !== undefined)
          assert.equal((perCall as { engine: string }).engine, engine, `${name} ran on ${engine}`);
      }
    } finally {
      await session.dispose();
      x.dispose();
      model.dispose();
    }
  });
}

test('interleaved calls on two sessions equal the same calls one after the other', async () => {
  const a = ExplainableModel.from(conv2dDropoutNet(4));
  const b = ExplainableModel.from(conv1dNet(6));
  const xa = randomBatch([4, 6, 5, 2], 22);
  const xb = randomBatch([5, 12, 2], 23);
  const onnx = openSession(a, { engine: 'onnx', workers: 1 });
  const tfjs = openSession(b, { engine: 'tfjs', workers: 1 });
  try {
    const jobs = [
      () => numbersOf(() => integratedGradients(onnx, xa, { steps: 16 })),
      () => numbersOf(() => saliency(tfjs, xb)),
      () => numbersOf(() => smoothGrad(saliency, { noiseSamples: 4, seed: 1 })(onnx, xa)),
      () => numbersOf(() => integratedGradients(tfjs, xb, { steps: 8 })),
      () => numbersOf(() => saliency(onnx, xa)),
    ];
    const start = tf.memory().numTensors;
    const sequential = [];
    for (const job of jobs) sequential.push(await job());
    const interleaved = await Promise.all(jobs.map((job) => job()));
    assert.equal(tf.memory().numTensors, start, 'no tensor leak');
    assert.deepEqual(interleaved, sequential);
    assert.deepEqual(
      interleaved.map((r) => r.engine),
      ['onnx', 'tfjs', 'onnx', 'tfjs', 'onnx'],
    );
  } finally {
    await Promise.all([onnx.dispose(), tfjs.dispose()]);
    tf.dispose([xa, xb]);
    a.dispose();
    b.dispose();
  }
});

test("a call's engine and workers override the session's; each engine is resolved once per session", async () => {
  const model = ExplainableModel.from(conv1dNet(7));
  const x = randomBatch([2, 12, 2], 24);
  const session = openSession(model, { engine: 'tfjs', workers: 1 });
  try {
    assert.equal((await bits(() => saliency(session, x))).engine, 'tfjs', "the session's engine");
    const overridden = await bits(() => saliency(session, x, { engine: 'onnx' }));
    assert.equal(overridden.engine, 'onnx', "the call's engine wins");
    const runner = session.accelerator('onnx', 1);
    assert.ok(runner instanceof OnnxTaskRunner, 'compiled for the session, with its thread count');
    await bits(() => saliency(session, x, { engine: 'onnx' }));
    assert.equal(session.accelerator('onnx', 1), runner, 'resolved once, reused');
    await bits(() => saliency(session, x, { engine: 'onnx', workers: 2 }));
    assert.ok(session.accelerator('onnx', 2) instanceof OnnxTaskRunner, "the call's workers: its own runner");
    assert.notEqual(session.accelerator('onnx', 2), runner);
  } finally {
    await session.dispose();
    x.dispose();
    model.dispose();
  }
});

test('a model that does not lower (a GaussianNoise): one fallback line per session, through its warn', async () => {
  const model = ExplainableModel.from(unloweredNet());
  const x = randomBatch([2, ...(model.layersModel!.inputs[0].shape.slice(1) as number[])], 25);
  const lines: string[] = [];
  const session = openSession(model, { workers: 1, warn: (line) => lines.push(line) });
  try {
    const expected = await bits(() => saliency(model, x, { engine: 'tfjs', workers: 1 }));
    const first = await bits(() => saliency(session, x));
    const second = await bits(() => integratedGradients(session, x, { steps: 4 }));
    assert.deepEqual(first, expected);
    assert.equal(second.engine, 'tfjs');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^wingbeats-xai: UNSUPPORTED_MODEL [^\n]*; using TensorFlow\.js\.$/);
  } finally {
    await session.dispose();
    x.dispose();
    model.dispose();
  }
});

test('dispose frees everything: kernel cache, engine runners, worker pool; idempotent; the model stays usable', async () => {
  const previous = workerPlatform();
  const closed: WorkerPool[] = [];
  registerWorkerPlatform({
    cores: 2,
    createPool(snapshot, size): WorkerPool {
      const copy = rebuildModel(snapshot);
      const pool: WorkerPool = {
        size,
        run: async (task: RowTask) => executeRowTask(await copy, task),
        stats: () => ({ tasks: 0, tensorsByWorker: {} }),
        close: async () => {
          if (!closed.includes(pool)) closed.push(pool);
          (await copy).dispose();
        },
      };
      return pool;
    },
  });
  const model = ExplainableModel.from(conv1dNet(8));
  const x = randomBatch([3, 12, 2], 26);
  try {
    const start = tf.memory().numTensors;
    const runnersBefore = closedRunners;
    const session = openSession(model, { engine: 'onnx', workers: 2 });
    assert.ok(tf.memory().numTensors > start, 'the kernel cache is built when the session opens');
    const pool = await startWorkerPool(session);
    assert.ok(pool !== undefined && session.workerPool.running() === pool, 'a pool runs for the session');
    await bits(() => saliency(session, x));
    await bits(() => saliency(session, x, { workers: 1 }));
    const runners = [session.accelerator('onnx', 2), session.accelerator('onnx', 1)];
    assert.ok(runners.every((r) => r instanceof OnnxTaskRunner));
    await Promise.all([session.dispose(), session.dispose()]);
    await session.dispose();
    assert.equal(tf.memory().numTensors, start, 'tf.memory().numTensors back to where it was');
    assert.deepEqual(closed, [pool], 'the worker pool was closed, once');
    assert.equal(session.workerPool.running(), undefined);
    assert.equal(closedRunners - runnersBefore, 2, 'both ONNX runners closed');
    assert.equal(session.accelerator('onnx', 1), undefined);
    assert.ok(session.isDisposed);
    const again = await bits(() => saliency(model, x, { engine: 'tfjs', workers: 1 }));
    assert.equal(again.engine, 'tfjs', 'the model itself is still usable');
  } finally {
    registerWorkerPlatform(previous);
    x.dispose();
    model.dispose();
  }
});

test('a call on a disposed session is refused in one line; disposing the model disposes its sessions', async () => {
  const model = ExplainableModel.from(conv1dNet(9));
  const x = randomBatch([2, 12, 2], 27);
  const session = openSession(model, { workers: 1 });
  await session.dispose();
  const pattern =
    /^Argument 'model' passed to 'saliency' is a disposed session of model '.*' with input \[12,2\] and head .*; open a new one with openSession\(model\)\.$/;
  await withoutLeaks(() =>
    assert.rejects(saliency(session, x), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'INVALID_ARGUMENT');
      assert.match(error.message, pattern);
      return true;
    }),
  );
  await assert.rejects(
    mcDropoutExplanations(session, x),
    /^WingbeatsError: Argument 'model' passed to 'mcDropoutExplanations' is a disposed session/,
  );
  const open = openSession(model, { workers: 1 });
  const byDefault = defaultSession(model);
  const start = tf.memory().numTensors;
  model.dispose();
  assert.ok(open.isDisposed && byDefault.isDisposed, "the model's sessions are disposed with it");
  assert.ok(tf.memory().numTensors < start, "the session's kernel cache was freed with the model");
  x.dispose();
});

test('bad options of openSession are refused in one line naming the argument', async () => {
  const model = ExplainableModel.from(conv1dNet(10));
  const cases: [unknown, unknown, RegExp][] = [
    [
      model,
      { engine: 'torch' },
      /^Argument 'engine' passed to 'openSession' must be 'auto', 'tfjs', 'onnx', 'onnx-cuda' but got 'torch'\.$/,
    ],
    [model, { workers: 0 }, /^Argument 'workers' passed to 'openSession' must be an integer in \[1, 64\] but got 0\.$/],
    [
      model,
      { workers: 2.5 },
      /^Argument 'workers' passed to 'openSession' must be an integer in \[1, 64\] but got 2\.5\.$/,
    ],
    [
      model,
      { warn: 'stderr' },
      /^Argument 'warn' passed to 'openSession' must be a function \(line\) => void but got 'stderr'\.$/,
    ],
    [
      model,
      7,
      /^Argument 'options' passed to 'openSession' must be an object \{ engine, workers, warn \} but got 7\.$/,
    ],
    ['model.json', {}, /^Argument 'model' passed to 'openSession' must be a tf\.LayersModel, a function/],
  ];
  const session = openSession(model, { workers: 1 });
  cases.push([
    session,
    {},
    /^Argument 'model' passed to 'openSession' must be a model \(not a session\) but got a session\.$/,
  ]);
  try {
    for (const [m, options, pattern] of cases) {
      const before = tf.memory().numTensors;
      assert.throws(
        () => openSession(m as ModelInput, options as never),
        (error: Error) => {
          assert.equal((error as { code?: string }).code, 'INVALID_ARGUMENT');
          assert.match(error.message, pattern);
          assert.equal(error.message.split('\n').length, 1);
          return true;
        },
      );
      assert.equal(tf.memory().numTensors, before, 'nothing kept after a refused open');
    }
  } finally {
    await session.dispose();
    model.dispose();
  }
});

test('a LayersModel given directly gets a session for the call only: nothing kept, no leak', async () => {
  const net = conv1dNet(11);
  const x = randomBatch([2, 12, 2], 28);
  const runnersBefore = closedRunners;
  const result = await bits(() => saliency(net, x, { engine: 'onnx', workers: 1 }));
  assert.equal(result.engine, 'onnx');
  assert.equal(closedRunners - runnersBefore, 1, "the call's runner was closed when the call ended");
  x.dispose();
  net.dispose();
});
