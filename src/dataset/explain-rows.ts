/**
 * Explains the examples of one chunk with every chosen method and turns the results into table rows: the prediction of
 * every head, the target, attributions, heatmap and completeness gap per (example, method); an example that cannot be
 * read or explained becomes rows with its error instead of stopping the run. Universal (inputs arrive as arrays).
 */
import type { EngineChoice } from '../execution/execution-settings.js';
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ModelInput, ScoreKind } from '../execution/explainable-model.js';
import type { TargetOption } from '../execution/targets.js';
import { attributionMethods, type AttributionMethodName, type MethodDescriptor } from '../attribution/registry.js';
import { disposeAttribution, type AttributionResult } from '../attribution/types.js';
import { contrastiveAttribution, contrastMethodNames } from '../attribution/contrast.js';
import { stableHash } from './shard.js';
import type { DatasetExample } from './examples.js';
import type { DatasetRow } from './table.js';
import { predictScores } from '../parallel/forward-task.js';
import { defaultSession, type Session } from '../session/session.js';
import { engineChoice } from '../session/engines.js';
import { DEFAULT_BATCH_SIZE } from '../util/batching.js';

/** How every example is explained (the run's settings, parsed). */
export interface DatasetExplainSettings {
  methods: readonly AttributionMethodName[];
  /** Method options beyond the shared ones, by their registry names (`steps`, `integration`, `noiseSamples`, ...); each method gets its own. */
  methodOptions: Readonly<Record<string, unknown>>;
  /** Hz of each frequency index of the inputs (from the preset), for the group methods' Hz ranges and harmonics. */
  frequencyHz?: readonly number[];
  /** The SHAP methods' background set (each flat, in the model's input layout). */
  background?: readonly Float32Array[];
  /** Integrated gradients' reference input (flat, in the model's input layout) for every example; omitted: zeros. */
  baseline?: Float32Array;
  /**
   * Omitted: the top class; `'label'`: the example's label (a class name of the head); `'rival'`: the runner-up class
   * (second-highest score of the explained head); else a class index or name.
   */
  target?: TargetOption | 'label' | 'rival';
  output?: string | number;
  scores: ScoreKind;
  /** Seed of sampled methods; each example's own seed is derived from it and the example's path. */
  seed: number;
  batchSize?: number;
  /** Worker threads (default: the number of cores). */
  workers?: number;
  /** The engine (default `'auto'`; see `RequestOptions.engine`). */
  engine?: EngineChoice;
  /**
   * The session of the run's model (its engine, worker pool and kernel cache shared by every chunk; `engine` and
   * `workers` above still apply per call). Default: the model's default session.
   */
  session?: Session;
  /** Called after each method on each group of examples: (example-method passes done, passes in all). */
  onProgress?: (done: number, total: number) => void;
}

/** One example with its model inputs (one per input of the file), or why they could not be read. */
export interface LoadedExample {
  example: DatasetExample;
  inputs?: Float32Array[];
  /** Warnings about each input (see `InputItem.warnings`), or about the file when it could not be read; default none. */
  warnings?: string[][];
  error?: string;
}

interface Unit {
  example: DatasetExample;
  index: number;
  data: Float32Array;
  warnings: string[];
}

const message = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');

/** The seed of one example for sampled methods: stable across shards and batch layouts. */
export function exampleSeed(seed: number, path: string, index: number): number {
  return (stableHash(`${seed}:${path}#${index}`) % 2147483647) + 1;
}

