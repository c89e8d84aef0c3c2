/**
 * Model inputs from named bytes — the same for the command line (bytes read from files) and the web page (bytes of a
 * picked file): a `.wav` turned into features by a preset, a `.npy`, or a `.json` holding one input or a list in the
 * model's layout without batch axis (a 129-vector may be flat for a (129,1) input; `features --json` documents too).
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { TrainingInputStatistics } from '../execution/input-range.js';
import { featuresFromRecording, type Features } from '../signal/features.js';
import { decodeWav, type WavRecording } from '../signal/wav.js';
import { isFeaturePresetName, type FeaturePresetName, type FeatureSettings } from '../signal/presets.js';
import { defaultPresetForModel, parseInputJson, splitIntoInputs, type InputArray } from '../io/input-files.js';
import { decodeNpy } from '../io/npy.js';
import { checkPresetForModel } from '../models/preset-check.js';
import { inputNotes } from '../summary/input-notes.js';
import { featureAxes, type FeatureAxes } from '../signal/feature-axes.js';
import { pixelStatisticsFromJSON } from '../evaluation/pixel-statistics.js';

/** A named file's bytes (`name`: the path or file name, used in messages; items are named after its base name). */
export interface InputSource {
  name: string;
  bytes: Uint8Array;
  /** Name of its items in outputs (default: the base name), e.g. `siteA/rec.wav` for a file found in a folder. */
  label?: string;
}

/** Which windows of a long recording become inputs. */
export type WindowChoice = 'loudest' | 'first' | 'all';

/** How recordings become model inputs. */
export interface InputReadOptions {
  /** Feature preset for `.wav` sources (default: from the model's input shape). */
  preset?: string;
  /** Custom feature settings for `.wav` sources (CLI `--features FILE.json`); replace the preset when given. */
  features?: FeatureSettings;
  /** Windows of a recording (default `'loudest'`). */
  windows?: WindowChoice;
  /** Zero-pad a recording shorter than one window (CLI `--pad`). */
  pad?: boolean;
  /** Channel of a multichannel recording: `'mix'` (default) or an index (CLI `--channel`). */
  channel?: number | 'mix';
  /** Accept a preset of another data set than the model's, with a warning (CLI `--force-preset`). */
  forcePreset?: boolean;
  /** The option the source came from, for messages (default `'--input'`). */
  option?: string;
  /**
   * Training statistics to check each input's range against (CLI `--stats FILE`), for models without an input batch
   * norm (which otherwise gives them).
   */
  statistics?: TrainingInputStatistics;
  /** Models with several inputs: which model input the source holds. */
  inputIndex?: number;
}

/** One model input of a model with several inputs, inside a packed {@link InputItem}. */
export interface InputPart {
  /** The model input's name. */
  input: string;
  /** The item's name from that input's source. */
  name: string;
  data: Float32Array;
  shape: number[];
}

/** One model input. */
export interface InputItem {
  /** A name for file names and reports (`<file>` or `<file>#<i>`). */
  name: string;
  /** Row-major values in the model's input layout. */
  data: Float32Array;
  /** The model's input shape (without batch axis). */
  shape: number[];
  /** When the input was computed from a recording: the recording and its features. */
  recording?: WavRecording;
  features?: Features;
  /** Warnings about this input (resampled up from a low rate, far from the training data, a forced preset). */
  warnings: string[];
  /** Frequency (Hz) of every bin and time (s) of every frame, when the preset is known. */
  axes?: FeatureAxes;
  /** What the input's range was checked against; absent: it could not be checked (see `RANGE_NOT_CHECKED`). */
  rangeCheckedAgainst?: string;
  /** Models with several inputs: `data` is the packed layout of these parts, one per model input. */
  parts?: InputPart[];
}

function knownPreset(model: ExplainableModel, requested?: string): FeaturePresetName | undefined {
  try {
    return presetForModel(model, requested);
  } catch {
    return undefined;
  }
}

/** The base name of a path or file name (`a/b/rec.wav` → `rec.wav`). */
export function baseName(name: string): string {
  return name.split(/[\\/]/).pop() ?? name;
}

/** The preset a model's input needs (`requested` wins; Keogh PSD models get `keogh-psd`). */
export function presetForModel(model: ExplainableModel, requested?: string): FeaturePresetName {
  if (requested !== undefined) {
    if (!isFeaturePresetName(requested))
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--preset' must be a feature preset name but got '${requested}'.`,
      );
    return requested;
  }
  return defaultPresetForModel(model);
}

