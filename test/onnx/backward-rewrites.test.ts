/**
 * The backward-graph rewrites (src/onnx/backward-rewrites.ts): on tiny 1-D and 2-D networks of odd sizes (convolutions
 * with strides, dilations, 'same' and 'valid' padding; batch normalisation in front of and behind them; ReLU into
 * max pooling of several geometries), the rewritten gradient graph gives the same input gradients as the graph of the
 * per-op builders as they are — the same bits where only masks moved, equal to float32 rounding where scales were
 * folded into kernels — and as TensorFlow.js, plain and guided; and the rewrites fire: no mask on an unpooled tensor
 * and no batch-normalisation scale left beside a convolution.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { targetGradients } from '../../src/attribution/target-gradients.js';
import { guidedRelu } from '../../src/rules/guided-relu.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { loadNodeOnnxRuntime } from '../../src/node/onnx/node-onnx-runtime.js';
import { decodeModelProto } from '../../src/onnx-file/onnx-schema.js';
import { assertClose, useWasm } from '../helpers.js';
import { randomBatch, seedWeights } from '../tiny-models.js';

before(useWasm);

/** 2-D: odd input, Conv(same, dilated) → BN → ReLU → MaxPool 2 (valid, odd size) → Conv(valid) → BN → ReLU → MaxPool 3 (same) → GAP → Dense. */
function net2d(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.batchNormalization({ inputShape: [11, 9, 3] }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 5, kernelSize: [2, 3], padding: 'valid', useBias: false }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 3, padding: 'same' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** 2-D with strides: Conv(stride 2, same, relu) → MaxPool [3, 2] (strides [3, 2], valid) → Conv(same, BN behind) → Flatten → Dense. */
function stridedNet2d(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [13, 10, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: [3, 2], strides: [3, 2], padding: 'valid' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** 1-D: Conv(same) → BN → ReLU → MaxPool 2 (odd length) → Conv(valid, dilated, relu) → MaxPool 3 (same) → Flatten → Dense. */
function net1d(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [23, 2], filters: 4, kernelSize: 5, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.conv1d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'valid', activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 3, padding: 'same' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** The networks, and whether a batch-normalisation scale sits beside a unit-stride convolution's input gradient. */
const NETS: [string, (seed: number) => tf.LayersModel, boolean][] = [
  ['2-D, BN around convolutions, pools 2 (valid) and 3 (same)', net2d, true],
  ['2-D, strided convolution, pool [3, 2]', stridedNet2d, false],
  ['1-D, BN, pools 2 and 3 (same), dilated convolution', net1d, true],
];

/** Runs a compiled gradient graph on onnxruntime-node: the gradient of each row's `targets` score. */
async function runGraph(graph: Uint8Array, x: tf.Tensor, targets: number[], classes: number): Promise<Float32Array> {
  const session = await (await loadNodeOnnxRuntime()).createSession(graph, { threads: 1 });
  try {
    const rows = x.shape[0];
    const mask = new Float32Array(rows * classes);
    targets.forEach((t, r) => (mask[r * classes + t] = 1));
    const out = await session.run({
      x: { data: x.dataSync() as Float32Array, dims: x.shape },
      mask: { data: mask, dims: [rows, classes] },
    });
    return out.gradient;
  } finally {
    await session.release();
  }
}

interface DecodedNode {
  op_type: string;
  input: string[];
  output: string[];
}

/** The nodes of a compiled graph, as decoded. */
function graphNodes(graph: Uint8Array): DecodedNode[] {
  return (decodeModelProto(graph) as { graph: { node: DecodedNode[] } }).graph.node;
}

/** How many `Where` nodes read a `MaxUnpool`'s output or its ReLU (a mask applied to an unpooled tensor). */
function masksBehindUnpooling(nodes: DecodedNode[]): number {
  const unpooled = new Set(nodes.filter((n) => n.op_type === 'MaxUnpool').flatMap((n) => n.output));
  for (const n of nodes) if (n.op_type === 'Relu' && unpooled.has(n.input[0])) unpooled.add(n.output[0]);
  return nodes.filter((n) => n.op_type === 'Where' && n.input.some((v) => unpooled.has(v))).length;
}

const countOf = (nodes: DecodedNode[], opType: string): number => nodes.filter((n) => n.op_type === opType).length;

describe('backward-graph rewrites', () => {
  for (const [name, make, folds] of NETS)
    for (const guided of [false, true])
      test(`${name}${guided ? ', guided' : ''}: the same gradient as the builders' graph and TensorFlow.js`, async () => {
        const layers = make(31);
        const model = ExplainableModel.from(layers);
        const x = randomBatch([5, ...(model.inputShape as number[])], 32);
        try {
          const targets = tf.tidy(() =>
            Array.from(tf.argMax(model.run(x, { outputIndex: 0, scores: 'logits' }), 1).dataSync()),
          );
          const compile = (backwardRewrites: boolean) =>
            compileGradientGraph(layers, { scores: 'logits', guided, backwardRewrites });
          const rewritten = compile(true);
          const plain = compile(false);
          const classes = rewritten.classes;
          const got = await runGraph(rewritten.model, x, targets, classes);
          const old = await runGraph(plain.model, x, targets, classes);
          const scale = Math.max(...Array.from(old, Math.abs));
          assert.ok(scale > 0, 'a gradient that is not all zero');
          assertClose(got, old, 1e-6 * scale, 1e-6, 'rewritten against the builders as they are');
          const expected = tf.tidy(() => {
            const execution = guided ? { rules: [guidedRelu] } : {};
            const g = targetGradients(model, x, targets, {
              outputIndex: 0,
              scores: 'logits',
              batchSize: 64,
              execution,
            });
            return g.dataSync() as Float32Array;
          });
          assertClose(got, expected, 2e-6 * scale, 1e-5, 'rewritten against TensorFlow.js');
          // The rewrites fired: no mask is left behind an unpooling, and the scales beside convolutions are folded
          const nodes = graphNodes(rewritten.model);
          const builders = graphNodes(plain.model);
          assert.ok(masksBehindUnpooling(builders) > 0, "the builders' graph masks unpooled tensors");
          assert.equal(masksBehindUnpooling(nodes), 0, 'masks behind an unpooling');
          assert.equal(countOf(nodes, 'MaxUnpool'), countOf(builders, 'MaxUnpool'));
          if (folds) assert.ok(countOf(nodes, 'Mul') < countOf(builders, 'Mul'), 'a batch-normalisation scale folded');
          else assert.equal(countOf(nodes, 'Mul'), countOf(builders, 'Mul'));
        } finally {
          x.dispose();
          model.dispose();
        }
      });

  test('a mask moved in front of the unpooling gives the same bits', async () => {
    // Only ReLU and max pooling in the backward path (no scale to fold): every element must be identical.
    const layers = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [9, 7, 2], filters: 3, kernelSize: 3, padding: 'same' }),
        tf.layers.reLU(),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2 }),
      ],
    });
    seedWeights(layers, 41);
    const x = randomBatch([4, 9, 7, 2], 42);
    try {
      const [rewritten, plain] = [true, false].map((backwardRewrites) =>
        compileGradientGraph(layers, { scores: 'logits', backwardRewrites }),
      );
      const got = await runGraph(rewritten.model, x, [0, 1, 1, 0], 2);
      const old = await runGraph(plain.model, x, [0, 1, 1, 0], 2);
      assert.deepEqual(Array.from(got), Array.from(old));
      assert.equal(masksBehindUnpooling(graphNodes(plain.model)), 1);
      assert.equal(masksBehindUnpooling(graphNodes(rewritten.model)), 0);
    } finally {
      x.dispose();
      layers.dispose();
    }
  });
});
