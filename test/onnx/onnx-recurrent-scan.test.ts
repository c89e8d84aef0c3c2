/**
 * Recurrent layers compiled to ONNX as Scans (src/onnx/layers/recurrent.ts, src/onnx/scan.ts) and their reverse-Scan
 * gradients (src/onnx/gradients/scan.ts): the compiled graph grows with the layers, not with the time steps (what
 * ONNX Runtime's set-up time follows: the unrolled BiLSTM of ../shared had 16,478 nodes and took about a minute to
 * open), and scores and input gradients equal a float64 textbook (the cells' equations written out here, gradients by
 * central differences) on tiny LSTM, GRU (reset gate before and after the recurrent product), SimpleRNN and
 * Bidirectional models. Agreement with the TensorFlow.js path, guided backprop included: onnx-lowering.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { ExplainableModel } from '../../src/execution/explainable-model.js';
import { compileGradientGraph } from '../../src/onnx/compile-gradient-graph.js';
import { onnxNodeCount } from '../../src/onnx/graph-optimization.js';
import { OnnxGradientSession } from '../../src/node/onnx/node-onnx-sessions.js';
import { GRUResetAfter, registerGRUResetAfter } from '../../src/models/gru-reset-after.js';
import { loadModel } from '../../src/models/load-model.js';
import { loadOrt, runSession, sessionOptions } from '../../src/node/onnx/ort.js';
import { assertClose, sharedDir, skipWithoutShared, useWasm } from '../helpers.js';
import { randomBatch, seedWeights } from '../tiny-models.js';

before(useWasm);
before(registerGRUResetAfter);

/** A recurrent layer of the tiny models, by name. */
const RECURRENT: Record<string, () => tf.layers.Layer> = {
  lstm: () => tf.layers.lstm({ units: 3 }),
  'gru (reset before, hard sigmoid)': () => tf.layers.gru({ units: 3, recurrentActivation: 'hardSigmoid' }),
  'gru (reset after)': () => new GRUResetAfter({ units: 3 } as never),
  'simple rnn (relu, backwards)': () => tf.layers.simpleRNN({ units: 3, activation: 'relu', goBackwards: true }),
  'bidirectional lstm (sequences, concat)': () =>
    tf.layers.bidirectional({
      layer: tf.layers.lstm({ units: 2, returnSequences: true }) as never,
      mergeMode: 'concat',
    }),
};

/** `[steps, 2]` → the named recurrent layer → Dense(2) (after a Flatten for a sequence), seeded. */
function tinyModel(name: string, steps: number): tf.LayersModel {
  const recurrent = RECURRENT[name]();
  const sequence = recurrent.getClassName() === 'Bidirectional';
  const model = tf.sequential({
    layers: [
      tf.layers.inputLayer({ inputShape: [steps, 2] }),
      recurrent,
      ...(sequence ? [tf.layers.flatten()] : []),
      tf.layers.dense({ units: 2 }),
    ],
  });
  seedWeights(model, 31, 0.8);
  return model;
}

// ---- the float64 textbook ----

type Vector = number[];
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const hardSigmoid = (v: number) => Math.min(1, Math.max(0, 0.2 * v + 0.5));
const ACTIVATIONS: Record<string, (v: number) => number> = {
  tanh: Math.tanh,
  sigmoid,
  relu: (v) => Math.max(0, v),
  hard_sigmoid: hardSigmoid,
  hardSigmoid,
  linear: (v) => v,
};

/** `v · W` for a row-major `W` of `v.length` rows. */
function times(v: Vector, w: { data: Float32Array; cols: number }): Vector {
  const out = new Array<number>(w.cols).fill(0);
  v.forEach((a, r) => {
    for (let c = 0; c < w.cols; c++) out[c] += a * w.data[r * w.cols + c];
  });
  return out;
}
const add = (a: Vector, b: Vector) => a.map((v, i) => v + b[i]);
const mul = (a: Vector, b: Vector) => a.map((v, i) => v * b[i]);
const part = (v: Vector, k: number, units: number) => v.slice(k * units, (k + 1) * units);

