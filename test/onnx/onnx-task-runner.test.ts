/**
 * The ONNX task runner computes the worker pool's row tasks ('gradients', 'scores', 'integrated-gradients') with the
 * numbers of their TensorFlow.js executors (float32 rounding), and refuses tasks it cannot run.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { ExplainableModel, type ScoreKind } from '../../src/execution/explainable-model.js';
import { executeRowTask, type RowTask, type TaskArray } from '../../src/parallel/row-task.js';
import '../../src/parallel/forward-task.js';
import '../../src/attribution/pooled-target-gradients.js';
import '../../src/attribution/integrated-gradients-task.js';
import { integrationPoints } from '../../src/attribution/integral-approximation.js';
import { loadModel } from '../../src/models/load-model.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { assertClose, sharedDir, skipWithoutShared, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dDropoutNet, conv2dNet, randomBatch, twoHeadNet } from '../tiny-models.js';

before(useWasm);

function array(t: tf.Tensor): TaskArray {
  return { data: t.dataSync() as Float32Array, shape: t.shape.slice() };
}

/** The three task kinds on `x` (3 or more rows): scores, gradients of classes 0,1,2,..., a 2-example IG chunk. */
function tasks(
  x: tf.Tensor,
  scores: ScoreKind,
  classes: number,
  execution: RowTask['execution'] = { rules: [] },
): RowTask[] {
  const rows = x.shape[0];
  const common = { outputIndex: 0, scores, execution };
  const targets = Array.from({ length: rows }, (_, r) => r % classes);
  const { alphas, weights } = integrationPoints(4);
  const inputs = tf.tidy(() => tf.slice(x, 0, 2));
  const baselines = tf.tidy(() => tf.mul(tf.slice(x, 1, 2), 0.25));
  // a chunk of 7 path rows: the last 2 points of example 0 and all 5 of example 1
  const rowsOf = [3, 4, 0, 1, 2, 3, 4];
  const ig: RowTask = {
    ...common,
    kind: 'integrated-gradients',
    arrays: { inputs: array(inputs), baselines: array(baselines) },
    numbers: {
      alphas: rowsOf.map((p) => alphas[p]),
      weights: rowsOf.map((p) => weights[p]),
      example: [0, 0, 1, 1, 1, 1, 1],
      targets: [0, 0, 2, 2, 2, 2, 2].map((t) => t % classes),
    },
  };
  inputs.dispose();
  baselines.dispose();
  return [
    { ...common, kind: 'scores', arrays: { rows: array(x) }, numbers: {} },
    { ...common, kind: 'gradients', arrays: { rows: array(x) }, numbers: { targets } },
    ig,
  ];
}

async function compare(
  model: ExplainableModel,
  x: tf.Tensor,
  scores: ScoreKind,
  execution?: RowTask['execution'],
): Promise<void> {
  const runner = await OnnxTaskRunner.create(model);
  try {
    for (const task of tasks(x, scores, model.layersModel!.outputs[0].shape[1] as number, execution)) {
      assert.ok(runner.accepts(task), `${task.kind} accepted`);
      const expected = executeRowTask(model, task);
      const got = await runner.run(task);
      assert.deepEqual(got.shape, expected.shape, `${task.kind} shape`);
      const scale = Math.max(...Array.from(expected.data, Math.abs));
      assertClose(got.data, expected.data, 2e-6 * scale, 1e-5, `${task.kind} (${scores})`);
    }
  } finally {
    await runner.close();
  }
}

