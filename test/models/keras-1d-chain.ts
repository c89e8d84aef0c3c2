/**
 * Small Keras 2 models for the tests of the Keras layers TensorFlow.js lacks: a functional config chaining layers after
 * one input, the `.h5` weights of a reference case (scripts/reference/keras_1d_layers*_reference.py,
 * keras_resizing_reference.py) by layer, and the check of a loaded file against its reference.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradients } from '../../src/attribution/gradients.js';
import { disposeAttribution, type AttributionResult } from '../../src/attribution/types.js';
import type { ExplainableModel } from '../../src/execution/explainable-model.js';
import { copyExplainableModel } from '../../src/execution/model-copy.js';
import { loadModel } from '../../src/models/load-model.js';
import { assertClose, flat, relativeError, withoutLeaks } from '../helpers.js';
import type { WeightToWrite } from './write-keras-h5.js';

type Json = Record<string, any>;
type Ref = [string, number, number, Json];
const ref = (name: string): Ref => [name, 0, 0, {}];

/** Keras's initializer entries of a layer with a kernel and a bias (unused on load; Keras writes them). */
export const INITIALIZERS = {
  kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
  bias_initializer: { class_name: 'Zeros', config: {} },
};

/** A Keras 2 functional config chaining `layers` ([class, config]) after an input of `shape`. */
export function chainConfig(shape: number[], layers: [string, Json][]): Json {
  const entries: Json[] = [
    {
      class_name: 'InputLayer',
      name: 'x',
      config: { name: 'x', batch_input_shape: [null, ...shape] },
      inbound_nodes: [],
    },
  ];
  for (const [className, config] of layers) {
    const previous = entries[entries.length - 1].name as string;
    entries.push({
      class_name: className,
      name: config.name,
      config: { dtype: 'float32', trainable: true, ...config },
      inbound_nodes: [[ref(previous)]],
    });
  }
  const last = entries[entries.length - 1].name as string;
  return {
    class_name: 'Functional',
    config: { name: 'chain', layers: entries, input_layers: [['x', 0, 0]], output_layers: [[last, 0, 0]] },
  };
}

/** A reference case's weights: Keras names (`layer/weight`), shapes and values. */
export interface ReferenceWeights {
  weights: { name: string; shape: number[]; values: number[] }[];
}

/** Keras 2 `.h5` weights by layer (`normalization/count:0` as int64, as Keras writes it). */
export function h5Weights(c: ReferenceWeights): [string, WeightToWrite[]][] {
  const out = new Map<string, WeightToWrite[]>();
  for (const w of c.weights) {
    const layer = w.name.split('/')[0];
    const weight = {
      name: `${w.name}:0`,
      shape: w.shape,
      values: Float32Array.from(w.values),
      int64: w.name.endsWith('/count'),
    };
    out.set(layer, [...(out.get(layer) ?? []), weight]);
  }
  return [...out];
}

/** A NumPy float64 reference of a small Keras model: its input shape, weights, and examples with logits and gradients. */
export interface ReferenceCase {
  shape: number[];
  weights: { name: string; shape: number[]; values: number[] }[];
  examples: { input: number[]; logits: number[]; target: number; gradient: number[] }[];
}

/**
 * Loads the Keras file at `path` and checks it against its reference `c`: logits and input gradients per example,
 * batching equals no batching, a copy rebuilt from the layers' configs computes the same, and no tensor is left.
 */
export async function checkAgainstReference(path: string, c: ReferenceCase): Promise<void> {
  const before = tf.memory().numTensors;
  const model = await loadModel(path);
  try {
    assert.deepEqual(model.inputShape, c.shape);
    for (const [k, example] of c.examples.entries()) {
      const x = tf.tensor(example.input, [1, ...c.shape]);
      const logits = tf.tidy(() => Array.from(model.run(x, { scores: 'logits' }).dataSync()));
      assertClose(logits, example.logits, 2e-6, 1e-5, `logits, example ${k}`);
      const result = await gradients(model, x, { target: example.target });
      assertClose(flat(result.attributions), example.gradient, 5e-6, 1e-4, `input gradient, example ${k}`);
      disposeAttribution(result);
      x.dispose();
    }
    // batching equals no batching; a copy rebuilt from the layers' configs computes the same
    const x = tf.tensor(
      c.examples.flatMap((e) => e.input),
      [c.examples.length, ...c.shape],
    );
    const batched = await gradients(model, x, { target: c.examples.map((e) => e.target) });
    assertClose(
      flat(batched.attributions),
      c.examples.flatMap((e) => e.gradient),
      5e-6,
      1e-4,
      'batched gradients',
    );
    disposeAttribution(batched);
    const copy = await copyExplainableModel(model);
    const [a, b] = tf.tidy(() => [model, copy].map((m) => Array.from(m.run(x, { scores: 'logits' }).dataSync())));
    copy.dispose();
    assert.deepEqual(b, a);
    x.dispose();
  } finally {
    model.dispose();
  }
  assert.equal(tf.memory().numTensors, before, 'tensors left by load, run, gradients and dispose');
}

/** An attribution method as the registry runs it. */
export type Method = (
  model: ExplainableModel,
  x: tf.Tensor,
  options: Record<string, unknown>,
) => Promise<AttributionResult>;
/** A method's attributions and, for DeepLIFT, its delta. */
export interface Numbers {
  attributions: number[];
  delta?: number[];
}

/** `method`'s attributions (and DeepLIFT's delta) on `engine`, checking it ran there and left no tensors. */
export async function runOnEngine(
  method: Method,
  model: ExplainableModel,
  x: tf.Tensor,
  options: Record<string, unknown>,
  engine: 'tfjs' | 'onnx',
): Promise<Numbers> {
  let out: Numbers | undefined;
  let ranOn: string | undefined;
  await withoutLeaks(
    () => method(model, x, { workers: 1, ...options, ...(engine === 'tfjs' ? { engine: 'tfjs' } : {}) }),
    (result) => {
      out = {
        attributions: Array.from(result.attributions.dataSync()),
        ...(result.delta === undefined ? {} : { delta: result.delta }),
      };
      ranOn = result.engine;
      disposeAttribution(result);
    },
  );
  assert.equal(ranOn, engine, `the method ran on ${engine}`);
  return out!;
}

/**
 * Each `[method, options, label]` gives the same attributions on ONNX Runtime as on TensorFlow.js (relative error
 * ≤ 1e-5), not all but zero, and DeepLIFT's summation-to-delta within 1e-5 on both.
 */
export async function enginesAgree(
  model: ExplainableModel,
  x: tf.Tensor,
  cases: readonly (readonly [unknown, Record<string, unknown>, string])[],
): Promise<void> {
  for (const [method, options, label] of cases) {
    const expected = await runOnEngine(method as Method, model, x, options, 'tfjs');
    const got = await runOnEngine(method as Method, model, x, options, 'onnx');
    assert.ok(Math.max(...expected.attributions.map(Math.abs)) > 1e-3, `${label}: attributions all but zero`);
    const error = relativeError(got.attributions, expected.attributions);
    assert.ok(error <= 1e-5, `${label}: engines differ by ${error}`);
    for (const delta of [expected.delta, got.delta].filter((d) => d !== undefined))
      for (const [r, d] of delta.entries()) assert.ok(Math.abs(d) <= 1e-5, `${label}: delta ${d}, row ${r}`);
  }
}
