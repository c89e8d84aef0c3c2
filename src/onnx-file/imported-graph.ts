/**
 * What an imported ONNX file's score function carries for the native engine (src/onnx/native-form.ts): its interpreter
 * and input layout, under a symbol on the function, so the model keeps no engine state and no table keyed by models
 * is needed.
 */
import type { ScoreFunction } from '../execution/explainable-model.js';
import type { OnnxGraphRunner } from './onnx-graph-runner.js';

/** The interpreter of an imported file and the layout facts the native lowering needs. */
export interface ImportedGraph {
  readonly runner: OnnxGraphRunner;
  /** The model takes its input channels last and the file reads it channels first. */
  readonly channelsFirst: boolean;
  /** The file fixes its batch axis to 1. */
  readonly fixedBatch: boolean;
  /** The file's input shape without the batch axis. */
  readonly fileInputShape: number[];
  /** The model's input shape without the batch axis. */
  readonly inputShape: number[];
}

const IMPORTED = Symbol('wingbeats-xai imported ONNX graph');

/** Marks `scores` as the score function of `imported`; returns `scores`. */
export function withImportedGraph(scores: ScoreFunction, imported: ImportedGraph): ScoreFunction {
  Object.defineProperty(scores, IMPORTED, { value: imported, enumerable: false });
  return scores;
}

/** The imported graph a score function carries, or undefined. */
export function importedGraphOf(scores: ScoreFunction | null): ImportedGraph | undefined {
  return (scores as (ScoreFunction & { [IMPORTED]?: ImportedGraph }) | null)?.[IMPORTED];
}
