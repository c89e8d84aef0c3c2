/**
 * Reading Keras 3 `.keras` files: a zip of `config.json` (the model config), `metadata.json` (Keras version) and
 * `model.weights.h5` (variables under `layers/<layer path>/vars/<i>` in creation order, not under layer names).
 * The weights are handed on per top-level layer with Keras-style names (`'lstm/cell/kernel'`), so the `.h5` weight
 * matcher places them. Universal (fflate and h5wasm work in Node and in the browser).
 */
import { unzipSync } from 'fflate';
import { WingbeatsError } from '../util/errors.js';
import { StoredWeight, readKerasVarsH5 } from './hdf5.js';
import { weightsFromVariablePaths } from './keras-variable-paths.js';
import { checkKerasConfig } from './keras-config.js';

/** What a `.keras` file holds, as plain data (the same shape as a full `.h5` model). */
export interface KerasArchiveContents {
  modelConfig: Record<string, unknown>;
  kerasVersion: string | null;
  /** Top-level layer name → its weights, named as in a Keras `.h5` file. */
  weights: Map<string, StoredWeight[]>;
}

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

/** Whether `bytes` start like a zip archive (a `.keras` file). */
export function isZip(bytes: Uint8Array): boolean {
  return ZIP_SIGNATURE.every((b, i) => bytes[i] === b);
}

function parseJson(bytes: Uint8Array, entry: string, fileName: string): Record<string, unknown> {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${entry}' in '${fileName}' is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    );
  }
  throw new WingbeatsError('INVALID_FILE', `'${entry}' in '${fileName}' is not a JSON object.`);
}

/**
 * Reads a `.keras` archive from bytes. `fileName` is used in messages only.
 * @throws WingbeatsError `INVALID_FILE` for a damaged zip, a missing `config.json`/`model.weights.h5` (a
 *   `model.weights.npz` archive is named as unsupported), or bad JSON; `WEIGHTS_MISMATCH` when the stored variables do
 *   not fit the config's layers.
 */
export async function readKerasArchive(bytes: Uint8Array, fileName = 'model.keras'): Promise<KerasArchiveContents> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => ['config.json', 'metadata.json', 'model.weights.h5', 'model.weights.npz'].includes(file.name),
    });
  } catch (error) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' could not be read as a .keras (zip) file (${(error as Error).message}); it is truncated or damaged.`,
      { cause: error },
    );
  }
  if (entries['config.json'] === undefined) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' is a zip file without 'config.json'; it is not a Keras .keras model.`,
    );
  }
  if (entries['model.weights.h5'] === undefined) {
    const why =
      entries['model.weights.npz'] !== undefined
        ? "its weights are in 'model.weights.npz', which is not supported; re-save with the default h5 weights"
        : "it has no 'model.weights.h5'";
    throw new WingbeatsError('INVALID_FILE', `'${fileName}' cannot be loaded: ${why}.`);
  }
  const modelConfig = parseJson(entries['config.json'], 'config.json', fileName);
  const metadata =
    entries['metadata.json'] !== undefined ? parseJson(entries['metadata.json'], 'metadata.json', fileName) : {};
  const kerasVersion = typeof metadata.keras_version === 'string' ? metadata.keras_version : null;
  // A layer that cannot run is named before its variables are placed (they would be reported as owned by no layer).
  checkKerasConfig(modelConfig, `'${fileName}'`, kerasVersion);
  const variables = await readKerasVarsH5(entries['model.weights.h5'], `${fileName}/model.weights.h5`);
  return {
    modelConfig,
    kerasVersion,
    weights: weightsFromVariablePaths(modelConfig, variables, `'${fileName}'`),
  };
}
