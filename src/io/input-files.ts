/**
 * Model inputs from the contents of input files — `.json` text and `.npy` arrays in the model's layout without the
 * batch axis — and the feature preset a model's input needs. Universal: the CLI reads the files, the web page gets
 * them from a file input; both then share these rules.
 */
import { WingbeatsError } from '../util/errors.js';
import { parseJsonText } from './json-text.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { presetForInputShape, type FeaturePresetName } from '../signal/presets.js';

/** Values and shape of an array read from an input file (one input or a list of inputs). */
export interface InputArray {
  /** Row-major values. */
  data: Float32Array;
  /** Shape as stored in the file. */
  shape: number[];
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

/**
 * Parses the text of a `.json` input file: a rectangular nested array of numbers (one input or a list), a
 * `features --json` document (`{"features": ...}`), or a list of such documents.
 *
 * @param text - The file's text.
 * @param name - The file's name, for messages.
 * @returns {@link InputArray}.
 * @throws WingbeatsError `INVALID_FILE` when the text is not JSON or not a rectangular array of numbers.
 * @example
 * parseInputJson('[[1],[2],[3]]', 'x.json'); // { data: Float32Array [1, 2, 3], shape: [3, 1] }
 */
export function parseInputJson(text: string, name: string): InputArray {
  let parsed = parseJsonText(text, `Input '${name}'`);
  const isDocument = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isDocument(parsed) && 'features' in parsed) parsed = parsed.features;
  else if (Array.isArray(parsed) && parsed.length > 0 && parsed.some(isDocument)) {
    parsed = parsed.map((d, i) => {
      if (!isDocument(d) || !('features' in d)) {
        throw new WingbeatsError(
          'INVALID_FILE',
          `Input '${name}' is a list of feature documents but item ${i} is not one (an object with 'features').`,
        );
      }
      return d.features;
    });
  }
  const shape = shapeOf(parsed);
  const size = product(shape);
  // The shape comes from the first element of each axis; every number takes at least one character, so a file that
  // declares more numbers than it has characters is ragged, and is refused before anything is allocated.
  if (size > text.length) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `Input '${name}' must be a rectangular array of numbers, but its first elements declare shape [${shape.join(',')}], more numbers than the file holds.`,
    );
  }
  const data = new Float32Array(size);
  let offset = 0;
  const fill = (value: unknown, axis: number): boolean => {
    if (axis === shape.length) {
      if (typeof value !== 'number') return false;
      data[offset++] = value;
      return true;
    }
    if (!Array.isArray(value) || value.length !== shape[axis]) return false;
    for (const item of value) if (!fill(item, axis + 1)) return false;
    return true;
  };
  if (!fill(parsed, 0)) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `Input '${name}' must hold numbers in a rectangular nested array (one input or a list of inputs).`,
    );
  }
  return { data, shape };
}

/**
 * Splits the values of an input file into inputs of the model's shape: the file holds one input (`modelShape`, or
 * flat with as many values) or a list (`[n, ...modelShape]`, or `[n, size]`).
 *
 * @param name - The file's name, for messages.
 * @param array - Values and shape from the file.
 * @param modelShape - The model's input shape without the batch axis.
 * @returns One row-major Float32Array per input.
 * @throws WingbeatsError `SHAPE_MISMATCH` when the shape fits neither.
 * @example
 * splitIntoInputs('x.npy', { data, shape: [4, 129, 1] }, [129, 1]).length; // 4
 */
export function splitIntoInputs(name: string, array: InputArray, modelShape: readonly number[]): Float32Array[] {
  const { data, shape } = array;
  const size = product(modelShape);
  const one = shape.join(',') === modelShape.join(',') || (shape.length === 1 && shape[0] === size);
  if (one) return [data];
  const rest = shape.slice(1);
  const many = rest.join(',') === modelShape.join(',') || (rest.length === 1 && rest[0] === size);
  if (many) return Array.from({ length: shape[0] }, (_, i) => data.slice(i * size, (i + 1) * size));
  throw new WingbeatsError(
    'SHAPE_MISMATCH',
    `Input '${name}' has shape [${shape.join(',')}] but the model takes [${modelShape.join(',')}] (one input) or [n,${modelShape.join(',')}] (a list).`,
  );
}

/**
 * The feature preset a model's input needs, from its input shape ({@link presetForInputShape}); a PSD model of a
 * Keogh data set gets `keogh-psd`.
 *
 * @throws WingbeatsError `SHAPE_MISMATCH` when no preset produces the model's input shape.
 * @example
 * defaultPresetForModel(model); // 'potamitis-psd' for a [129, 1] input
 */
export function defaultPresetForModel(model: ExplainableModel): FeaturePresetName {
  const shape = (model.inputShape ?? []).map((d) => d ?? -1);
  const preset = presetForInputShape(shape);
  const dataset = String(model.info.dataset ?? '');
  if (preset === 'potamitis-psd' && dataset.startsWith('keogh')) return 'keogh-psd';
  return preset;
}
