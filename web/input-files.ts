/** Model inputs from a picked or demo file: a `.wav` through a feature preset, or `.json` / `.npy` in the model's layout. */
import {
  WingbeatsError,
  checkPresetForModel,
  defaultPresetForModel,
  inputNotes,
  type FeatureAxes,
  decodeNpy,
  decodeWav,
  featureShape,
  featuresFromRecording,
  parseInputJson,
  splitIntoInputs,
  type ExplainableModel,
  type FeaturePresetName,
  type InputArray,
} from '../src/index.js';
import type { NamedBytes } from './model-files.js';

/** One model input of the page. */
export interface PageInput {
  /** `<file>` or `<file>#<i>` for lists. */
  name: string;
  /** Row-major values in the model's input layout. */
  data: Float32Array;
  /** The model's input shape without batch axis. */
  shape: number[];
  /** The preset the input was computed with, for recordings. */
  preset?: FeaturePresetName;
  /** Start of the window in seconds, for recordings. */
  startSeconds?: number;
  /** Warnings about the input (preset of another data set, resampled up, far from the training data). */
  warnings: string[];
  /** Frequency (Hz) of every bin and time (s) of every frame, when the preset is known. */
  axes?: FeatureAxes;
}

/** The page's recording options (the controls named by the library's hints). */
export interface RecordingChoices {
  /** "Zero-pad short recordings". */
  pad?: boolean;
  /** "Use this preset anyway". */
  forcePreset?: boolean;
}

/** The model's input shape without the batch axis, refusing unknown dimensions. */
export function modelInputShape(model: ExplainableModel): number[] {
  const shape = (model.inputShape ?? []).map((d) => d ?? -1);
  if (shape.length === 0 || shape.some((d) => d < 0)) {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `The model's input shape [${shape.join(',')}] is not fully known, so no input can be prepared for it.`);
  }
  return shape;
}

/** Reads a file into model inputs (a recording gives one input: its loudest window). */
export function inputsFromFile(file: NamedBytes, model: ExplainableModel, preset: FeaturePresetName, choices: RecordingChoices = {}): PageInput[] {
  const shape = modelInputShape(model);
  const extension = /\.[^.]*$/.exec(file.name)?.[0].toLowerCase() ?? '';
  if (extension === '.wav' || extension === '.wave') {
    const produced = featureShape(preset);
    if (produced.join(',') !== shape.join(',')) {
      throw new WingbeatsError('SHAPE_MISMATCH', `Preset '${preset}' gives inputs of shape [${produced.join(',')}] but ${model.describe()}; choose another preset.`);
    }
    const presetWarnings = checkPresetForModel(model, preset, { force: choices.forcePreset });
    const recording = decodeWav(file.bytes, { name: file.name });
    const features = featuresFromRecording(recording, preset, { pad: choices.pad === true });
    const notes = inputNotes(model, { name: file.name, data: features.data, sourceRate: recording.sampleRate }, preset);
    return [{ name: file.name, data: features.data, shape, preset, startSeconds: features.startSeconds, warnings: [...presetWarnings, ...notes.warnings], axes: notes.axes }];
  }
  let array: InputArray;
  if (extension === '.npy') {
    const npy = decodeNpy(file.bytes, file.name);
    array = { data: Float32Array.from(npy.data), shape: npy.shape };
  } else if (extension === '.json') {
    array = parseInputJson(new TextDecoder().decode(file.bytes), file.name);
  } else {
    throw new WingbeatsError('INVALID_ARGUMENT', `Input '${file.name}' must be a .wav, .npy or .json file.`);
  }
  const inputs = splitIntoInputs(file.name, array, shape);
  let layoutPreset: FeaturePresetName | undefined;
  try {
    layoutPreset = defaultPresetForModel(model);
  } catch {
    layoutPreset = undefined;
  }
  return inputs.map((data, i) => {
    const name = inputs.length === 1 ? file.name : `${file.name}#${i}`;
    const notes = inputNotes(model, { name, data }, layoutPreset);
    return { name, data, shape, warnings: notes.warnings, axes: notes.axes };
  });
}

/** Row-major values as nested arrays of `shape` (the library's `inputs` for a batch without a tensor import). */
export function nest(data: ArrayLike<number>, shape: readonly number[]): unknown[] {
  const build = (offset: number, axis: number): unknown[] => {
    const n = shape[axis];
    if (axis === shape.length - 1) return Array.from({ length: n }, (_, i) => data[offset + i]);
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length: n }, (_, i) => build(offset + i * stride, axis + 1));
  };
  return build(0, 0);
}