/** Rows of an example that failed as a whole: one per method, with the error. */
export function errorRows(
  example: DatasetExample,
  index: number,
  methods: readonly string[],
  error: string,
  warnings: readonly string[] = [],
): DatasetRow[] {
  return methods.map((method) => ({
    path: example.path,
    index,
    label: example.label,
    split: example.split,
    method,
    predicted: null,
    predictedIndex: null,
    target: null,
    targetName: null,
    probabilities: null,
    scores: null,
    heads: null,
    input: null,
    attributions: null,
    heatmap: null,
    delta: null,
    error,
    warnings: [...warnings],
    contrastMap: null,
  }));
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/**
 * Every head's prediction for one batch: per unit, `[{head, predicted, probabilities | scores}]` (forward passes
 * shared out to the worker pool, see `predictScores`).
 */
async function headPredictions(
  model: ExplainableModel,
  x: tf.Tensor,
  settings: DatasetExplainSettings,
): Promise<Record<string, unknown>[][]> {
  const perHead: Record<string, unknown>[][] = [];
  // The forward passes on the run's engine, as every method's own passes (ONNX Runtime where the model lowers).
  const session = settings.session ?? defaultSession(model);
  const backend = await session.resolveEngine(
    'explainDataset',
    engineChoice('explainDataset', settings, session.engine),
    settings.workers,
  );
  for (const [outputIndex, head] of model.outputNames.entries()) {
    const softmax = model.endsInSoftmax(outputIndex);
    const scores = await predictScores(model, x, {
      outputIndex,
      scores: softmax ? 'probabilities' : 'logits',
      batchSize: settings.batchSize ?? DEFAULT_BATCH_SIZE,
      execution: backend === 'tfjs' ? {} : { backend },
      workers: settings.workers,
      session,
    });
    const values = scores.arraySync();
    scores.dispose();
    const labels = model.labels(outputIndex);
    perHead.push(
      values.map((row) => {
        const best = argmax(row);
        return {
          head,
          predicted: labels?.[best] ?? String(best),
          [softmax ? 'probabilities' : 'scores']: Array.from(Float32Array.from(row)),
        };
      }),
    );
  }
  return Array.from({ length: x.shape[0] }, (_, i) => perHead.map((head) => head[i]));
}

/**
 * Explains `loaded` examples with every method of `settings` and returns their rows, example by example in the given
 * order and methods in `settings.methods` order. Single-pass methods without options (gradients, saliency, ...) run
 * on the whole chunk as one batch (each example's rows go through the same kernels whatever the batch holds); methods
 * with options (integrated gradients' steps, SmoothGrad's samples, occlusion's windows, LRP's rules, ...) run per
 * example, sampled ones with a seed derived from the example's path — so a shard explains an example bit for bit as an
 * unsharded run does. When a batch fails, its examples are retried one by one so only the bad ones get errors.
 *
 * @param model - The explainable model (not disposed here).
 * @param loaded - The chunk's examples with their inputs (flat, in the model's input layout) or read errors.
 * @param settings - {@link DatasetExplainSettings}.
 * @returns Rows in table order (the caller owns no tensor; none is left behind, also on error).
 */
export async function explainExamples(
  model: ExplainableModel,
  loaded: readonly LoadedExample[],
  settings: DatasetExplainSettings,
): Promise<DatasetRow[]> {
  const shape = (model.inputShape ?? []).map((d) => d ?? -1);
  const units: Unit[] = [];
  const failures = new Map<string, string>();
  for (const { example, inputs, error, warnings } of loaded) {
    if (error !== undefined || inputs === undefined) failures.set(`${example.path}#0`, error ?? 'no input');
    else inputs.forEach((data, index) => units.push({ example, index, data, warnings: warnings?.[index] ?? [] }));
  }
  const results = new Map<string, Map<string, DatasetRow>>();
  const record = (unit: Unit, method: string, row: DatasetRow | string): void => {
    const key = `${unit.example.path}#${unit.index}`;
    if (typeof row === 'string') {
      failures.set(key, row);
      return;
    }
    const rows = results.get(key) ?? new Map<string, DatasetRow>();
    rows.set(method, row);
    results.set(key, rows);
  };
  const total = units.length * settings.methods.length;
  let passes = 0;
  const explain = async (batch: Unit[]): Promise<void> => {
    const x = tf.tensor(concat(batch.map((u) => u.data)), [batch.length, ...shape]);
    try {
      const heads = await headPredictions(model, x, settings);
      const explained = model.resolveOutput('explainExamples', settings.output);
      for (const method of settings.methods) {
        const names = attributionMethods[method].options.map((o) => o.name as string);
        const sampled = names.includes('noiseSamples');
        // Single-pass methods without options go through the chunk as one batch; methods with options (steps,
        // samples, windows, layers, rules, baselines) run per example, so their numbers never depend on the batch.
        const perExample = names.length > 0;
        const own = Object.fromEntries(
          Object.entries(settings.methodOptions).filter(
            ([key]) => names.includes(key) && key !== 'baseline' && key !== 'background',
          ),
        );
        const groups = perExample ? batch.map((_, i) => [i]) : [batch.map((_, i) => i)];
        for (const group of groups) {
          const part = group.length === batch.length ? x : tf.gather(x, group);
          const baseline =
            names.includes('baseline') && settings.baseline !== undefined
              ? tf.tensor(tile(settings.baseline, group.length), [group.length, ...shape])
              : undefined;
          const background =
            names.includes('background') && settings.background !== undefined
              ? tf.tensor(concat([...settings.background]), [settings.background.length, ...shape])
              : undefined;
          try {
            const first = batch[group[0]];
            const target = targetOf(
              settings.target,
              group.map((i) => batch[i].example),
              group.map((i) => heads[i][explained]),
            );
            const methodOptions = {
              ...own,
              ...(baseline === undefined ? {} : { baseline }),
              ...(background === undefined ? {} : { background }),
              ...(names.includes('groups') && settings.frequencyHz !== undefined
                ? { frequencyHz: settings.frequencyHz }
                : {}),
              output: settings.output,
              scores: settings.scores,
              batchSize: settings.batchSize,
              workers: settings.workers,
              engine: settings.engine,
              seed: sampled ? exampleSeed(settings.seed, first.example.path, first.index) : settings.seed,
            };
            const runOn = settings.session ?? model;
            const result = await attributionMethods[method].run(runOn, part, { ...methodOptions, target });
            let rows: DatasetRow[];
            try {
              rows = rowsOf(
                result,
                group.map((i) => batch[i]),
                group.map((i) => heads[i]),
                method,
              );
            } finally {
              disposeAttribution(result);
            }
            await fillContrastMaps(runOn, part, rows, method, methodOptions, model.labels(explained));
            rows.forEach((row, j) => record(batch[group[j]], method, row));
          } finally {
            if (part !== x) part.dispose();
            baseline?.dispose();
            background?.dispose();
          }
          passes = Math.min(total, passes + group.length);
          settings.onProgress?.(passes, total);
        }
      }
    } finally {
      x.dispose();
    }
  };
  if (units.length > 0) {
    try {
      await explain(units);
    } catch {
      results.clear();
      for (const unit of units) {
        try {
          await explain([unit]);
        } catch (error) {
          results.delete(`${unit.example.path}#${unit.index}`);
          record(unit, '', message(error));
        }
      }
    }
  }
  const rows: DatasetRow[] = [];
  for (const { example, inputs, warnings } of loaded) {
    const count = inputs?.length ?? 1;
    for (let index = 0; index < count; index++) {
      const key = `${example.path}#${index}`;
      const failure = failures.get(key);
      if (failure !== undefined)
        rows.push(...errorRows(example, index, settings.methods, failure, warnings?.[index] ?? []));
      else rows.push(...settings.methods.map((method) => results.get(key)?.get(method) as DatasetRow));
    }
  }
  return rows;
}

/** The runner-up class of one head's prediction: the index of the second-highest score (ties: the lower index). */
export function rivalClass(scores: ArrayLike<number>): number {
  const best = argmax(scores);
  let rival = best === 0 ? 1 : 0;
  for (let i = 0; i < scores.length; i++) if (i !== best && scores[i] > scores[rival]) rival = i;
  return rival;
}

function targetOf(
  target: DatasetExplainSettings['target'],
  examples: DatasetExample[],
  explainedHead: Record<string, unknown>[],
): TargetOption | undefined {
  if (target === 'rival')
    return explainedHead.map((head) => rivalClass((head.probabilities ?? head.scores) as number[]));
  if (target !== 'label') return target;
  return examples.map((e) => {
    if (e.label === null) throw new Error(`'${e.path}' has no label to explain (--target label)`);
    return e.label;
  });
}

function tile(values: Float32Array, times: number): Float32Array {
  const out = new Float32Array(values.length * times);
  for (let i = 0; i < times; i++) out.set(values, i * values.length);
  return out;
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function rowsOf(
  result: AttributionResult,
  units: Unit[],
  heads: Record<string, unknown>[][],
  method: string,
): DatasetRow[] {
  const attributions = result.attributions.dataSync() as Float32Array;
  const heatmaps = result.heatmaps.dataSync() as Float32Array;
  const scores = result.predictions.arraySync();
  const probabilities = result.probabilities?.arraySync();
  const size = attributions.length / units.length;
  const heatmapSize = heatmaps.length / units.length;
  return units.map((unit, i) => {
    const predictedIndex = argmax(scores[i]);
    const predicted = heads[i].find((h) => h.head === result.output)?.predicted as string | undefined;
    return {
      path: unit.example.path,
      index: unit.index,
      label: unit.example.label,
      split: unit.example.split,
      method,
      predicted: predicted ?? String(predictedIndex),
      predictedIndex,
      target: result.targets[i],
      targetName: result.targetNames[i] ?? null,
      probabilities: probabilities === undefined ? null : Array.from(Float32Array.from(probabilities[i])),
      scores: Array.from(Float32Array.from(scores[i])),
      heads: JSON.stringify(heads[i]),
      input: Array.from(unit.data),
      attributions: Array.from(attributions.subarray(i * size, (i + 1) * size)),
      heatmap: Array.from(heatmaps.subarray(i * heatmapSize, (i + 1) * heatmapSize)),
      delta: result.delta?.[i] ?? null,
      error: null,
      warnings: [...unit.warnings],
      contrastMap: null,
    };
  });
}

/**
 * The contrastive map of one example's attributions of score(predicted) − score(label): summed over channels (the
 * last axis, `channels` values per heatmap position) and divided by the largest |value| (all zeros stay zeros).
 */
export function normalisedContrastMap(attributions: ArrayLike<number>, channels: number): number[] {
  const map = Array.from({ length: attributions.length / channels }, (_, p) => {
    let s = 0;
    for (let c = 0; c < channels; c++) s += attributions[p * channels + c];
    return s;
  });
  const largest = map.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return largest === 0 ? map : map.map((v) => v / largest);
}

/**
 * Fills `contrastMap` of the misclassified rows of one group (label a class of the head, predicted another): the
 * method explains score(predicted) − score(label) on those examples with the same options (see
 * `contrastiveAttribution`). Methods without a contrastive form leave the maps null.
 */
async function fillContrastMaps(
  model: ModelInput,
  part: tf.Tensor,
  rows: DatasetRow[],
  method: AttributionMethodName,
  options: Record<string, unknown>,
  classNames: readonly string[] | undefined,
): Promise<void> {
  if (!(contrastMethodNames as readonly string[]).includes(method)) return;
  const misclassified = rows.flatMap((row, i) => {
    const label = row.label === null ? -1 : (classNames?.indexOf(row.label) ?? -1);
    return label >= 0 && row.predictedIndex !== null && label !== row.predictedIndex ? [{ i, label }] : [];
  });
  if (misclassified.length === 0) return;
  const indices = misclassified.map((m) => m.i);
  const x = indices.length === rows.length ? part : tf.gather(part, indices);
  try {
    const descriptor = attributionMethods[method] as MethodDescriptor;
    if (descriptor.contrast === 'difference' && indices.every((i) => rows[i].target === rows[i].predictedIndex)) {
      await fillDifferenceMaps(
        descriptor,
        model,
        x,
        rows,
        indices,
        options,
        misclassified.map((m) => m.label),
      );
      return;
    }
    const result = await contrastiveAttribution(method, model, x, {
      ...options,
      target: indices.map((i) => rows[i].predictedIndex as number),
      contrast: misclassified.map((m) => m.label),
    });
    try {
      const attributions = result.attributions.dataSync() as Float32Array;
      const size = attributions.length / indices.length;
      const heatmapSize = result.heatmaps.size / indices.length;
      indices.forEach((i, j) => {
        rows[i].contrastMap = normalisedContrastMap(
          attributions.subarray(j * size, (j + 1) * size),
          size / heatmapSize,
        );
      });
    } finally {
      disposeAttribution(result);
    }
  } finally {
    if (x !== part) x.dispose();
  }
}

/**
 * The contrastive maps of a method of the `'difference'` form whose rows already explain the predicted class: the
 * margin's attributions A(predicted) − A(label) with A(predicted) taken from the rows (the same run with the same
 * options that `contrastiveAttribution` would repeat) and only A(label) computed, subtracted in float32 as it
 * subtracts — the same maps for one run of the method instead of two.
 */
async function fillDifferenceMaps(
  descriptor: MethodDescriptor,
  model: ModelInput,
  x: tf.Tensor,
  rows: DatasetRow[],
  indices: number[],
  options: Record<string, unknown>,
  labels: number[],
): Promise<void> {
  const result = await descriptor.run(model, x, { ...options, target: labels });
  try {
    const contrast = result.attributions.dataSync() as Float32Array;
    const size = contrast.length / indices.length;
    const heatmapSize = result.heatmaps.size / indices.length;
    const margin = new Float32Array(size);
    indices.forEach((i, j) => {
      const own = rows[i].attributions as number[];
      for (let k = 0; k < size; k++) margin[k] = own[k] - contrast[j * size + k];
      rows[i].contrastMap = normalisedContrastMap(margin, size / heatmapSize);
    });
  } finally {
    disposeAttribution(result);
  }
}
