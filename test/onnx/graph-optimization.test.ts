/**
 * ONNX Runtime's graph optimisation level per graph (src/onnx/graph-optimization.ts): the node count is the graph's, ordinary graphs keep every optimisation, a graph over the limit gets
 * none, and such a graph gives onnxruntime-node's answers of the optimised one (the node session options use it); a
 * graph with a Scan (a recurrent layer) gets none and no memory pattern.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OnnxGraph } from '../../src/onnx/onnx-graph.js';
import * as tf from '@tensorflow/tfjs';
import {
  UNOPTIMISED_GRAPH_NODES,
  graphOptimizationLevel,
  graphSessionOptions,
  onnxNodeCount,
} from '../../src/onnx/graph-optimization.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { decodeModelProto } from '../../src/onnx-file/onnx-schema.js';
import { loadOrt, runSession, sessionOptions } from '../../src/node/onnx/ort.js';

/** `y = x·c₁ + c₂ …` as a chain of `links` Mul/Add pairs over floats `[batch, 3]`. */
function chain(links: number): Uint8Array {
  const graph = new OnnxGraph();
  let value = graph.input('x', [3]);
  const scale = graph.floats('scale', new Float32Array([1.0001, 0.9999, 1]), [3]);
  const shift = graph.floats('shift', new Float32Array([1e-4, -1e-4, 0]), [3]);
  for (let i = 0; i < links; i++) value = graph.op('Add', [graph.op('Mul', [value, scale]), shift]);
  graph.output('y', value, [3]);
  return graph.encode('chain');
}

test("the node count is the graph's, at any size; 0 for bytes that are no model", () => {
  const outputNodes = onnxNodeCount(chain(0));
  for (const links of [0, 1, 7, 300]) {
    const bytes = chain(links);
    const decoded = decodeModelProto(bytes) as { graph: { node: unknown[] } };
    assert.equal(onnxNodeCount(bytes), decoded.graph.node.length);
    assert.equal(onnxNodeCount(bytes), 2 * links + outputNodes);
  }
  assert.equal(onnxNodeCount(new Uint8Array(0)), 0);
  assert.equal(onnxNodeCount(new TextEncoder().encode('not a model at all')), 0);
  // Cut short: the graph field claims more bytes than there are.
  assert.equal(onnxNodeCount(chain(5).subarray(0, 40)), 0);
});

test('every optimisation up to the limit, none above it', () => {
  // A chain of n links has 2n nodes and the output's own (an Identity node).
  const links = Math.floor((UNOPTIMISED_GRAPH_NODES - onnxNodeCount(chain(0))) / 2);
  assert.equal(graphOptimizationLevel(chain(3)), 'all');
  assert.ok(onnxNodeCount(chain(links)) <= UNOPTIMISED_GRAPH_NODES);
  assert.equal(graphOptimizationLevel(chain(links)), 'all');
  assert.ok(onnxNodeCount(chain(links + 1)) > UNOPTIMISED_GRAPH_NODES);
  assert.equal(graphOptimizationLevel(chain(links + 1)), 'disabled');
});

test('a graph with a Scan (a recurrent layer) gets no optimisation and no memory pattern; others keep both', () => {
  assert.deepEqual(graphSessionOptions(chain(3)), { graphOptimizationLevel: 'all', enableMemPattern: true });
  const model = tf.sequential({
    layers: [tf.layers.gru({ inputShape: [4, 2], units: 3 }), tf.layers.dense({ units: 2 })],
  });
  const graph = compileGradientGraph(model, { scores: 'logits' }).model;
  model.dispose();
  assert.deepEqual(graphSessionOptions(graph), { graphOptimizationLevel: 'disabled', enableMemPattern: false });
  assert.equal(sessionOptions(1, graph).enableMemPattern, false);
});

test('onnxruntime-node runs a graph over the limit unoptimised, with the answers of the optimised graph', async () => {
  const ort = await loadOrt();
  const bytes = chain(UNOPTIMISED_GRAPH_NODES / 2 + 1);
  assert.ok(onnxNodeCount(bytes) > UNOPTIMISED_GRAPH_NODES);
  assert.equal(sessionOptions(1, bytes).graphOptimizationLevel, 'disabled');
  const x = new Float32Array([1, -2, 3, 0.5, 0, -1]);
  const outputs: Float32Array[] = [];
  for (const options of [sessionOptions(1, bytes), { ...sessionOptions(1, bytes), graphOptimizationLevel: 'all' }]) {
    const session = await ort.InferenceSession.create(bytes, options);
    try {
      outputs.push((await runSession(ort, session, { x: { data: x, dims: [2, 3] } })).y);
    } finally {
      await session.release();
    }
  }
  assert.equal(outputs[0].length, 6);
  assert.ok(outputs[0].every(Number.isFinite));
  assert.deepEqual(Array.from(outputs[0]), Array.from(outputs[1]));
});