describe('ONNX task runner', () => {
  for (const scores of ['logits', 'probabilities'] as const) {
    test(`tiny Conv2D network: every task kind equals its TensorFlow.js executor (${scores})`, async () => {
      const model = ExplainableModel.from(conv2dNet());
      const x = randomBatch([3, 6, 5, 2], 21);
      await withoutLeaks(() => compare(model, x, scores));
      x.dispose();
      model.dispose();
    });
  }

  test('call-wide Monte-Carlo dropout: every task kind equals its TensorFlow.js executor (same keep-masks)', async () => {
    for (const [net, shape] of [
      [conv2dDropoutNet(7), [4, 6, 5, 2]],
      [conv1dNet(), [4, 12, 2]],
    ] as const) {
      const model = ExplainableModel.from(net);
      const x = randomBatch([...shape], 22);
      for (const dropout of [{ seed: 5 }, { seed: 5, fixedMasks: true }])
        for (const rules of [[], ['guided-relu']])
          await withoutLeaks(() => compare(model, x, 'logits', { rules, dropout }));
      // row seeds: the integrated-gradients chunk has 7 rows, the others 4 (one runner for every kind, as a job's)
      const runner = await OnnxTaskRunner.create(model);
      for (const task of tasks(x, 'probabilities', 3)) {
        const rowSeeds = (task.kind === 'integrated-gradients' ? [1, 1, 2, 3, 3, 3, 9] : [4, 4, 7, 8]).slice();
        const seeded = { ...task, execution: { rules: [], dropout: { seed: 1, rowSeeds } } };
        const expected = executeRowTask(model, seeded);
        const got = await runner.run(seeded);
        assertClose(got.data, expected.data, 2e-6 * Math.max(...Array.from(expected.data, Math.abs)), 1e-5, task.kind);
      }
      await runner.close();
      x.dispose();
      model.dispose();
    }
  });

  test('refuses other rules, heads the model lacks and other kinds; takes call-wide dropout; runs any head', async () => {
    const model = ExplainableModel.from(conv2dNet());
    const runner = await OnnxTaskRunner.create(model);
    const base: RowTask = {
      kind: 'gradients',
      outputIndex: 0,
      scores: 'logits',
      execution: { rules: [] },
      arrays: { rows: { data: new Float32Array(60), shape: [1, 6, 5, 2] } },
      numbers: { targets: [0] },
    };
    assert.equal(runner.accepts(base), true);
    assert.equal(runner.accepts({ ...base, execution: { rules: ['guided-relu'] } }), true);
    assert.equal(runner.accepts({ ...base, execution: { rules: ['lrp-epsilon'] } }), false);
    assert.equal(runner.accepts({ ...base, execution: { rules: ['guided-relu', 'lrp-epsilon'] } }), false);
    assert.equal(runner.accepts({ ...base, execution: { rules: [], dropout: { seed: 1, fixedMasks: true } } }), true);
    assert.equal(
      runner.accepts({ ...base, kind: 'mc-dropout-maps', execution: { rules: [], dropout: { seed: 1 } } }),
      false,
    );
    assert.equal(runner.accepts({ ...base, outputIndex: 1 }), false);
    assert.equal(runner.accepts({ ...base, kind: 'smooth-grad' }), false);
    await assert.rejects(
      runner.run({ ...base, execution: { rules: ['lrp-epsilon'] } }),
      /The ONNX task runner cannot run a 'gradients' task with rules \[lrp-epsilon\] on head 0\./,
    );
    await runner.close();
    model.dispose();
    const twoHeads = ExplainableModel.from(twoHeadNet());
    const heads = await OnnxTaskRunner.create(twoHeads);
    try {
      const x = randomBatch([3, 5], 6);
      const task: RowTask = { ...base, outputIndex: 1, arrays: { rows: array(x) }, numbers: { targets: [0, 3, 2] } };
      for (const kind of ['gradients', 'scores']) {
        const expected = executeRowTask(twoHeads, { ...task, kind });
        const got = await heads.run({ ...task, kind });
        assert.deepEqual(got.shape, expected.shape);
        assertClose(got.data, expected.data, 2e-6, 1e-5, `head 1 ${kind}`);
      }
      x.dispose();
    } finally {
      await heads.close();
    }
    twoHeads.dispose();
  });

  test(
    'Potamitis PSD CNN: every task kind equals its TensorFlow.js executor',
    { skip: skipWithoutShared },
    async () => {
      const model = await loadModel(resolve(sharedDir, 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5'));
      const x = tf.tidy(() => tf.add(tf.mul(randomBatch([4, 129, 1], 5), 15), -60));
      await compare(model, x, 'logits');
      x.dispose();
      model.dispose();
    },
  );
});
