/** The settings of a data-set run: stored beside the part files and in every table file, compared on resume and merge. */
import type { TargetOption } from '../execution/targets.js';
import type { ScoreKind } from '../execution/explainable-model.js';
import type { ComputeBackend, EngineChoice } from '../execution/execution-settings.js';
import { engineChoice } from '../session/engines.js';
import type { Session } from '../session/session.js';
import { WingbeatsError } from '../util/errors.js';
import { parseJsonText } from '../io/json-text.js';

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
  /** The training statistics the inputs' range is checked against (`--stats`): the file and its SHA-256; absent without. */
  stats?: { file: string; sha256: string };
  /** What computed the numbers: the engine the run's `engine` option resolved to (`'onnx'` or `'tfjs'`). */
  engine: string;
  heatmapShape: number[];
}

/**
 * What made a run's rows besides its settings: the library version and the SHA-256 of the model's bytes (a model.json
 * with its weight files). Stored in `settings.json` and in every part file; a part made by another model or version is
 * recomputed (the recordings' own hashes are stored per part file, see `DatasetPartMetadata`).
 */
export interface DatasetProvenance {
  version: string;
  modelSha256: string;
}

/** `settings.json` of a run folder: the settings, and what produced the rows. */
export interface DatasetRunFile extends DatasetRunSettings {
  producedBy?: DatasetProvenance;
}

const SETTINGS_KEYS: readonly (keyof DatasetRunSettings)[] = [
  'format',
  'model',
  'input',
  'methods',
  'scores',
  'seed',
  'windows',
  'heatmapShape',
];

/**
 * Parses the text of a run's `settings.json` (`file` names it in messages), checking that it is an object of this
 * format with the fields every reader needs.
 *
 * @throws WingbeatsError `INVALID_FILE` naming the file: not JSON, not an object, another format, missing fields; the
 *   message says to remove the file (or the folder) to start over.
 * @example parseRunSettings(await readFile('out/settings.json', 'utf8'), 'out/settings.json');
 */
export function parseRunSettings(text: string, file: string): DatasetRunFile {
  const fix = `remove it (or use another --out) to start the run over`;
  let value: unknown;
  try {
    value = parseJsonText(text, `'${file}'`);
  } catch (error) {
    throw new WingbeatsError('INVALID_FILE', `${(error as Error).message.replace(/\.?$/, '')}; ${fix}.`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${file}' must hold a JSON object (a dataset run's settings) but holds ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`}; ${fix}.`,
    );
  const settings = value as Record<string, unknown>;
  if (settings.format !== 'wingbeats-xai-dataset/1')
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${file}' is not the settings of a dataset run (format must be 'wingbeats-xai-dataset/1' but got ${JSON.stringify(settings.format ?? null).slice(0, 60)}); ${fix}.`,
    );
  const missing = SETTINGS_KEYS.filter((key) => settings[key] === undefined || settings[key] === null);
  const shapes = settings.heatmapShape;
  const model = settings.model as Record<string, unknown> | undefined;
  const input = settings.input as Record<string, unknown> | undefined;
  if (
    missing.length > 0 ||
    !Array.isArray(shapes) ||
    !shapes.every((d) => Number.isSafeInteger(d) && (d as number) > 0) ||
    typeof model !== 'object' ||
    !Array.isArray(model.inputShape) ||
    typeof input !== 'object' ||
    typeof input.path !== 'string' ||
    !Array.isArray(settings.methods)
  )
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${file}' lacks fields of a dataset run's settings${missing.length > 0 ? ` (${missing.join(', ')})` : ' (model, input, methods or heatmapShape malformed)'}; ${fix}.`,
    );
  return settings as unknown as DatasetRunFile;
}

/** The top-level settings whose values differ between two runs (empty when they are the same run); what produced the rows (`producedBy`), a part's shard and input hashes are not settings. */
export function settingsDifferences(a: DatasetRunSettings, b: DatasetRunSettings): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
    (key) => key !== 'producedBy' && key !== 'shard' && key !== 'inputs',
  ) as (keyof DatasetRunSettings)[];
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
  session: Session,
  choice: EngineChoice | undefined,
  workers: number | undefined,
): Promise<ComputeBackend> {
  return session.resolveEngine(
    'explainDataset',
    engineChoice('explainDataset', { engine: choice }, session.engine),
    workers,
  );
}
