/**
 * Reads the `--input` of a command as model inputs: a `.wav` (turned into features by a preset), a `.npy`, or a `.json`
 * holding one input or a list in the model's layout without batch axis (a 129-vector may be flat for a (129,1) input;
 * documents written by `features --json` are accepted as well). Node only.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { WingbeatsError } from '../core/errors.js';
import type { ExplainableModel } from '../core/explainable-model.js';
import { featuresFromRecording, type Features } from '../signal/features.js';
import { defaultPresetForModel, parseInputJson, splitIntoInputs, type InputArray } from '../core/input-files.js';
import { isFeaturePresetName, type FeaturePresetName } from '../signal/presets.js';
import { readWavFile } from '../signal/read-wav-file.js';
import type { WavRecording } from '../signal/wav.js';
import { readNpy } from './npy.js';
import { FILE_SIZE_LIMITS, readRegularFile } from '../io/read-regular-file.js';

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
}

/** The preset a model's input needs (`--preset` wins; Keogh PSD models get `keogh-psd`). */
export function presetForModel(model: ExplainableModel, requested?: string): FeaturePresetName {
  if (requested !== undefined) {
    if (!isFeaturePresetName(requested)) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--preset' must be a feature preset name but got '${requested}'.`);
    return requested;
  }
  return defaultPresetForModel(model);
}

/** Options of {@link readInputs}. */
export interface ReadInputsOptions {
  preset?: string;
  windows?: 'loudest' | 'first' | 'all';
  /** The command-line option the file came from, for messages (default `'--input'`). */
  option?: string;
}

/** Reads `file` into model inputs for `model` (see the module doc). */
export async function readInputs(file: string, model: ExplainableModel, options: ReadInputsOptions = {}): Promise<InputItem[]> {
  const option = options.option ?? '--input';
  const what = `The ${option} file`;
  const base = path.basename(file);
  const extension = path.extname(file).toLowerCase();
  const modelShape = (model.inputShape ?? []).map((d) => d ?? -1);
  if (modelShape.some((d) => d < 0)) {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `The model's input shape [${modelShape.join(',')}] is not fully known; pass --input-shape.`);
  }
  const name = (i: number, n: number): string => (n === 1 ? base : `${base}#${i}`);
  if (extension === '.wav' || extension === '.wave') {
    const recording = await readWavFile(file, { what });
    const preset = presetForModel(model, options.preset);
    const windows = featuresFromRecording(recording, preset, { windows: options.windows ?? 'loudest' });
    const list = Array.isArray(windows) ? windows : [windows];
    return list.map((features, i) => {
      if (features.shape.join(',') !== modelShape.join(',')) {
        throw new WingbeatsError('SHAPE_MISMATCH', `Preset '${preset}' gives inputs of shape [${features.shape.join(',')}] but ${model.describe()}; choose another --preset.`);
      }
      return { name: name(i, list.length), data: features.data, shape: modelShape, recording, features };
    });
  }
  let array: InputArray;
  if (extension === '.npy') {
    const npy = await readNpy(file, what);
    array = { data: Float32Array.from(npy.data), shape: npy.shape };
  } else if (extension === '.json') {
    const bytes = await readRegularFile(file, { what, maxBytes: FILE_SIZE_LIMITS.json });
    array = parseInputJson(new TextDecoder().decode(bytes), file);
  } else {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '${option}' must be a .wav, .npy or .json file but got '${file}'.`);
  }
  const inputs = splitIntoInputs(file, array, modelShape);
  return inputs.map((data, i) => ({ name: name(i, inputs.length), data, shape: modelShape }));
}

/** Stacks the items into one float32 batch tensor `[items, ...shape]` (owned by the caller). */
export function itemsToBatch(items: readonly InputItem[]): tf.Tensor {
  if (items.length === 0) throw new WingbeatsError('INVALID_ARGUMENT', 'There is nothing to explain: the input holds no example.');
  const size = items[0].data.length;
  const data = new Float32Array(items.length * size);
  items.forEach((item, i) => data.set(item.data, i * size));
  return tf.tensor(data, [items.length, ...items[0].shape]);
}
