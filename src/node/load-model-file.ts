/**
 * Node only: loading a model from a file path (`.h5`, or a TensorFlow.js `model.json` with its weight files beside
 * it). Never imported by the universal code except dynamically, so the browser bundle does not reach `node:fs`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';
import { LoadModelOptions, loadModelArtifacts, loadModelBytes } from '../models/load-model.js';

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    throw new WingbeatsError('IO', `Could not read ${what} '${path}': ${reason}.`, { cause: error });
  }
}

/** Reads a TensorFlow.js `model.json` and the weight files of its manifest (paths relative to the JSON file). */
export async function readModelJsonArtifacts(path: string): Promise<tf.io.ModelArtifacts> {
  const bytes = await readBytes(path, 'the model');
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes)) as tf.io.ModelJSON;
  } catch (error) {
    throw new WingbeatsError('INVALID_FILE', `'${path}' is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  const manifest = json.weightsManifest ?? [];
  const parts: Uint8Array[] = [];
  for (const group of manifest) {
    for (const file of group.paths) parts.push(await readBytes(resolve(dirname(path), file), 'the weight file'));
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    weightData.set(part, offset);
    offset += part.length;
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: manifest.flatMap((group) => group.weights),
    weightData: weightData.buffer,
  };
}

/**
 * Loads a model from a path: a Keras `.h5` (full or weights-only wingbeats file) or a TensorFlow.js `model.json`.
 * The path also serves as the data-set hint (`.../Potatamis/...`, `.../Keogh/...`). See `loadModel` for the rest.
 */
export async function loadModelFile(path: string, options: LoadModelOptions = {}): Promise<ExplainableModel> {
  const fileName = options.fileName ?? path;
  if (/\.json$/i.test(path)) return loadModelArtifacts(await readModelJsonArtifacts(path), { ...options, fileName });
  return loadModelBytes(await readBytes(path, 'the model'), { ...options, fileName });
}