/** The model's input shape without batch axis (of model input `inputIndex`, if given); throws when a dimension is unknown. */
export function modelInputShape(model: ExplainableModel, inputIndex?: number): number[] {
  const modelShape = inputIndex === undefined ? model.inputShape : (model.inputShapes ?? [])[inputIndex];
  const shape = (modelShape ?? []).map((d) => d ?? -1);
  if (shape.length === 0 || shape.some((d) => d < 0)) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `The model's input shape [${shape.join(',')}] is not fully known, so no input can be prepared for it.`,
    );
  }
  return shape;
}

/**
 * The shape of the inputs a `.npy`/`.json` array holds for a model whose input has free axes (`[null, 128]`): the
 * array is one input (same rank, the fixed axes equal) or a list of them (one axis more); free axes take the array's
 * sizes. Models with fully known inputs keep their shape.
 * @throws WingbeatsError SHAPE_MISMATCH when the array fits neither.
 * @example inputShapeOfArray([null, 128], [40, 128], 'x.npy'); // [40, 128]
 */
export function inputShapeOfArray(
  modelShape: readonly (number | null)[],
  arrayShape: readonly number[],
  name: string,
): number[] {
  const fits = (shape: readonly number[]): boolean =>
    shape.length === modelShape.length && shape.every((d, i) => modelShape[i] === null || modelShape[i] === d);
  if (fits(arrayShape)) return [...arrayShape];
  if (arrayShape.length > 0 && fits(arrayShape.slice(1))) return arrayShape.slice(1);
  const wanted = modelShape.map((d) => d ?? '?').join(',');
  throw new WingbeatsError(
    'SHAPE_MISMATCH',
    `Input '${name}' has shape [${arrayShape.join(',')}] but the model takes [${wanted}] (one input, any size at '?') or [n,${wanted}] (a list).`,
  );
}

function isRecording(name: string): boolean {
  return /\.wave?$/i.test(name);
}

/**
 * Reads one source into model inputs for `model`.
 * @throws WingbeatsError INVALID_FILE for unreadable content, SHAPE_MISMATCH for inputs of another shape,
 *   INVALID_ARGUMENT for an unknown extension.
 * @example const items = readInputSource({ name: 'rec.wav', bytes }, model, { windows: 'all' });
 */
