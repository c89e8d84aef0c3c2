/** Runs one attribution method over input items and returns plain arrays per item. */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ModelInput, ScoreKind } from '../execution/explainable-model.js';
import type { Session } from '../session/session.js';
import { argumentError } from '../util/errors.js';
import type { TargetOption } from '../execution/targets.js';
import type { EngineChoice } from '../execution/execution-settings.js';
import { attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import { disposeAttribution, type AttributionResult } from '../attribution/types.js';
import type { FeatureGroup } from '../attribution/feature-groups.js';
import { contrastiveAttribution, type ContrastOption } from '../attribution/contrast.js';
import { withItemBatch, type InputItem } from './input-sources.js';

/** What every job that runs a model is told: target, head, scores, seed, chunk size, the methods' options. */
export interface JobSettings {
  target?: TargetOption;
  output?: string | number;
  scores?: ScoreKind;
  seed?: number;
  batchSize?: number;
  /** Worker threads (default: the number of cores; small jobs stay in the calling thread). */
  workers?: number;
  /** The engine (default `'auto'`; see `RequestOptions.engine`). */
  engine?: EngineChoice;
  /**
   * The session the job's library calls run in (one per model, opened by the front end: its engine, worker pool and
   * kernel cache are shared by every call; `engine` and `workers` above still apply per call). Default: the model's
   * default session.
   */
  session?: Session;
  /** The methods' own options (see the descriptors' specs), e.g. `{ steps: 64 }`; a `baseline` file name is ignored. */
  methodOptions?: Record<string, unknown>;
  /** Baseline values, one per item or one for all (integrated gradients), or undefined for zeros. */
  baselines?: Float32Array[];
  onProgress?: (done: number, total: number) => void;
}

/**
 * The request options a job passes to every library call, taken from its settings in ONE place: target, head,
 * scores, rows per call, worker threads, engine and progress (the seed stays with each job: some derive their own).
 */
export function requestOptions(
  settings: JobSettings,
): Pick<JobSettings, 'target' | 'output' | 'scores' | 'batchSize' | 'workers' | 'engine' | 'onProgress'> {
  const { target, output, scores, batchSize, workers, engine, onProgress } = settings;
  return { target, output, scores, batchSize, workers, engine, onProgress };
}

/**
 * What a job's library calls are given: the job's session when it has one (it must be opened on `model`), else the
 * model itself (its default session).
 * @throws WingbeatsError INVALID_ARGUMENT when the session was opened on another model.
 */
export function runsOn(model: ExplainableModel, settings: Pick<JobSettings, 'session'>): ModelInput {
  const session = settings.session;
  if (session === undefined) return model;
  if (session.model !== model)
    throw argumentError(
      'job',
      'session',
      `a session opened on ${model.describe()}`,
      `#one of ${session.model.describe()}`,
    );
  return session;
}

/** Settings of one explain run: the job settings and the method. */
export interface ExplainSettings extends JobSettings {
  method: AttributionMethodName;
  /** Explain score(target) − score(contrast) instead (see `contrastiveAttribution`): a class, one per item, or `'rival'`. */
  contrast?: ContrastOption;
}

/** The explanation of one model input of an item (models with several inputs). */
export interface ExplainedPart {
  input: string;
  item: InputItem;
  attributions: Float32Array;
  heatmap: Float32Array;
  heatmapShape: number[];
}

/** One explained item, as plain arrays. */
export interface ExplainedItem {
  item: InputItem;
  /** Name of the explained head. */
  head: string;
  /** The engines that computed it (`'onnx'`, `'tfjs'` or `'onnx+tfjs'`; see `AttributionResult.engine`). */
  engine: string;
  target: number;
  targetName?: string;
  logits: number[];
  probabilities?: number[];
  attributions: Float32Array;
  heatmap: Float32Array;
  heatmapShape: number[];
  delta?: number;
  /** Grad-CAM: the map at the layer's resolution, its shape, and the layer. */
  layerMap?: Float32Array;
  layerMapShape?: number[];
  layer?: string;
  /** Models with several inputs: the attributions and heatmap of each model input. */
  parts?: ExplainedPart[];
  /** Group methods: the groups, one value per group, standard errors, LIME's fit R², the harmonics' f0. */
  groups?: FeatureGroup[];
  groupAttributions?: number[];
  standardErrors?: number[];
  fitR2?: number;
  f0Hz?: number;
  /** With a contrast: the class whose score was subtracted, and its name. */
  contrast?: number;
  contrastName?: string;
}

/** Explains every item with `settings.method`, in one batched call. */
export async function explainItems(
  model: ExplainableModel,
  items: InputItem[],
  settings: ExplainSettings,
): Promise<ExplainedItem[]> {
  return withItemBatch(items, settings.baselines, async (x, baseline) => {
    const run =
      settings.contrast === undefined
        ? attributionMethods[settings.method].run
        : (m: ModelInput, inputs: tf.Tensor, o: Record<string, unknown>) =>
            contrastiveAttribution(settings.method, m, inputs, { ...o, contrast: settings.contrast as ContrastOption });
    const result: AttributionResult & { contrasts?: number[]; contrastNames?: (string | undefined)[] } = await run(
      runsOn(model, settings),
      x,
      {
        ...settings.methodOptions,
        ...requestOptions(settings),
        seed: settings.seed,
        baseline,
        // Group methods: the Hz of each frequency index, for the groups' Hz ranges and the harmonics.
        ...(items[0]?.axes === undefined ? {} : { frequencyHz: items[0].axes.frequencyHz }),
      },
    );
    try {
      return explainedRows(model, x, items, result, settings);
    } finally {
      disposeAttribution(result);
    }
  });
}

/** The result of one method as plain arrays per item (logits even when probabilities were explained). */
function explainedRows(
  model: ExplainableModel,
  x: tf.Tensor,
  items: InputItem[],
  result: AttributionResult & { contrasts?: number[]; contrastNames?: (string | undefined)[] },
  settings: ExplainSettings,
): ExplainedItem[] {
  const { contrasts, contrastNames } = result;
  const outputIndex = model.resolveOutput('explain', settings.output);
  const logits = tf.tidy(() =>
    (settings.scores === 'probabilities'
      ? model.run(x, { outputIndex, scores: 'logits' })
      : result.predictions
    ).arraySync(),
  ) as number[][];
  const probabilities = result.probabilities?.arraySync() as number[][] | undefined;
  const attributions = result.attributions.dataSync() as Float32Array;
  const heatmaps = result.heatmaps.dataSync() as Float32Array;
  const heatmapShape = result.heatmaps.shape.slice(1);
  const heatmapSize = heatmapShape.reduce((a, b) => a * b, 1);
  const size = items[0].shape.reduce((a, b) => a * b, 1);
  const layerMap = result.layerMap?.dataSync() as Float32Array | undefined;
  const layerMapShape = result.layerMap?.shape.slice(1);
  const layerMapSize = layerMapShape?.reduce((a, b) => a * b, 1) ?? 0;
  const parts = perInputParts(items, result.inputAttributions, result.inputHeatmaps);
  return items.map((item, i) => ({
    item,
    head: model.outputNames[outputIndex],
    engine: result.engine,
    target: result.targets[i],
    targetName: result.targetNames[i],
    logits: logits[i],
    probabilities: probabilities?.[i],
    attributions: attributions.slice(i * size, (i + 1) * size),
    heatmap: heatmaps.slice(i * heatmapSize, (i + 1) * heatmapSize),
    heatmapShape,
    delta: result.delta?.[i],
    ...(layerMap === undefined
      ? {}
      : { layerMap: layerMap.slice(i * layerMapSize, (i + 1) * layerMapSize), layerMapShape, layer: result.layer }),
    ...(parts === undefined ? {} : { parts: parts[i] }),
    ...groupFields(result, i),
    ...(contrasts === undefined ? {} : { contrast: contrasts[i], contrastName: contrastNames?.[i] }),
  }));
}

/** The group methods' fields of example `i` (none for other methods). */
function groupFields(result: AttributionResult, i: number): Partial<ExplainedItem> {
  if (result.groups === undefined) return {};
  return {
    groups: result.groups[i],
    groupAttributions: result.groupAttributions?.[i],
    ...(result.standardErrors === undefined ? {} : { standardErrors: result.standardErrors[i] }),
    ...(result.fitR2 === undefined ? {} : { fitR2: result.fitR2[i] }),
    ...(result.f0Hz?.[i] === undefined ? {} : { f0Hz: result.f0Hz[i] }),
  };
}

/** Per item, the explanation of each model input (undefined for models with one input). */
function perInputParts(
  items: InputItem[],
  attributions: tf.Tensor[] | undefined,
  heatmaps: tf.Tensor[] | undefined,
): ExplainedPart[][] | undefined {
  if (attributions === undefined || heatmaps === undefined) return undefined;
  const values = attributions.map((a) => a.dataSync() as Float32Array);
  const maps = heatmaps.map((h) => h.dataSync() as Float32Array);
  return items.map((item, i) =>
    (item.parts ?? []).map((part, k) => {
      const size = part.data.length;
      const heatmapShape = heatmaps[k].shape.slice(1);
      const heatmapSize = heatmapShape.reduce((a, b) => a * b, 1);
      return {
        input: part.input,
        item: { name: part.name, data: part.data, shape: part.shape, warnings: [] },
        attributions: values[k].slice(i * size, (i + 1) * size),
        heatmap: maps[k].slice(i * heatmapSize, (i + 1) * heatmapSize),
        heatmapShape,
      };
    }),
  );
}
