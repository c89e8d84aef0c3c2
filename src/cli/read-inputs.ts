/**
 * Reads the `--input` of a command as model inputs: a `.wav` (turned into features by a preset), a `.npy`, or a `.json`
 * holding one input or a list in the model's layout without batch axis (a 129-vector may be flat for a (129,1) input;
 * documents written by `features --json` are accepted as well). Node only.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../core/errors.js';
import type { ExplainableModel } from '../core/explainable-model.js';
import { featuresFromRecording, type Features } from '../signal/features.js';
import { isFeaturePresetName, presetForInputShape, type FeaturePresetName } from '../signal/presets.js';
import { readWavFile } from '../signal/read-wav-file.js';
import type { WavRecording } from '../signal/wav.js';
import { readNpy } from './npy.js';

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

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let current = value;
  while (Array.isArray(current)) {
    shape.push(current.length);
    current = current[0];
  }
  return shape;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The preset a model's input needs (`--preset` wins; Keogh PSD models get `keogh-psd`). */
export function presetForModel(model: ExplainableModel, requested?: string): FeaturePresetName {
  if (requested !== undefined) {
    if (!isFeaturePresetName(requested)) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--preset' must be a feature preset name but got '${requested}'.`);
    return requested;
  }
  const shape = (model.inputShape ?? []).map((d) => d ?? -1);
  const preset = presetForInputShape(shape);
  const dataset = String(model.info.dataset ?? '');
  if (preset === 'potamitis-psd' && dataset.startsWith('keogh')) return 'keogh-psd';
  return preset;
}

/** Splits flat values into inputs of the model's shape, or explains why they do not fit. */
function splitIntoInputs(file: string, values: Float32Array, shape: number[], modelShape: number[]): Float32Array[] {
  const size = product(modelShape);
  const one = shape.join(',') === modelShape.join(',') || (shape.length === 1 && shape[0] === size);
  if (one) return [values];
  const rest = shape.slice(1);
  const many = rest.join(',') === modelShape.join(',') || (rest.length === 1 && rest[0] === size);
  if (many) return Array.from({ length: shape[0] }, (_, i) => values.slice(i * size, (i + 1) * size));
  throw new WingbeatsError(
    'SHAPE_MISMATCH',
    `Input '${file}' has shape [${shape.join(',')}] but the model takes [${modelShape.join(',')}] (one input) or [n,${modelShape.join(',')}] (a list).`,
  );
}

/** Reads `file` into model inputs for `model` (see the module doc). */
export async function readInputs(file: string, model: ExplainableModel, options: { preset?: string; windows?: 'loudest' | 'first' | 'all' } = {}): Promise<InputItem[]> {
  const base = path.basename(file);
  const extension = path.extname(file).toLowerCase();
  const modelShape = (model.inputShape ?? []).map((d) => d ?? -1);
  if (modelShape.some((d) => d < 0)) {
    throw new WingbeatsError('UNSUPPORTED_MODEL', `The model's input shape [${modelShape.join(',')}] is not fully known; pass --input-shape.`);
  }
  const name = (i: number, n: number): string => (n === 1 ? base : `${base}#${i}`);
  if (extension === '.wav' || extension === '.wave') {
    const recording = await readWavFile(file);
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
  let values: Float32Array;
  let shape: number[];
  if (extension === '.npy') {
    const array = await readNpy(file);
    values = Float32Array.from(array.data);
    shape = array.shape;
  } else if (extension === '.json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new WingbeatsError('IO', `Input file '${file}' does not exist.`);
      throw new WingbeatsError('INVALID_FILE', `Input '${file}' is not valid JSON: ${(error as Error).message}`);
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'features' in parsed) parsed = (parsed as { features: unknown }).features;
    if (Array.isArray(parsed) && parsed.length > 0 && parsed[0] !== null && typeof parsed[0] === 'object' && !Array.isArray(parsed[0])) {
      parsed = parsed.map((d) => (d as { features?: unknown }).features);
    }
    shape = shapeOf(parsed);
    const flat = (Array.isArray(parsed) ? parsed.flat(Infinity) : [parsed]) as unknown[];
    if (flat.length !== product(shape) || flat.some((v) => typeof v !== 'number')) {
      throw new WingbeatsError('INVALID_FILE', `Input '${file}' must hold numbers in a rectangular nested array (one input or a list of inputs).`);
    }
    values = Float32Array.from(flat as number[]);
  } else {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '--input' must be a .wav, .npy or .json file but got '${file}'.`);
  }
  const inputs = splitIntoInputs(file, values, shape, modelShape);
  return inputs.map((data, i) => ({ name: name(i, inputs.length), data, shape: modelShape }));
}
