/**
 * Reading Keras 3 `.keras` files: a zip of `config.json` (the model config), `metadata.json` (Keras version) and
 * `model.weights.h5` (variables under `layers/<layer path>/vars/<i>` in creation order, not under layer names).
 * The weights are handed on per top-level layer with Keras-style names (`'lstm/cell/kernel'`), so the `.h5` weight
 * matcher places them. Universal (fflate and h5wasm work in Node and in the browser).
 */
import { WingbeatsError } from '../util/errors.js';
import { parseJsonBytes } from '../io/json-text.js';
import { StoredWeight, readKerasVarsH5 } from './hdf5.js';
import { weightsFromVariablePaths } from './keras-variable-paths.js';
import { inflateEntry, zipEntries, ZipFormatError } from './read-zip-entries.js';
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
  // Nesting is capped before parsing, as for every other config (a config 100,000 deep overflows the stack).
  const value = parseJsonBytes(bytes, `'${entry}' in '${fileName}'`);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new WingbeatsError('INVALID_FILE', `'${entry}' in '${fileName}' is not a JSON object.`);
}

/**
 * Largest inflated size of each entry of a `.keras` archive read, checked against the sizes the archive declares
 * before anything is inflated (the inflated output never exceeds the declared size): the config and metadata at most
 * 64 MB and 1 MB; the weights at most 1 GB and at most 64 times their compressed size plus 16 MB (float weights
 * hardly compress; a zip bomb inflates a thousandfold).
 */
export const KERAS_ARCHIVE_LIMITS = {
  config: 64 * 2 ** 20,
  metadata: 2 ** 20,
  weights: 2 ** 30,
  weightsRatio: 64,
  weightsSlack: 16 * 2 ** 20,
} as const;

function entryLimit(name: string, compressedSize: number): number {
  if (name === 'config.json') return KERAS_ARCHIVE_LIMITS.config;
  if (name === 'metadata.json') return KERAS_ARCHIVE_LIMITS.metadata;
  return Math.min(
    KERAS_ARCHIVE_LIMITS.weights,
    KERAS_ARCHIVE_LIMITS.weightsRatio * compressedSize + KERAS_ARCHIVE_LIMITS.weightsSlack,
  );
}

/**
 * Reads a `.keras` archive from bytes. `fileName` is used in messages only; `readVars` reads the weights file (Node
 * passes one that runs in a worker under a time limit).
 * @throws WingbeatsError `INVALID_FILE` for a damaged zip, a missing `config.json`/`model.weights.h5` (a
 *   `model.weights.npz` archive is named as unsupported), or bad JSON; `LIMIT_EXCEEDED` for an entry that would inflate
 *   past {@link KERAS_ARCHIVE_LIMITS}; `WEIGHTS_MISMATCH` when the stored variables do not fit the config's layers.
 */
export async function readKerasArchive(
  bytes: Uint8Array,
  fileName = 'model.keras',
  readVars: (bytes: Uint8Array, fileName: string) => Promise<Map<string, StoredWeight[]>> = readKerasVarsH5,
): Promise<KerasArchiveContents> {
  const entries: Record<string, Uint8Array> = {};
  try {
    const listed = zipEntries(bytes, ['config.json', 'metadata.json', 'model.weights.h5', 'model.weights.npz']);
    // Every declared size is checked before anything is inflated; inflating stops at the declared size.
    for (const entry of listed.values()) {
      const limit = entryLimit(entry.name, entry.compressedSize);
      if (entry.originalSize > limit && entry.name !== 'model.weights.npz')
        throw new WingbeatsError(
          'LIMIT_EXCEEDED',
          `'${entry.name}' in '${fileName}' declares ${entry.originalSize} bytes inflated, more than the limit of ${limit} bytes for it; the archive is damaged or not a Keras model.`,
        );
    }
    for (const entry of listed.values())
      entries[entry.name] = entry.name === 'model.weights.npz' ? new Uint8Array(0) : inflateEntry(bytes, entry);
  } catch (error) {
    if (!(error instanceof ZipFormatError)) throw error;
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' could not be read as a .keras (zip) file (${error.message}); it is truncated or damaged.`,
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
  const variables = await readVars(entries['model.weights.h5'], `${fileName}/model.weights.h5`);
  return {
    modelConfig,
    kerasVersion,
    weights: weightsFromVariablePaths(modelConfig, variables, `'${fileName}'`),
  };
}
