/**
 * Node only: loading a model from a file path (`.h5`, or a TensorFlow.js `model.json` with its weight files beside
 * it). Never imported by the universal code except dynamically, so the browser bundle does not reach `node:fs`.
 * Only regular files are read, with size caps; weight files named by a manifest must lie inside the model's folder,
 * symbolic links resolved.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';
import { parseJsonBytes } from '../io/json-text.js';
import { FILE_SIZE_LIMITS, readRegularFile } from './read-regular-file.js';
import { LoadModelOptions, loadModelArtifacts, loadModelBytes } from '../models/load-model.js';
import { checkWeightsManifest, joinWeightData } from '../models/weights-manifest.js';
import { readKerasH5Isolated, readKerasVarsH5Isolated } from './read-keras-h5-isolated.js';

function isInside(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The real path of a manifest's weight file, refused when it (or a symbolic link on the way) leaves `folder`. */
async function containedWeightPath(folder: string, file: string, source: string): Promise<string> {
  const candidate = resolve(folder, file);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return candidate; // missing: reading it gives the one-line "does not exist"
  }
  if (!isInside(folder, candidate) || !isInside(await realpath(folder), real)) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `${source} names the weight file '${file}', which resolves to '${real}' outside the model's folder '${folder}'; weight files are only read from beside the model.`,
    );
  }
  return real;
}

/**
 * Reads a TensorFlow.js `model.json` and the weight files of its manifest (relative paths inside the JSON file's
 * folder; absolute paths, `..` and symbolic links leaving the folder are refused).
 *
 * @throws WingbeatsError `IO`/`LIMIT_EXCEEDED` for files that cannot be read or are too large, `INVALID_FILE` for a
 *   malformed JSON or manifest or a path leaving the folder, `WEIGHTS_MISMATCH` when the files hold fewer bytes than
 *   the manifest declares.
 */
export async function readModelJsonArtifacts(path: string): Promise<tf.io.ModelArtifacts> {
  const source = `'${path}'`;
  const json = parseJsonBytes(
    await readRegularFile(path, { what: 'The model', maxBytes: FILE_SIZE_LIMITS.model }),
    `The model ${source}`,
  );
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new WingbeatsError('INVALID_FILE', `The model ${source} is not a JSON object.`);
  const model = json as tf.io.ModelJSON;
  const manifest = checkWeightsManifest(model.weightsManifest, source);
  const folder = dirname(resolve(path));
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const group of manifest) {
    for (const file of group.paths) {
      const weightPath = await containedWeightPath(folder, file, source);
      const part = await readRegularFile(weightPath, {
        what: 'The weight file',
        maxBytes: FILE_SIZE_LIMITS.weights - total,
      });
      total += part.length;
      parts.push(part);
    }
  }
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const weightData = joinWeightData(parts, weightSpecs, source);
  return {
    modelTopology: model.modelTopology,
    format: model.format,
    generatedBy: model.generatedBy,
    convertedBy: model.convertedBy,
    userDefinedMetadata: model.userDefinedMetadata,
    weightSpecs,
    weightData,
  };
}

/**
 * Loads a model from a path: a Keras `.h5` (full or weights-only wingbeats file) or a TensorFlow.js `model.json`.
 * The path also serves as the data-set hint (`.../Potatamis/...`, `.../Keogh/...`). See `loadModel` for the rest.
 * Only regular files are read; files larger than `FILE_SIZE_LIMITS.model` are refused before reading.
 */
export async function loadModelFile(path: string, options: LoadModelOptions = {}): Promise<ExplainableModel> {
  const fileName = options.fileName ?? path;
  if (/\.json$/i.test(path)) return loadModelArtifacts(await readModelJsonArtifacts(path), { ...options, fileName });
  const bytes = await readRegularFile(path, { what: 'The model', maxBytes: FILE_SIZE_LIMITS.model });
  return loadModelBytes(bytes, { ...options, fileName }, readKerasH5Isolated, readKerasVarsH5Isolated);
}
