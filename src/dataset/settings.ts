/** The settings of a data-set run: stored beside the part files and in every table file, compared on resume and merge. */
import type { TargetOption } from '../execution/targets.js';
import type { ScoreKind } from '../execution/explainable-model.js';
import type { ComputeBackend, EngineChoice } from '../execution/execution-settings.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { resolveComputeBackend } from '../execution/compute-backend.js';

/** Everything that decides a run's results (never the shard, the chunk size or the time). */
export interface DatasetRunSettings {
  format: 'wingbeats-xai-dataset/1';
  model: { file: string; name: string; output: string; labels: string[] | null; inputShape: number[] };
  /** The input as given (absolute), its kind, and the folder example paths are relative to. */
  input: { path: string; kind: 'folder' | 'manifest' | 'file'; root: string };
  limit: number | null;
  methods: string[];
  methodOptions: Record<string, unknown>;
  /** The explained class: null for the predicted class, `'label'`, `'rival'` (the runner-up), or a class index or name. */
  target: TargetOption | 'label' | 'rival' | null;
  scores: ScoreKind;
  seed: number;
  /** The feature preset `.wav` inputs go through (and the heatmap's Hz axis comes from), or null. */
  preset: string | null;
  /** Which windows of a recording become inputs (`loudest`, `first`, or `all`: one row per window). */
  windows: 'loudest' | 'first' | 'all';
  /** How recordings are read: zero-padding of short ones, the channel (`'mix'` or an index), a preset forced on a model of another data set. */
  pad: boolean;
  channel: number | 'mix';
  forcePreset: boolean;
  /** Folder names mapped to class names (`--label-map`), or null. */
  labelMap: Record<string, string> | null;
  /** What computed the numbers: the engine the run's `engine` option resolved to (`'onnx'` or `'tfjs'`). */
  engine: string;
  heatmapShape: number[];
}

/** The top-level settings whose values differ between two runs (empty when they are the same run). */
export function settingsDifferences(a: DatasetRunSettings, b: DatasetRunSettings): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof DatasetRunSettings)[];
  return keys.filter((key) => JSON.stringify(a[key]) !== JSON.stringify(b[key]));
}

/** The heatmap shape of inputs of `inputShape`: the channel (last) axis removed for inputs of rank ≥ 2. */
export function heatmapShapeOf(inputShape: readonly number[]): number[] {
  return inputShape.length >= 2 ? inputShape.slice(0, -1) : [...inputShape];
}

/**
 * The engine recorded in a run's settings (`engine`), the one place that names it: what the run's `engine` option
 * resolves to for its model (`'onnx'` where ONNX Runtime is registered and the model lowers to it, else `'tfjs'`;
 * methods whose rules run on TensorFlow.js, such as LRP, still compute those there).
 */
export async function engineOfRun(
  model: ExplainableModel,
  choice: EngineChoice | undefined,
  workers: number | undefined,
): Promise<ComputeBackend> {
  return resolveComputeBackend('explainDataset', model, choice, workers);
}
