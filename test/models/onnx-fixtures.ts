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