export function readInputSource(
  source: InputSource,
  model: ExplainableModel,
  options: InputReadOptions = {},
): InputItem[] {
  if (model.isMultiInput && options.inputIndex === undefined) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `The model has ${model.inputNames.length} inputs (${model.inputNames.join(', ')}); this command takes one input file: use 'explain' with one --input per model input.`,
    );
  }
  const declared =
    (options.inputIndex === undefined ? model.inputShape : model.inputShapes?.[options.inputIndex]) ?? [];
  const freeAxes = declared.length > 0 && declared.some((d) => d === null) && !isRecording(source.name);
  const shape = freeAxes ? [] : modelInputShape(model, options.inputIndex);
  const base = source.label ?? baseName(source.name);
  const name = (i: number, n: number): string => (n === 1 ? base : `${base}#${i}`);
  if (isRecording(source.name)) {
    const recording = decodeWav(source.bytes, { name: base, channel: options.channel ?? 'mix' });
    const custom = options.features;
    const preset = custom === undefined ? presetForModel(model, options.preset) : undefined;
    const presetWarnings =
      preset === undefined ? [] : checkPresetForModel(model, preset, { force: options.forcePreset });
    const windows = featuresFromRecording(recording, custom ?? (preset as FeaturePresetName), {
      windows: options.windows ?? 'loudest',
      pad: options.pad === true,
    });
    const list = Array.isArray(windows) ? windows : [windows];
    return list.map((features, i) => {
      if (features.shape.join(',') !== shape.join(',')) {
        throw new WingbeatsError(
          'SHAPE_MISMATCH',
          preset === undefined
            ? `The --features settings give inputs of shape [${features.shape.join(',')}] but ${model.describe()}; change the bins or lengths in the settings file.`
            : `Preset '${preset}' gives inputs of shape [${features.shape.join(',')}] but ${model.describe()}; choose another --preset.`,
        );
      }
      const itemName = name(i, list.length);
      // Input-range and axes notes describe a model with one input; a part of a multi-input model gets none.
      const notes =
        options.inputIndex === undefined
          ? inputNotes(
              model,
              { name: itemName, data: features.data, sourceRate: recording.sampleRate },
              preset,
              options.statistics,
            )
          : { warnings: [], axes: undefined, rangeCheckedAgainst: undefined };
      return {
        name: itemName,
        data: features.data,
        shape,
        recording,
        features,
        warnings: [...presetWarnings, ...notes.warnings],
        // Custom settings are no preset: their own axes (bins, mel band centres, hop) are the recipe's.
        axes:
          notes.axes ?? (custom === undefined || options.inputIndex !== undefined ? undefined : featureAxes(custom)),
        ...(notes.rangeCheckedAgainst === undefined ? {} : { rangeCheckedAgainst: notes.rangeCheckedAgainst }),
      };
    });
  }
  let array: InputArray;
  if (/\.npy$/i.test(source.name)) {
    const npy = decodeNpy(source.bytes, source.name);
    array = { data: Float32Array.from(npy.data), shape: npy.shape };
  } else if (/\.json$/i.test(source.name)) {
    array = parseInputJson(new TextDecoder().decode(source.bytes), source.name);
  } else {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '${options.option ?? '--input'}' must be a .wav, .npy or .json file but got '${source.name}'.`,
    );
  }
  // A model with free axes is explained at the shape of the given input.
  if (freeAxes) shape.push(...inputShapeOfArray(declared, array.shape, source.name));
  const inputs = splitIntoInputs(source.name, array, shape);
  const preset = knownPreset(model, options.preset);
  return inputs.map((data, i) => {
    const itemName = name(i, inputs.length);
    const notes =
      options.inputIndex === undefined
        ? inputNotes(model, { name: itemName, data }, preset, options.statistics)
        : { warnings: [], axes: undefined, rangeCheckedAgainst: undefined };
    return {
      name: itemName,
      data,
      shape,
      warnings: notes.warnings,
      axes: notes.axes,
      ...(notes.rangeCheckedAgainst === undefined ? {} : { rangeCheckedAgainst: notes.rangeCheckedAgainst }),
    };
  });
}

/**
 * Model inputs of a model with several inputs: `sources[i]` holds model input i (as {@link readInputSource} reads it);
 * the examples are packed, one item per example, into the layout the methods work on (`ExplainableModel.packInputs`).
 * @throws WingbeatsError SHAPE_MISMATCH when the sources hold different numbers of examples.
 */
export function readMultiInputSources(
  sources: readonly InputSource[],
  model: ExplainableModel,
  options: InputReadOptions = {},
): InputItem[] {
  const perInput = sources.map((source, inputIndex) => readInputSource(source, model, { ...options, inputIndex }));
  const counts = perInput.map((items) => items.length);
  if (counts.some((n) => n !== counts[0])) {
    throw new WingbeatsError(
      'SHAPE_MISMATCH',
      `The --input files hold ${counts.join(', ')} examples for the model inputs ${model.inputNames.join(', ')}; give the same number for each.`,
    );
  }
  return perInput[0].map((_, example) => {
    const parts = perInput.map((items, i) => ({ input: model.inputNames[i], ...items[example] }));
    const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
    let offset = 0;
    for (const part of parts) {
      data.set(part.data, offset);
      offset += part.data.length;
    }
    const warnings = [...new Set(perInput.flatMap((items) => items[example].warnings))];
    const item: InputItem = {
      name: parts.map((p) => p.name).join('+'),
      data,
      shape: modelInputShape(model),
      parts,
      warnings,
    };
    return item;
  });
}

/** Reads every source (see {@link readInputSource}) into one list of items. */
export function readInputSources(
  sources: readonly InputSource[],
  model: ExplainableModel,
  options: InputReadOptions = {},
): InputItem[] {
  return sources.flatMap((source) => readInputSource(source, model, options));
}

/** The preset the items were computed with, when any came from a recording. */
export function itemsPreset(
  items: readonly InputItem[],
  model: ExplainableModel,
  requested?: string,
): FeaturePresetName | undefined {
  const recorded = items.filter((i) => i.recording !== undefined);
  // Custom feature settings (`--features`) are no preset: pictures then get no preset axes.
  if (recorded.length === 0 || recorded.some((i) => i.features?.preset === 'custom')) return undefined;
  return presetForModel(model, requested);
}

/** Stacks the items into one float32 batch tensor `[items, ...shape]` (owned by the caller). */
export function itemsToBatch(items: readonly InputItem[]): tf.Tensor {
  if (items.length === 0)
    throw new WingbeatsError('INVALID_ARGUMENT', 'There is nothing to explain: the input holds no example.');
  const size = items[0].data.length;
  const other = items.find((item) => item.shape.join(',') !== items[0].shape.join(','));
  if (other !== undefined) {
    throw new WingbeatsError(
      'SHAPE_MISMATCH',
      `Inputs '${items[0].name}' [${items[0].shape.join(',')}] and '${other.name}' [${other.shape.join(',')}] differ in shape; a model with free input axes explains inputs of one shape per run.`,
    );
  }
  const data = new Float32Array(items.length * size);
  items.forEach((item, i) => data.set(item.data, i * size));
  return tf.tensor(data, [items.length, ...items[0].shape]);
}

/**
 * Integrated-gradients baselines from a `.json`/`.npy` source: one input (for every item) or one per item; undefined
 * source = zeros.
 * @throws WingbeatsError naming `--baseline` for a recording or a count that matches neither.
 */
export function readBaselines(
  source: InputSource | undefined,
  items: readonly InputItem[],
  model: ExplainableModel,
): Float32Array[] | undefined {
  if (source === undefined) return undefined;
  if (model.isMultiInput) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--baseline' must be 'zeros' for a model with several inputs but got '${source.name}'.`,
    );
  }
  if (isRecording(source.name))
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--baseline' must be 'zeros', a stats file or a .json/.npy file but got '${source.name}'.`,
    );
  const mean = statisticsMean(source, items[0].shape);
  if (mean !== undefined) return [mean];
  const baselines = readInputSource(source, model, { option: '--baseline' });
  if (baselines.length !== 1 && baselines.length !== items.length) {
    throw new WingbeatsError(
      'SHAPE_MISMATCH',
      `Option '--baseline' holds ${baselines.length} inputs but there are ${items.length} inputs to explain (give one baseline, or one per input).`,
    );
  }
  return baselines.map((b) => b.data);
}

