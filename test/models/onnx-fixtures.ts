/**
 * The PyTorch-exported ONNX files of test/fixtures/onnx-files (scripts/reference/onnx-files.py) and their reference
 * numbers, shared by the ONNX-file tests: where they are, the reference per model, torch's channels-first layout as
 * the model's channels-last one, and a file loaded by name and opset.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel } from '../../src/execution/explainable-model.js';
import { loadModel } from '../../src/models/load-model.js';
import { encodeModelProto } from '../../src/onnx-file/onnx-schema.js';
import { repoRoot } from '../helpers.js';

/** The folder of the fixtures. */
export const onnxFixtures = join(repoRoot, 'test', 'fixtures', 'onnx-files');

/** The reference numbers of every model (`reference.json`'s `models`), as the caller types them. */
export function onnxReference<T>(): Record<string, T> {
  return (JSON.parse(readFileSync(join(onnxFixtures, 'reference.json'), 'utf8')) as { models: Record<string, T> })
    .models;
}

/** torch's channels-first `[N, C, ...]` as the model's channels-last `[N, ..., C]`. */
export const channelsLast = (x: tf.Tensor): tf.Tensor =>
  tf.transpose(x, [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1]);

/** The fixture `<name>-opset<opset>.onnx`, loaded. */
export const loadOnnxFixture = (name: string, opset: number): Promise<ExplainableModel> =>
  loadModel(join(onnxFixtures, `${name}-opset${opset}.onnx`));

/** A float initializer `name` of shape `dims`. */
export const floats = (name: string, dims: number[], values: number[]) => ({
  name,
  dims,
  data_type: 1,
  raw_data: new Uint8Array(Float32Array.from(values).buffer),
});

/** Deterministic values in (−1, 1). */
export const wave = (n: number, phase: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + phase));

/**
 * A hand-built one-input, one-output ModelProto: input 'x' `[batch, ...shape]`, output 'y' `[batch, 2]`, unnamed
 * nodes named n0, n1, ... (`batch` a fixed size or a named free axis, default 'N'; `opset` default 13).
 */
export function onnxBytes(
  nodes: Record<string, unknown>[],
  shape: (number | string)[],
  initializer: Record<string, unknown>[] = [],
  { batch = 'N', opset = 13 }: { batch?: number | string; opset?: number } = {},
): Uint8Array {
  const dims = (d: (number | string)[]) => ({
    dim: d.map((v) => (typeof v === 'string' ? { dim_param: v } : { dim_value: v })),
  });
  return encodeModelProto({
    ir_version: 8,
    producer_name: 'test',
    opset_import: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: nodes.map((n, i) => ({ name: `n${i}`, ...n })),
      initializer,
      input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: dims([batch, ...shape]) } } }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: dims([batch, 2]) } } }],
    },
  });
}
