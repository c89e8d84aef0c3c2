/**
 * Reads the `--input` of a command as model inputs: a `.wav` (turned into features by a preset), a `.npy`, or a `.json`
 * holding one input or a list in the model's layout without batch axis (a 129-vector may be flat for a (129,1) input;
 * documents written by `features --json` are accepted as well). Node only.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { WingbeatsError } from '../util/errors.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { featuresFromRecording, type Features } from '../signal/features.js';
import { defaultPresetForModel, parseInputJson, splitIntoInputs, type InputArray } from '../io/input-files.js';
import { isFeaturePresetName, type FeaturePresetName } from '../signal/presets.js';
import { readWavFile } from '../node/read-wav-file.js';
import type { WavRecording } from '../signal/wav.js';
import { readNpy } from '../node/npy-file.js';
import { checkPresetForModel } from '../models/preset-check.js';
import { inputNotes } from '../summary/input-notes.js';
import type { FeatureAxes } from '../signal/feature-axes.js';
import { listInputFiles } from '../node/input-paths.js';
import { statisticsMean } from '../node/baseline-statistics.js';

/** One model input read from a file. */
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
}

/** How `--input` files become model inputs (the recording options of every command). */
export interface ReadInputOptions {
  /** `--preset` (default: from the model). */
  preset?: string;
  /** `--windows`. */
  windows?: 'loudest' | 'first' | 'all';
  /** `--pad`: zero-pad recordings shorter than one window. */
  pad?: boolean;
  /** `--channel`: `'mix'` or a channel index. */
  channel?: number | 'mix';
  /** `--force-preset`: accept a preset of another data set than the model's (with a warning). */
  forcePreset?: boolean;
  /** Name of the file in outputs (default: its base name). */
  name?: string;
}

function knownPreset(model: ExplainableModel, requested?: string): FeaturePresetName | undefined {
  try {
    return presetForModel(model, requested);
  } catch {
    return undefined;
  }
}

/** The preset a model's input needs (`--preset` wins; Keogh PSD models get `keogh-psd`). */
export function presetForModel(model: ExplainableModel, requested?: string): FeaturePresetName {
  if (requested !== undefined) {
    if (!isFeaturePresetName(requested)) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--preset' must be a feature preset name but got '${requested}'.`);
    return requested;
  }
  return defaultPresetForModel(model);
}