/** One baseline per item as a batch tensor `[items, ...shape]` (owned by the caller), or undefined for zeros. */
export function baselineBatch(
  baselines: readonly Float32Array[] | undefined,
  items: readonly InputItem[],
): tf.Tensor | undefined {
  if (baselines === undefined) return undefined;
  const list = baselines.length === 1 ? items.map(() => baselines[0]) : baselines;
  if (list.length !== items.length) {
    throw new WingbeatsError(
      'SHAPE_MISMATCH',
      `Option '--baseline' holds ${list.length} inputs but there are ${items.length} inputs to explain (give one baseline, or one per input).`,
    );
  }
  return itemsToBatch(list.map((data) => ({ ...items[0], data })));
}

/**
 * The mean of a statistics file written by `wingbeats-xai stats` (`{shape, mean, std, count}`), or undefined when the
 * source is not one (then it is read as inputs).
 * @throws WingbeatsError `SHAPE_MISMATCH` when the statistics are of another shape than the model input.
 */
export function statisticsMean(source: InputSource, inputShape: readonly number[]): Float32Array | undefined {
  if (!/\.json$/i.test(source.name)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(source.bytes));
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !('mean' in json) || !('std' in json))
    return undefined;
  const stats = pixelStatisticsFromJSON(json, `Statistics file '${source.name}'`);
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (stats.mean.length !== size) {
    throw new WingbeatsError(
      'SHAPE_MISMATCH',
      `Option '--baseline': statistics file '${source.name}' has shape [${stats.shape.join(',')}] but the model takes [${inputShape.join(',')}].`,
    );
  }
  return Float32Array.from(stats.mean);
}

/**
 * Runs `body` with the items as one batch tensor and their baselines as another (undefined for zeros); both are freed
 * afterwards, also on error.
 */
export async function withItemBatch<T>(
  items: readonly InputItem[],
  baselines: readonly Float32Array[] | undefined,
  body: (x: tf.Tensor, baseline: tf.Tensor | undefined) => Promise<T>,
): Promise<T> {
  const x = itemsToBatch(items);
  let baseline: tf.Tensor | undefined;
  try {
    baseline = baselineBatch(baselines, items);
    return await body(x, baseline);
  } finally {
    x.dispose();
    baseline?.dispose();
  }
}
