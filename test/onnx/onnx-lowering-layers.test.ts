/**
 * What the per-model agreement of `onnx-lowering.test.ts` does not reach for the layer families lowered in
 * `src/onnx/layers/{activations,pooling,layer-normalization,depthwise,resampling,attention,tensor-op}.ts`:
 * Monte-Carlo dropout on attention probabilities (the same keep-masks as the TensorFlow.js layer op), LayerNormalization
 * without centre or scale (TensorFlow.js's layer fails under gradients there, so it is checked against zero β and unit
 * γ), and the one-line refusals of what the lowerings do not express.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { executeRowTask, type RowTask } from '../../src/parallel/row-task.js';
import '../../src/parallel/forward-task.js';
import '../../src/attribution/pooled-target-gradients.js';
import { OnnxGradientSession, OnnxTaskRunner } from '../../src/node/onnx/node-onnx-sessions.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { TensorOpLayer, registerTensorOpLayer } from '../../src/models/tensor-op-layer.js';
import { assertClose, useWasm, withoutLeaks } from '../helpers.js';
import { randomBatch, seedWeights } from '../tiny-models.js';
import { attentionNet, transformerNet } from './lowering-layer-models.js';

before(useWasm);

const largest = (values: ArrayLike<number>): number => Math.max(...Array.from(values, Math.abs));

describe('ONNX lowering of the newer layer families', () => {
  test('Monte-Carlo dropout on attention probabilities: the same keep-masks and numbers as TensorFlow.js', async () => {
    for (const build of [transformerNet, attentionNet]) {
      const model = ExplainableModel.from(build());
      const x = randomBatch([3, ...(model.inputShape as number[])], 41);
      const rows = { data: x.dataSync() as Float32Array, shape: x.shape.slice() };
      await withoutLeaks(async () => {
        const runner = await OnnxTaskRunner.create(model);
        try {
          for (const dropout of [{ seed: 5 }, { seed: 5, fixedMasks: true }]) {
            const common = { outputIndex: 0, scores: 'logits' as const, execution: { rules: [], dropout } };
            const tasks: RowTask[] = [
              { ...common, kind: 'scores', arrays: { rows }, numbers: {} },
              { ...common, kind: 'gradients', arrays: { rows }, numbers: { targets: [0, 1, 2] } },
            ];
            for (const task of tasks) {
              assert.ok(runner.accepts(task), `${task.kind} accepted`);
              const expected = executeRowTask(model, task);
              const got = await runner.run(task);
              assertClose(got.data, expected.data, 2e-6 * largest(expected.data), 1e-5, `${build.name} ${task.kind}`);
              const plain = executeRowTask(model, { ...task, execution: { rules: [] } });
              assert.ok(
                plain.data.some((v, i) => Math.abs(v - expected.data[i]) > 1e-4),
                'the dropout changed the numbers',
              );
            }
          }
        } finally {
          await runner.close();
        }
      });
      x.dispose();
      model.dispose();
    }
  });

  test('LayerNormalization without centre or scale equals zero β and unit γ on TensorFlow.js', async () => {
    const build = (center: boolean, scale: boolean) => {
      const model = tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [5, 3], units: 4, activation: 'tanh' }),
          tf.layers.layerNormalization({ center, scale }),
          tf.layers.flatten(),
          tf.layers.dense({ units: 3 }),
        ],
      });
      seedWeights(model, 42);
      return model;
    };
    for (const [center, scale] of [
      [false, true],
      [true, false],
      [false, false],
    ]) {
      const full = build(true, true);
      const reduced = build(center, scale);
      full.layers.forEach((layer, i) => {
        if (i !== 1) return reduced.layers[i].setWeights(layer.getWeights());
        const [gamma, beta] = layer.getWeights();
        reduced.layers[i].setWeights([...(scale ? [gamma] : []), ...(center ? [beta] : [])]);
        const replaced = [scale ? gamma.clone() : tf.onesLike(gamma), center ? beta.clone() : tf.zerosLike(beta)];
        layer.setWeights(replaced);
        tf.dispose(replaced);
      });
      const reference = ExplainableModel.from(full);
      const x = randomBatch([3, 5, 3], 43);
      const expected = tf.tidy(() => {
        const scores = reference.run(x, { outputIndex: 0, scores: 'logits' });
        const gradient = tf.grad((v: tf.Tensor) =>
          tf.sum(tf.mul(reference.run(v, { outputIndex: 0 }), tf.oneHot([0, 1, 2], 3))),
        )(x);
        return { scores: scores.dataSync() as Float32Array, gradient: gradient.dataSync() as Float32Array };
      });
      const session = await OnnxGradientSession.create(ExplainableModel.from(reduced));
      try {
        const got = await session.gradients(x.dataSync() as Float32Array, [0, 1, 2]);
        assertClose(got.scores, expected.scores, 2e-6 * largest(expected.scores), 1e-5, `scores ${center} ${scale}`);
        const tolerance = 2e-6 * largest(expected.gradient);
        assertClose(got.gradient, expected.gradient, tolerance, 1e-5, `gradient ${center} ${scale}`);
      } finally {
        await session.release();
      }
      x.dispose();
      reduced.dispose();
      full.dispose();
    }
  });

  test('what the lowerings do not express is refused in one line naming the layer and why', () => {
    registerTensorOpLayer();
    const refused: [tf.layers.Layer, number[], RegExp][] = [
      [
        tf.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear', name: 'up' }),
        [3, 3, 2],
        /^WingbeatsError: Layer 'up' \(UpSampling2D\) cannot be compiled to ONNX: interpolation 'bilinear' \(only nearest\)\.$/,
      ],
      [
        new TensorOpLayer({ name: 'swap', tensorOp: 'transpose', opKwargs: { perm: [1, 0, 2] } }),
        [3, 2],
        /^WingbeatsError: Layer 'swap' \(TensorOpLayer\) cannot be compiled to ONNX: a transpose that moves the batch axis\.$/,
      ],
      [
        new TensorOpLayer({ name: 'first', tensorOp: 'slice', opKwargs: { slice_spec: [0] } }),
        [3, 2],
        /^WingbeatsError: Layer 'first' \(TensorOpLayer\) cannot be compiled to ONNX: it slices the batch axis\.$/,
      ],
      [
        new TensorOpLayer({ name: 'total', tensorOp: 'mean', opKwargs: { axis: 0 } }),
        [3, 2],
        /^WingbeatsError: Layer 'total' \(TensorOpLayer\) cannot be compiled to ONNX: it works on axis 0 \(the batch axis or none\)\.$/,
      ],
    ];
    for (const [layer, shape, message] of refused) {
      const x = tf.input({ shape });
      const model = tf.model({ inputs: x, outputs: layer.apply(x) as tf.SymbolicTensor });
      assert.throws(() => compileGradientGraph(model, { scores: 'logits' }), message);
      model.dispose();
    }
  });
});