/** Reads `file` into model inputs for `model` (see the module doc). */
export async function readInputs(file: string, model: ExplainableModel, options: ReadInputOptions = {}): Promise<InputItem[]> {
  const base = options.name ?? path.basename(file);
  const extension = path.extname(file).toLowerCase();
  const modelShape = (model.inputShape ?? []).map((d) => d ?? -1);
  if (modelShape.some((d) => d < 0)) {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `The model's input shape [${modelShape.join(',')}] is not fully known; convert the inputs to .npy/.json in a fixed shape, or load the model with an inputShape (library: loadModel(source, { inputShape })).`);
  }
  const name = (i: number, n: number): string => (n === 1 ? base : `${base}#${i}`);
  if (extension === '.wav' || extension === '.wave') {
    const recording = await readWavFile(file, { channel: options.channel ?? 'mix', name: base });
    const preset = presetForModel(model, options.preset);
    const presetWarnings = checkPresetForModel(model, preset, { force: options.forcePreset });
    const windows = featuresFromRecording(recording, preset, { windows: options.windows ?? 'loudest', pad: options.pad === true });
    const list = Array.isArray(windows) ? windows : [windows];
    return list.map((features, i) => {
      if (features.shape.join(',') !== modelShape.join(',')) {
        throw new WingbeatsError('SHAPE_MISMATCH', `Preset '${preset}' gives inputs of shape [${features.shape.join(',')}] but ${model.describe()}; choose another --preset.`);
      }
      const itemName = name(i, list.length);
      const notes = inputNotes(model, { name: itemName, data: features.data, sourceRate: recording.sampleRate }, preset);
      return { name: itemName, data: features.data, shape: modelShape, recording, features, warnings: [...presetWarnings, ...notes.warnings], axes: notes.axes };
    });
  }
  let array: InputArray;
  if (extension === '.npy') {
    const npy = await readNpy(file);
    array = { data: Float32Array.from(npy.data), shape: npy.shape };
  } else if (extension === '.json') {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new WingbeatsError('IO', `Input file '${file}' does not exist.`);
      throw new WingbeatsError('IO', `Cannot read '${file}': ${(error as Error).message}`, { cause: error });
    }
    array = parseInputJson(text, file);
  } else {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '--input' must be a .wav, .npy or .json file but got '${file}'.`);
  }
  const inputs = splitIntoInputs(file, array, modelShape);
  const preset = knownPreset(model, options.preset);
  return inputs.map((data, i) => {
    const itemName = name(i, inputs.length);
    const notes = inputNotes(model, { name: itemName, data }, preset);
    return { name: itemName, data, shape: modelShape, warnings: notes.warnings, axes: notes.axes };
  });
}

/**
 * Reads every input of `--input` (files, folders searched recursively, lists; see {@link listInputFiles}), each file
 * named by its relative path.
 */
export async function readInputFiles(paths: string | readonly string[], model: ExplainableModel, options: ReadInputOptions = {}): Promise<InputItem[]> {
  const items: InputItem[] = [];
  for (const file of await listInputFiles(typeof paths === 'string' ? [paths] : paths)) items.push(...(await readInputs(file.path, model, { ...options, name: file.name })));
  return items;
}

/** Stacks the items into one float32 batch tensor `[items, ...shape]` (owned by the caller). */
export function itemsToBatch(items: readonly InputItem[]): tf.Tensor {
  if (items.length === 0) throw new WingbeatsError('INVALID_ARGUMENT', 'There is nothing to explain: the input holds no example.');
  const size = items[0].data.length;
  const data = new Float32Array(items.length * size);
  items.forEach((item, i) => data.set(item.data, i * size));
  return tf.tensor(data, [items.length, ...items[0].shape]);
}

/**
 * Reads the `--baseline` option: `'zeros'` (undefined), or a .json/.npy file holding one input or one per item.
 * @throws WingbeatsError naming `--baseline` for a recording or a count that matches neither.
 */
export async function readBaselines(file: string | undefined, items: readonly InputItem[], model: ExplainableModel): Promise<Float32Array[] | undefined> {
  if (file === undefined || file === 'zeros') return undefined;
  if (file.toLowerCase().endsWith('.wav')) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--baseline' must be 'zeros', a stats file or a .json/.npy file but got '${file}'.`);
  const mean = await statisticsMean(file, items[0].shape);
  if (mean !== undefined) return [mean];
  const baselines = await readInputs(file, model);
  if (baselines.length !== 1 && baselines.length !== items.length) {
    throw new WingbeatsError('SHAPE_MISMATCH', `Option '--baseline' holds ${baselines.length} inputs but there are ${items.length} inputs to explain (give one baseline, or one per input).`);
  }
  return baselines.map((b) => b.data);
}

/** One baseline per item as a batch tensor `[items, ...shape]` (owned by the caller), or undefined for zeros. */
export function baselineBatch(baselines: readonly Float32Array[] | undefined, items: readonly InputItem[]): tf.Tensor | undefined {
  if (baselines === undefined) return undefined;
  const list = baselines.length === 1 ? items.map(() => baselines[0]) : baselines;
  if (list.length !== items.length) {
    throw new WingbeatsError('SHAPE_MISMATCH', `Option '--baseline' holds ${list.length} inputs but there are ${items.length} inputs to explain (give one baseline, or one per input).`);
  }
  const size = items[0].data.length;
  const data = new Float32Array(items.length * size);
  list.forEach((b, i) => data.set(b, i * size));
  return tf.tensor(data, [items.length, ...items[0].shape]);
}