/** The weights of a recurrent layer as the textbook reads them (by name: a Bidirectional's layers too). */
function weightsOf(layer: tf.layers.Layer) {
  const read = (suffix: string) => {
    const weight = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`));
    if (weight === undefined) throw new Error(`${layer.name} has no ${suffix}`);
    const values = weight.read();
    return { data: values.dataSync() as Float32Array, cols: weight.shape[weight.shape.length - 1] as number };
  };
  return { kernel: read('kernel'), recurrent: read('recurrent_kernel'), bias: read('bias') };
}

/** One recurrent layer over `xs` (steps of features): every step's h in time order, and the last h. */
function runCell(layer: tf.layers.Layer, xs: Vector[]): { sequence: Vector[]; last: Vector } {
  const c = layer.getConfig() as Record<string, unknown>;
  const units = c.units as number;
  const act = ACTIVATIONS[(c.activation as string) ?? 'tanh'];
  const gate = ACTIVATIONS[(c.recurrentActivation as string) ?? 'sigmoid'];
  const { kernel, recurrent, bias } = weightsOf(layer);
  const backwards = c.goBackwards === true;
  const order = xs.map((_, t) => (backwards ? xs.length - 1 - t : t));
  let h = new Array<number>(units).fill(0);
  let cell = new Array<number>(units).fill(0);
  const outputs: Vector[] = [];
  for (const t of order) {
    const xw = times(xs[t], kernel);
    const kind = layer.getClassName();
    if (kind === 'LSTM') {
      const z = add(add(xw, times(h, recurrent)), Array.from(bias.data));
      const [i, f, g, o] = [0, 1, 2, 3].map((k) => part(z, k, units));
      cell = add(mul(f.map(gate), cell), mul(i.map(gate), g.map(act)));
      h = mul(o.map(gate), cell.map(act));
    } else if (kind === 'SimpleRNN') {
      h = add(add(xw, times(h, recurrent)), Array.from(bias.data)).map(act);
    } else {
      // GRU: z, r, candidate; reset after: a bias for the input and one for the recurrent projection
      const after = kind === 'GRUResetAfter';
      const inputBias = Array.from(bias.data).slice(0, 3 * units);
      const xp = add(xw, inputBias);
      let hz: Vector, hr: Vector, inner: (r: Vector) => Vector;
      if (after) {
        const hp = add(times(h, recurrent), Array.from(bias.data).slice(3 * units));
        [hz, hr] = [part(hp, 0, units), part(hp, 1, units)];
        inner = (r) => mul(r, part(hp, 2, units));
      } else {
        const hp = times(h, recurrent);
        [hz, hr] = [part(hp, 0, units), part(hp, 1, units)];
        const candidate = { data: new Float32Array(units * units), cols: units };
        for (let row = 0; row < units; row++)
          for (let col = 0; col < units; col++)
            candidate.data[row * units + col] = recurrent.data[row * 3 * units + 2 * units + col];
        inner = (r) => times(mul(r, h), candidate);
      }
      const z = add(part(xp, 0, units), hz).map(gate);
      const r = add(part(xp, 1, units), hr).map(gate);
      const candidate = add(part(xp, 2, units), inner(r)).map(act);
      h = add(
        mul(z, h),
        mul(
          z.map((v) => 1 - v),
          candidate,
        ),
      );
    }
    outputs.push(h);
  }
  // Keras keeps a backwards layer's sequence in processing order
  return { sequence: outputs, last: h };
}

/** The tiny model's logits for one example `x` (`[steps, 2]` flattened), in float64. */
function textbookScores(model: tf.LayersModel, x: Vector): Vector {
  const layer = model.layers.find((l) => l.getClassName() !== 'InputLayer')!;
  const steps = x.length / 2;
  const xs = Array.from({ length: steps }, (_, t) => x.slice(2 * t, 2 * t + 2));
  let features: Vector;
  if (layer.getClassName() === 'Bidirectional') {
    const wrapper = layer as unknown as { forwardLayer: tf.layers.Layer; backwardLayer: tf.layers.Layer };
    const forward = runCell(wrapper.forwardLayer, xs).sequence;
    const backward = runCell(wrapper.backwardLayer, xs).sequence.slice().reverse();
    features = forward.flatMap((h, t) => [...h, ...backward[t]]);
  } else features = runCell(layer, xs).last;
  const dense = model.layers[model.layers.length - 1];
  const [kernel, bias] = dense.getWeights().map((w) => w.dataSync() as Float32Array);
  return add(times(features, { data: kernel, cols: 2 }), Array.from(bias));
}

/** d logit_target / dx by central differences of the textbook, in float64. */
function textbookGradient(model: tf.LayersModel, x: Vector, target: number): Vector {
  const step = 1e-5;
  return x.map((_, i) => {
    const up = x.slice();
    const down = x.slice();
    up[i] += step;
    down[i] -= step;
    return (textbookScores(model, up)[target] - textbookScores(model, down)[target]) / (2 * step);
  });
}

describe('recurrent layers as ONNX Scans', () => {
  test('the compiled gradient graph has as many nodes for 40 time steps as for 4 (plain and guided)', () => {
    for (const name of Object.keys(RECURRENT))
      for (const guided of [false, true]) {
        const counts = [4, 40].map((steps) => {
          const model = tinyModel(name, steps);
          const compiled = compileGradientGraph(model, { scores: 'logits', guided });
          model.dispose();
          return onnxNodeCount(compiled.model);
        });
        assert.equal(counts[1], counts[0], `${name}${guided ? ' (guided)' : ''}: nodes for 4 and 40 steps`);
        assert.ok(counts[0] < 80, `${name}: ${counts[0]} nodes`);
      }
  });

  test(
    'the BiLSTM of ../shared compiles to a graph of a few nodes per recurrent layer, and gives the same numbers on every run',
    { skip: skipWithoutShared },
    async () => {
      const model = await loadModel(resolve(sharedDir, 'models', 'wild2/02_hvl_bilstm.keras'));
      const ort = await loadOrt();
      try {
        for (const guided of [false, true]) {
          const graph = compileGradientGraph(model.layersModel!, { scores: 'logits', guided }).model;
          const nodes = onnxNodeCount(graph);
          // two Bidirectional layers: four Scans forward, four backward, 63 steps each (unrolled: 16,478 nodes)
          assert.ok(nodes <= 150, `${nodes} nodes${guided ? ' (guided)' : ''}`);
          if (guided) continue;
          // ONNX Runtime's memory pattern (off for Scan graphs) gave other gradients from the second run on
          assert.equal(sessionOptions(1, graph).enableMemPattern, false);
          const session = await ort.InferenceSession.create(graph, sessionOptions(1, graph));
          try {
            const x = new Float32Array(2 * 63 * 40).map((_, i) => Math.sin(0.37 * i));
            const mask = Float32Array.of(1, 0, 0, 0, 0, 0, 1, 0, 0, 0);
            const feeds = { x: { data: x, dims: [2, 63, 40] }, mask: { data: mask, dims: [2, 5] } };
            const first = await runSession(ort, session, feeds);
            for (let run = 2; run <= 3; run++) {
              const again = await runSession(ort, session, feeds);
              assert.deepEqual(Array.from(again.gradient), Array.from(first.gradient), `gradient of run ${run}`);
            }
          } finally {
            await session.release();
          }
        }
      } finally {
        model.dispose();
      }
    },
  );

  for (const name of Object.keys(RECURRENT))
    test(`${name}: ONNX scores and input gradients equal a float64 textbook`, async () => {
      const model = tinyModel(name, 5);
      const x = randomBatch([3, 5, 2], 41);
      const data = x.dataSync() as Float32Array;
      const rows = Array.from({ length: 3 }, (_, r) => Array.from(data.subarray(10 * r, 10 * r + 10)));
      const targets = [0, 1, 1];
      const session = await OnnxGradientSession.create(ExplainableModel.from(model), { scores: 'logits' });
      try {
        const got = await session.gradients(data, targets);
        const scores = rows.flatMap((row) => textbookScores(model, row));
        const gradient = rows.flatMap((row, r) => textbookGradient(model, row, targets[r]));
        const scale = (values: number[]) => Math.max(...values.map(Math.abs));
        assertClose(got.scores, scores, 1e-6 * scale(scores), 0, `${name} scores`);
        assertClose(got.gradient, gradient, 1e-5 * scale(gradient), 0, `${name} gradient`);
      } finally {
        await session.release();
        x.dispose();
        model.dispose();
      }
    });
});
