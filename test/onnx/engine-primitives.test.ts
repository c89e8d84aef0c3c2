/**
 * Every row-task kind is written once on the host over the engine primitives (src/engine/engine-primitives.ts):
 * each registered host kind runs on TensorFlow.js (`executeRowTask`, the `tfjsPrimitives`) and on ONNX Runtime (the
 * task runner's primitives) and gives the same numbers to float32 rounding, on tiny models, with logits and
 * probabilities; the primitives themselves agree on an arbitrary output seed; the runner's list of kinds is the host's.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ExplainableModel, type ScoreKind } from '../../src/execution/explainable-model.js';
import { tfjsPrimitives } from '../../src/engine/tfjs-primitives.js';
import { executeRowTask, hostTaskKinds, type RowTask, type TaskArray } from '../../src/parallel/row-task.js';
import '../../src/task-kinds.js';
import { DEEPLIFT_RULES } from '../../src/attribution/deeplift-rows.js';
import { lrpSettingsNumbers } from '../../src/attribution/lrp-rows.js';
import { gradientFormNames } from '../../src/attribution/gradient-forms.js';
import { integrationPoints } from '../../src/attribution/integral-approximation.js';
import { layerNumbers } from '../../src/engine/engine-primitives.js';
import { maxPoolFirstWinner } from '../../src/rules/max-pool-first-winner.js';
import { ONNX_TASK_KINDS } from '../../src/onnx/onnx-task-runner.js';
import { OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { assertClose, useWasm, withoutLeaks } from '../helpers.js';
import { conv1dNet, conv2dDropoutNet, conv2dNet, randomBatch } from '../tiny-models.js';

before(useWasm);

function array(t: tf.Tensor): TaskArray {
  return { data: t.dataSync() as Float32Array, shape: t.shape.slice() };
}

/** One task of `kind` on the 4 rows of `x` (3 classes; Grad-CAM reads the first layer of `model`). */
function taskOf(kind: string, x: tf.Tensor, scores: ScoreKind, model?: ExplainableModel): RowTask {
  const rows = array(x);
  const targets = [0, 2, 1, 2];
  const common = { kind, outputIndex: 0, scores, execution: { rules: [] as string[] } };
  const reversed = tf.tidy(() => tf.mul(tf.reverse(x, 0), 0.25));
  const baselines = array(reversed);
  reversed.dispose();
  switch (kind) {
    case 'scores':
      return { ...common, arrays: { rows }, numbers: {} };
    case 'gradients':
      return { ...common, execution: { rules: ['guided-relu'] }, arrays: { rows }, numbers: { targets } };
    case 'integrated-gradients': {
      const { alphas, weights } = integrationPoints(3);
      const points = [1, 2, 3, 0, 1, 2, 3];
      return {
        ...common,
        arrays: { inputs: rows, baselines },
        numbers: {
          alphas: points.map((p) => alphas[p]),
          weights: points.map((p) => weights[p]),
          example: [0, 0, 0, 3, 3, 3, 3],
          targets: [0, 0, 0, 2, 2, 2, 2],
        },
      };
    }
    case 'mc-dropout-maps':
      return {
        ...common,
        arrays: { rows },
        numbers: {
          targets,
          rowSeeds: [3, 3, 8, 9],
          form: [gradientFormNames.indexOf('input-x-gradient')],
          signed: [0],
        },
      };
    case 'lrp': {
      const settings = { rule: 'epsilon', epsilon: 1e-6, gamma: 0.25, alpha: 2, beta: 1, foldBatchNorm: true } as const;
      return { ...common, arrays: { rows }, numbers: { targets, settings: lrpSettingsNumbers(settings) } };
    }
    case 'deeplift':
      return {
        ...common,
        execution: { rules: DEEPLIFT_RULES.map((r) => r.name) },
        arrays: { rows, baselines },
        numbers: { targets },
      };
    case 'grad-cam':
      return {
        ...common,
        execution: { rules: [maxPoolFirstWinner.name] },
        arrays: { rows },
        numbers: { targets, layer: layerNumbers(model!.layersModel!.layers[0].name) },
      };
    default:
      throw new Error(`no test task for the host kind '${kind}': add one here`);
  }
}

describe('engine primitives', () => {
  test("the ONNX runner's kinds are exactly the host kinds", () => {
    assert.deepEqual([...hostTaskKinds()].sort(), [...ONNX_TASK_KINDS].sort());
  });

  for (const [name, net, shape] of [
    ['Conv2D with batch norm', () => conv2dNet(), [4, 6, 5, 2]],
    ['Conv1D with dropout', () => conv1dNet(), [4, 12, 2]],
    ['Conv2D with dropout', () => conv2dDropoutNet(4), [4, 6, 5, 2]],
  ] as const)
    test(`${name}: every host kind gives the same numbers on both engines (logits, probabilities)`, async () => {
      const model = ExplainableModel.from(net());
      const x = randomBatch([...shape], 11);
      const runner = await OnnxTaskRunner.create(model);
      try {
        await withoutLeaks(async () => {
          for (const scores of ['logits', 'probabilities'] as const)
            for (const kind of hostTaskKinds()) {
              const task = taskOf(kind, x, scores, model);
              assert.ok(runner.accepts(task), `${kind} accepted`);
              const expected = executeRowTask(model, task);
              const got = await runner.run(task);
              assert.deepEqual(got.shape, expected.shape, `${kind} shape`);
              const scale = Math.max(...Array.from(expected.data, Math.abs));
              assertClose(got.data, expected.data, 2e-6 * scale, 1e-5, `${name}, ${kind} (${scores})`);
            }
        });
      } finally {
        await runner.close();
        x.dispose();
        model.dispose();
      }
    });

  test('a gradient pass from an arbitrary output seed: same on both engines; a one-hot seed is the target', async () => {
    const model = ExplainableModel.from(conv2dNet());
    const x = randomBatch([3, 6, 5, 2], 12);
    const runner = await OnnxTaskRunner.create(model);
    try {
      const rows = array(x);
      const seed = Float32Array.from({ length: 9 }, (_, i) => Math.sin(i + 1));
      const task = taskOf('gradients', x, 'logits');
      const onTfjs = tfjsPrimitives({ model, outputIndex: 0, scores: 'logits', execution: {} });
      const onOnnx = runner.primitives({ ...task, execution: { rules: [] } });
      const pass = { rows, output: { seed }, propagation: { kind: 'plain' } as const, withScores: true };
      const expected = await withoutLeaks(() => onTfjs.gradients(pass));
      const got = await onOnnx.gradients(pass);
      assertClose(got.gradient, expected.gradient, 2e-6, 1e-5, 'seeded gradient');
      assertClose(got.scores!, expected.scores!, 2e-6, 1e-5, 'scores of the pass');
      const oneHot = new Float32Array(9);
      [2, 0, 1].forEach((t, r) => (oneHot[r * 3 + t] = 1));
      const seeded = onTfjs.gradients({ ...pass, output: { seed: oneHot } });
      const targeted = onTfjs.gradients({ ...pass, output: { targets: [2, 0, 1] } });
      assert.deepEqual(seeded.gradient, targeted.gradient);
      await assert.rejects(
        onOnnx.gradients({ ...pass, output: { targets: [0, 3, 1] } }),
        /Argument 'targets' passed to 'OnnxTaskRunner.run' must be 3 class indices in \[0, 3\)/,
      );
    } finally {
      await runner.close();
      x.dispose();
      model.dispose();
    }
  });
});
