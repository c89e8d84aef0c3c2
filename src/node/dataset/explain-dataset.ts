/**
 * The library function behind `wingbeats-xai dataset` (Node only): explains one shard (by default the whole) of a
 * labelled data set into part files in `out`, and — for an unsharded run — merges them into the table, summaries and
 * report. Running it again with the same `out` resumes.
 */
import type { EngineChoice } from '../../execution/execution-settings.js';
import { groupMaskFromJson } from '../../attribution/feature-groups.js';
import { parseJsonBytes } from '../../io/json-text.js';
import { featureFrequencies } from '../../signal/feature-axes.js';
import { isFeaturePresetName } from '../../signal/presets.js';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { methodOptionSpecs, type AttributionMethodName } from '../../attribution/registry.js';
import { WingbeatsError, argumentError } from '../../util/errors.js';
import { openSession, type Session } from '../../session/session.js';
import type { ExplainableModel, ScoreKind } from '../../execution/explainable-model.js';
import type { TargetOption } from '../../execution/targets.js';
import { WHOLE_DATASET, type Shard } from '../../dataset/shard.js';
import { engineOfRun, heatmapShapeOf, type DatasetRunSettings } from '../../dataset/settings.js';
import { checkPresetForModel } from '../../models/preset-check.js';
import type { FeaturePresetName } from '../../signal/presets.js';
import { presetForModel, readInputSource, readInputSources, type WindowChoice } from '../../pipeline/input-sources.js';
import { readFileBytes, readSource, readSources } from '../read-files.js';
import { pixelStatisticsFromJSON } from '../../evaluation/pixel-statistics-json.js';
import { statisticsOfInputs, type TrainingInputStatistics } from '../../execution/input-statistics.js';
import { listDataset } from './listing.js';
import { clearRun, ensureRunSettings, runDatasetShard, type ShardOutcome } from './run.js';
import { mergeDataset, type DatasetTableResult } from './merge.js';
import { checkOutputFolder } from '../output/output-target.js';
import { LIBRARY_VERSION, modelFingerprint } from '../resumption-key.js';

/** Options of {@link explainDataset}. */
export interface ExplainDatasetOptions {
  /** The model and the file it came from (recorded in the settings). */
  model: ExplainableModel;
  modelFile: string;
  /**
   * The session on `model` the run's calls share (its engine, worker pool and kernel cache). Default: one opened for
   * the run and disposed at its end.
   */
  session?: Session;
  /** A folder with one sub-folder per class, or a CSV manifest `path,label[,split]`. */
  input: string;
  /** Output folder (parts/, table.parquet, summary.json, report.html). */
  out: string;
  /** Registered method names (default `['saliency']`). */
  methods?: readonly AttributionMethodName[];
  /** Tuning options by the registry's option names (`steps`, `integration`, `baseline` ('zeros' or a .json/.npy file), `noiseSamples`, `noiseStdev`); each method gets its own. */
  methodOptions?: Record<string, unknown>;
  /** Omitted: the predicted class; `'label'`: each example's label; `'rival'`: the runner-up class; or a class index or name. */
  target?: TargetOption | 'label' | 'rival';
  output?: string | number;
  /** Default `'logits'`. */
  scores?: ScoreKind;
  /** Seed of sampled methods (default 1). */
  seed?: number;
  /** Feature preset of `.wav` inputs (default: from the model's input shape). */
  preset?: string;
  /** Windows of a recording that become inputs (default `'loudest'`; `'all'` gives one row per window). */
  windows?: WindowChoice;
  /** Zero-pad recordings shorter than one window (default false). */
  pad?: boolean;
  /** Channel of multichannel recordings: `'mix'` (default) or an index. */
  channel?: number | 'mix';
  /** Accept a preset of another data set than the model's; every row then carries the warning (default false). */
  forcePreset?: boolean;
  /** A JSON file `{"folder name": "class name"}` mapping labels to the model's class names. */
  labelMap?: string;
  /**
   * A statistics file of training inputs (`wingbeats-xai stats`): each input's range is checked against it where the
   * model has no input batch norm to read its training statistics from (rows then carry the out-of-range warning).
   */
  stats?: string;
  /** Largest number of rows sent through the model at once (does not change results). */
  batchSize?: number;
  /** Worker threads (default: the number of cores; does not change results). */
  workers?: number;
  /** The engine (default `'auto'`; see `RequestOptions.engine`). */
  engine?: EngineChoice;
  /** Default: the whole data set. */
  shard?: Shard;
  /** Only the first `limit` examples by path. */
  limit?: number;
  /** Examples per part file (default 32). */
  chunkSize?: number;
  /** Discard an earlier run in `out` (never a live run's: refused while one of its shards runs). */
  force?: boolean;
  /**
   * Refuse, instead of explaining again, rows of `out` made by another model (its bytes), another recording (its
   * bytes) or another version of wingbeats-xai. Default false: such rows are recomputed and counted in `recomputed`.
   */
  noRecompute?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** What {@link explainDataset} did: the shard's outcome, and the table when the run was not sharded. */
export interface ExplainDatasetResult {
  shard: ShardOutcome;
  table?: DatasetTableResult;
}

/**
 * Reads a label map `{"folder name": "class name"}` (`--label-map`).
 *
 * @throws WingbeatsError `INVALID_FILE` naming the file when it is not a JSON object of strings.
 */
export async function readLabelMap(file: string): Promise<Record<string, string>> {
  const text = new TextDecoder().decode(await readFileBytes(file, { what: "Option '--label-map'" }));
  let map: unknown;
  try {
    map = JSON.parse(text);
  } catch {
    map = undefined;
  }
  if (
    typeof map !== 'object' ||
    map === null ||
    Array.isArray(map) ||
    !Object.values(map).every((v) => typeof v === 'string')
  )
    throw new WingbeatsError(
      'INVALID_FILE',
      `Option '--label-map' must name a JSON object {"folder name": "class name", ...} but '${file}' is not one.`,
    );
  return { ...(map as Record<string, string>) };
}

/**
 * Explains a data set (see the module doc).
 *
 * @returns The shard outcome and, for an unsharded run, the {@link DatasetTableResult} (table path, counts, summary).
 * @throws WingbeatsError `IO` for a missing input or a manifest naming missing files; `INVALID_ARGUMENT` when `out` is
 *   a file or holds a run with other settings (without `force`), or holds stale rows with `noRecompute`; `LOCKED` when
 *   the shard (or, with `force`, any shard) runs elsewhere; `INVALID_FILE` naming a damaged part or settings file.
 * @example
 * const { table } = await explainDataset({ model, modelFile: 'model.json', input: 'recordings/', out: 'explained/', methods: ['saliency'] });
 */
export async function explainDataset(options: ExplainDatasetOptions): Promise<ExplainDatasetResult> {
  const session = options.session ?? openSession(options.model);
  try {
    return await explainDatasetIn(session, options);
  } finally {
    if (options.session === undefined) await session.dispose();
  }
}

async function explainDatasetIn(session: Session, options: ExplainDatasetOptions): Promise<ExplainDatasetResult> {
  const { model } = options;
  if (session.model !== model)
    throw argumentError(
      'explainDataset',
      'session',
      `a session opened on ${model.describe()}`,
      `#one of ${session.model.describe()}`,
    );
  // Only the place (a folder, writable, not a file): a data-set run folder keeps its own rule (its settings.json).
  await checkOutputFolder(options.out, { force: true });
  const methods = [...(options.methods ?? ['saliency'])];
  const listing = await listDataset(options.input, { limit: options.limit, outputs: [options.out] });
  const labelMap = options.labelMap === undefined ? null : await readLabelMap(options.labelMap);
  if (labelMap !== null)
    listing.examples = listing.examples.map((e) => ({
      ...e,
      label: e.label !== null && Object.hasOwn(labelMap, e.label) ? labelMap[e.label] : e.label,
    }));
  const head = model.resolveOutput('explainDataset', options.output);
  const inputShape = (model.inputShape ?? []).map((d) => d ?? -1);
  let preset: string | null = null;
  const recordings = listing.examples.some((e) => /\.wave?$/i.test(e.path));
  try {
    preset = presetForModel(model, options.preset);
  } catch (error) {
    if (options.preset !== undefined || recordings) throw error;
  }
  // A preset of another data set fails once here, not once per recording.
  if (preset !== null && recordings)
    checkPresetForModel(model, preset as FeaturePresetName, { force: options.forcePreset });
  const names = methodOptionSpecs(methods).map((spec) => spec.name);
  const methodOptions = Object.fromEntries(
    Object.entries(options.methodOptions ?? {}).filter(([key, value]) => value !== undefined && names.includes(key)),
  );
  let baseline: Float32Array | undefined;
  if (typeof methodOptions.baseline === 'string' && methodOptions.baseline !== 'zeros') {
    methodOptions.baseline = path.resolve(methodOptions.baseline);
    const inputs = readInputSource(await readSource(methodOptions.baseline as string), model);
    if (inputs.length !== 1)
      throw new WingbeatsError(
        'SHAPE_MISMATCH',
        `Option '--baseline' must hold one input (used for every example) but '${methodOptions.baseline}' holds ${inputs.length}.`,
      );
    baseline = inputs[0].data;
  }
  if (typeof methodOptions.groups === 'string' && /\.json$/i.test(methodOptions.groups)) {
    // A mask file is read once and recorded in the run's settings as the mask itself, so a resumed run uses the same.
    const label = `Option '--groups' file '${methodOptions.groups}'`;
    const source = await readSource(path.resolve(methodOptions.groups), 'The --groups file');
    methodOptions.groups = groupMaskFromJson(parseJsonBytes(source.bytes, label), label);
  }
  let background: Float32Array[] | undefined;
  if (typeof methodOptions.background === 'string') {
    // The SHAP methods' background set: a folder of recordings (turned into inputs as the data set's are), a .npy
    // stack or a .json list of model inputs (the settings keep its path).
    methodOptions.background = path.resolve(methodOptions.background);
    const sources = await readSources([methodOptions.background as string], 'The --background file', '--background');
    const items = readInputSources(sources, model, {
      ...(preset === null ? {} : { preset }),
      windows: options.windows,
      pad: options.pad,
      channel: options.channel,
      forcePreset: options.forcePreset,
      option: '--background',
    });
    background = items.map((item) => item.data);
  }
  const stats = options.stats === undefined ? undefined : await readTrainingStatistics(options.stats, inputShape);
  const settings: DatasetRunSettings = {
    format: 'wingbeats-xai-dataset/1',
    model: {
      file: path.resolve(options.modelFile),
      name: model.name,
      output: model.outputNames[head],
      labels: model.labels(head) ?? null,
      inputShape,
    },
    input: { path: path.resolve(options.input), kind: listing.kind, root: listing.root },
    limit: options.limit ?? null,
    methods,
    methodOptions,
    target: options.target ?? null,
    scores: options.scores ?? 'logits',
    seed: options.seed ?? 1,
    preset,
    windows: options.windows ?? 'loudest',
    pad: options.pad ?? false,
    channel: options.channel ?? 'mix',
    forcePreset: options.forcePreset ?? false,
    labelMap,
    ...(stats === undefined ? {} : { stats: stats.record }),
    engine: await engineOfRun(session, options.engine, options.workers),
    heatmapShape: heatmapShapeOf(inputShape),
  };
  const producedBy = { version: LIBRARY_VERSION, modelSha256: await modelFingerprint(options.modelFile) };
  if (options.force) await clearRun(options.out);
  await ensureRunSettings(options.out, settings, producedBy, { noRecompute: options.noRecompute });
  const shard = options.shard ?? WHOLE_DATASET;
  const outcome = await runDatasetShard({
    model,
    listing,
    settings,
    explain: {
      methods,
      methodOptions,
      baseline,
      background,
      ...(preset !== null && isFeaturePresetName(preset) ? { frequencyHz: featureFrequencies(preset) } : {}),
      target: options.target,
      output: options.output,
      scores: settings.scores,
      seed: settings.seed,
      batchSize: options.batchSize,
      workers: options.workers,
      engine: options.engine,
      session,
    },
    statistics: stats?.statistics,
    out: options.out,
    shard,
    producedBy,
    noRecompute: options.noRecompute,
    chunkSize: options.chunkSize ?? 32,
    onProgress: options.onProgress,
  });
  return shard.count > 1 ? { shard: outcome } : { shard: outcome, table: await mergeDataset(options.out) };
}

/**
 * Reads a `--stats` file (`{shape, mean, std, count}` from `wingbeats-xai stats`) for a model taking `inputShape`:
 * the statistics inputs are checked against, and what the run's settings record of it (the file and its SHA-256).
 *
 * @throws WingbeatsError naming the option and the file when it cannot be read, is not statistics, or is of another
 *   size than the model input.
 */
async function readTrainingStatistics(
  file: string,
  inputShape: readonly number[],
): Promise<{ statistics: TrainingInputStatistics; record: { file: string; sha256: string } }> {
  const resolved = path.resolve(file);
  const label = `Option '--stats' file '${file}'`;
  const bytes = await readFileBytes(resolved, { what: 'The --stats file' });
  const stats = pixelStatisticsFromJSON(parseJsonBytes(bytes, label), label);
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (stats.mean.length !== size)
    throw new WingbeatsError(
      'SHAPE_MISMATCH',
      `${label} has statistics of shape [${stats.shape.join(',')}] but the model takes [${inputShape.join(',')}].`,
    );
  return {
    statistics: statisticsOfInputs(stats, `the statistics file '${file}'`),
    record: { file: resolved, sha256: createHash('sha256').update(bytes).digest('hex') },
  };
}
