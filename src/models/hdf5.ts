/**
 * Reading Keras HDF5 files (`model.save('x.h5')` and `model.save_weights('x.h5')`) from bytes, with h5wasm.
 *
 * Universal: h5wasm's ESM build keeps the file in its in-memory file system, so this works in Node and in the
 * browser alike. Everything a loader needs is read in one pass into plain typed arrays and the file is closed
 * (and removed from the in-memory file system) before returning, also when reading fails.
 */
import type H5Wasm from 'h5wasm';
import { WingbeatsError } from '../util/errors.js';
import { parseJsonText } from '../io/json-text.js';

/** One stored weight: its full Keras name (`'CNN_Blocks_X/conv_block_16/conv1d_16/kernel:0'`), shape and values. */
export interface StoredWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** What a Keras HDF5 file holds, as plain data. */
export interface KerasH5Contents {
  /** The parsed `model_config` attribute of a full model; null for a weights-only file. */
  modelConfig: Record<string, unknown> | null;
  /** `keras_version` attribute, if stored. */
  kerasVersion: string | null;
  /** Top-level layer names in the file's order (`layer_names` attribute). */
  layerNames: string[];
  /** For each layer name, its weights in the order of the `weight_names` attribute. */
  weights: Map<string, StoredWeight[]>;
}

/**
 * Longest time a Keras HDF5 file may take to read (real files take well under a second). Node reads in a worker thread
 * and the page in a Web Worker under this limit (libhdf5 can loop forever on some damaged files).
 */
export const H5_READ_TIMEOUT_MS = 15_000;

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** Whether `bytes` carry the HDF5 signature (at offset 0, 512, 1024, 2048, ... as the format allows). */
export function isHdf5(bytes: Uint8Array): boolean {
  for (let offset = 0; offset + HDF5_SIGNATURE.length <= bytes.length; offset = offset === 0 ? 512 : offset * 2) {
    if (HDF5_SIGNATURE.every((b, i) => bytes[offset + i] === b)) return true;
  }
  return false;
}

/** h5wasm, loaded on first use: a program that reads no HDF5 file never loads it. */
let h5wasm: typeof H5Wasm;
type H5Module = Awaited<typeof H5Wasm.ready>;
let modulePromise: Promise<H5Module> | null = null;
let fileCounter = 0;

async function h5Module(): Promise<H5Module> {
  if (modulePromise === null) {
    modulePromise = import('h5wasm').then(async (loaded) => {
      h5wasm = loaded.default;
      const module = await h5wasm.ready;
      // HDF5 errors become JS exceptions instead of diagnostics printed to stderr.
      (module as unknown as { activate_throwing_error_handler?: () => number }).activate_throwing_error_handler?.();
      return module;
    });
  }
  return modulePromise;
}

/** The last "minor:" line of an HDF5 diagnostic ("Not an HDF5 file", "Read failed", ...), else the first line. */
function hdf5Reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const minors = [...text.matchAll(/minor:\s*(.+)/g)].map((m) => m[1].trim());
  return minors.length > 0 ? minors[minors.length - 1] : text.split('\n')[0];
}

function attributeValue(entity: { attrs: Record<string, { value: unknown }> }, name: string): unknown {
  const attribute = entity.attrs[name];
  return attribute === undefined ? undefined : attribute.value;
}

function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.map((v) => String(v));
  return [];
}

function asText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  return null;
}

type H5File = InstanceType<typeof h5wasm.File>;

/**
 * Opens `bytes` as HDF5 in h5wasm's in-memory file system, runs `read` on the open file and always closes and removes
 * it. `fileName` is used in messages only. Throws `INVALID_FILE` for empty, non-HDF5, truncated or malformed files.
 */
async function withHdf5File<T>(bytes: Uint8Array, fileName: string, read: (file: H5File) => T): Promise<T> {
  if (bytes.length === 0)
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' is empty (0 bytes); expected a Keras HDF5 (.h5) or .keras file.`,
    );
  if (!isHdf5(bytes)) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' is not an HDF5 file (no HDF5 signature); expected a Keras .h5 or .keras file or a TensorFlow.js model.json.`,
    );
  }
  const module = await h5Module();
  const path = `/wingbeats-xai-${++fileCounter}.h5`;
  module.FS!.writeFile(path, bytes);
  let file: H5File | null = null;
  try {
    try {
      file = new h5wasm.File(path, 'r');
    } catch (error) {
      throw new WingbeatsError(
        'INVALID_FILE',
        `'${fileName}' could not be opened as HDF5 (${hdf5Reason(error)}); the file is truncated or damaged.`,
        { cause: error },
      );
    }
    if (file.file_id < 0n) {
      throw new WingbeatsError(
        'INVALID_FILE',
        `'${fileName}' could not be opened as HDF5; the file is truncated or damaged.`,
      );
    }
    return read(file);
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' could not be read as a Keras HDF5 file (${hdf5Reason(error)}).`,
      { cause: error },
    );
  } finally {
    try {
      if (file !== null && file.file_id >= 0n) file.close();
    } finally {
      module.FS!.unlink(path);
    }
  }
}

/** Most bytes one file's weights may declare in total, and one compressed weight (1 GB, 512 MB). */
const MAX_DECLARED_WEIGHT_BYTES = 2 ** 30;
const MAX_COMPRESSED_WEIGHT_BYTES = 2 ** 29;
const H5T_FLOAT = 1;
const H5T_INTEGER = 0;
const DEFLATE_MAX_RATIO = 1032;

/**
 * Refuses a weight whose declared shape cannot be right before a byte of it is read: not floating point, or more data
 * than the file can hold (an uncompressed dataset is stored in full inside the file; a compressed one is capped).
 */
/** The file's size and the bytes its weights declared so far. */
interface DeclaredBudget {
  fileBytes: number;
  declaredBytes: number;
}

function checkDeclaredSize(dataset: InstanceType<typeof h5wasm.Dataset>, label: string, budget: DeclaredBudget): void {
  const metadata = dataset.metadata;
  // An integer scalar is a counter (Normalization's `count`), read as a float like the rest.
  const counter = metadata.type === H5T_INTEGER && metadata.shape?.length === 0;
  if (
    (metadata.type !== H5T_FLOAT && !counter) ||
    !(metadata.size === 4 || metadata.size === 8) ||
    metadata.shape === null
  ) {
    throw new WingbeatsError('INVALID_FILE', `${label} is not floating-point data.`);
  }
  const declared = metadata.shape.reduce((a, b) => a * Number(b), 1) * metadata.size;
  const compressed = (dataset.filters as unknown[]).length > 0;
  // Stored data takes room in the file; compressed data at most 1/1032 of its size (deflate's best ratio).
  const limit = compressed
    ? Math.min(MAX_COMPRESSED_WEIGHT_BYTES, DEFLATE_MAX_RATIO * budget.fileBytes)
    : budget.fileBytes;
  budget.declaredBytes += declared;
  if (!Number.isSafeInteger(declared) || declared > limit || budget.declaredBytes > MAX_DECLARED_WEIGHT_BYTES) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `${label} declares shape [${metadata.shape.join(', ')}] (${declared} bytes), more than ${compressed ? 'the limit for a compressed weight' : 'the whole file holds'}; the file is damaged.`,
    );
  }
}

/**
 * Reads a Keras HDF5 file from bytes: model config (if any), layer names and every weight as float32.
 * `fileName` is used in messages only. Throws `INVALID_FILE` for empty, non-HDF5, truncated or malformed files.
 */
export async function readKerasH5(bytes: Uint8Array, fileName = 'model.h5'): Promise<KerasH5Contents> {
  return withHdf5File(bytes, fileName, (file) =>
    readContents(file, fileName, { fileBytes: bytes.length, declaredBytes: 0 }),
  );
}

function floatValues(
  dataset: InstanceType<typeof h5wasm.Dataset>,
  what: string,
  fileName: string,
  budget: DeclaredBudget,
): Float32Array {
  checkDeclaredSize(dataset, `${what} in '${fileName}'`, budget);
  const read = dataset.value;
  // A scalar dataset (Keras's Attention `scale`, shape ()) reads as a plain number.
  const value =
    (typeof read === 'number' || typeof read === 'bigint') && dataset.metadata.shape?.length === 0
      ? Float32Array.of(Number(read))
      : read;
  if (!(value instanceof Float32Array || value instanceof Float64Array)) {
    throw new WingbeatsError('INVALID_FILE', `${what} in '${fileName}' is not floating-point data.`);
  }
  return value instanceof Float32Array ? value : Float32Array.from(value);
}

/** Deepest group nesting and most groups the walk of a `.keras` weights file visits (real files: about 8 and 500). */
export const MAX_H5_GROUP_DEPTH = 64;
export const MAX_H5_GROUPS = 100_000;

/** The address of the object at `path` in the open file (hard links to one object give the same address). */
function objectAddress(module: H5Module, file: H5File, path: string): string {
  const reference = (
    module as unknown as { create_object_reference: (id: bigint, name: string) => Uint8Array | number[] }
  ).create_object_reference(file.file_id, path);
  return Array.from(reference, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Reads the weights file of a Keras 3 `.keras` archive (`model.weights.h5`): every `<path>/vars` group, keyed by
 * `<path>` (`'layers/lstm/cell'`), with its variables in creation order (`vars/0`, `vars/1`, ...), named `'0'`, `'1'`...
 * Each group is visited once, however many hard links lead to it (link cycles and DAGs of groups cost one visit per
 * group), at most {@link MAX_H5_GROUP_DEPTH} deep and {@link MAX_H5_GROUPS} groups in all.
 * Throws `INVALID_FILE` as {@link readKerasH5} does, and for a walk past those limits.
 */
export async function readKerasVarsH5(
  bytes: Uint8Array,
  fileName = 'model.weights.h5',
): Promise<Map<string, StoredWeight[]>> {
  const budget: DeclaredBudget = { fileBytes: bytes.length, declaredBytes: 0 };
  const module = await h5Module();
  return withHdf5File(bytes, fileName, (file) => {
    const out = new Map<string, StoredWeight[]>();
    const visited = new Set<string>([objectAddress(module, file, '/')]);
    // `stored` is the group's path in the file; `path` the same with '/' separators: Keras 2.13–2.15 on Windows wrote
    // each group name as one OS path ('layers\\conv2d').
    const visit = (group: InstanceType<typeof h5wasm.Group>, stored: string, path: string, depth: number): void => {
      if (depth > MAX_H5_GROUP_DEPTH)
        throw new WingbeatsError(
          'INVALID_FILE',
          `'${fileName}' nests groups more than ${MAX_H5_GROUP_DEPTH} deep (at '${path}'); the file is damaged.`,
        );
      for (const key of group.keys()) {
        const childStored = stored === '' ? key : `${stored}/${key}`;
        const childPath = path === '' ? key.replace(/\\/g, '/') : `${path}/${key.replace(/\\/g, '/')}`;
        const address = objectAddress(module, file, `/${childStored}`);
        if (visited.has(address)) continue;
        const child = group.get(key);
        if (!(child instanceof h5wasm.Group)) continue;
        visited.add(address);
        if (visited.size > MAX_H5_GROUPS)
          throw new WingbeatsError(
            'INVALID_FILE',
            `'${fileName}' holds more than ${MAX_H5_GROUPS} groups; it is not a Keras weights file.`,
          );
        if (key !== 'vars') {
          visit(child, childStored, childPath, depth + 1);
          continue;
        }
        // Optimizer and metric state (integer counters among them) is not part of the model.
        if (!childPath.startsWith('layers/') && !childPath.startsWith('_layer_checkpoint_dependencies/')) continue;
        const indices = child
          .keys()
          .filter((k) => /^\d+$/.test(k))
          .map(Number)
          .sort((a, b) => a - b);
        const list = indices.map((index) => {
          const dataset = child.get(String(index));
          if (!(dataset instanceof h5wasm.Dataset))
            throw new WingbeatsError('INVALID_FILE', `'${fileName}' has no data at '${childPath}/${index}'.`);
          return {
            name: String(index),
            shape: dataset.shape ?? [],
            values: floatValues(dataset, `Variable '${childPath}/${index}'`, fileName, budget),
          };
        });
        out.set(path, list);
      }
    };
    visit(file, '', '', 0);
    return out;
  });
}

function readContents(file: H5File, fileName: string, budget: DeclaredBudget): KerasH5Contents {
  const configText = asText(attributeValue(file, 'model_config'));
  let modelConfig: Record<string, unknown> | null = null;
  if (configText !== null) {
    const parsed = parseJsonText(configText, `The model_config attribute of '${fileName}'`);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new WingbeatsError('INVALID_FILE', `The model_config attribute of '${fileName}' is not a JSON object.`);
    }
    modelConfig = parsed as Record<string, unknown>;
  }
  const weightsRoot = modelConfig !== null && file.keys().includes('model_weights') ? file.get('model_weights') : file;
  if (!(weightsRoot instanceof h5wasm.Group)) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' has no weight group; it is not a Keras model or weights file.`,
    );
  }
  const layerNamesValue = attributeValue(weightsRoot, 'layer_names');
  if (layerNamesValue === undefined) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${fileName}' is an HDF5 file but not a Keras one (no 'layer_names' attribute).`,
    );
  }
  const layerNames = stringList(layerNamesValue);
  const weights = new Map<string, StoredWeight[]>();
  for (const layerName of layerNames) {
    const group = weightsRoot.get(layerName);
    if (!(group instanceof h5wasm.Group)) {
      throw new WingbeatsError('INVALID_FILE', `'${fileName}' lists layer '${layerName}' but has no group for it.`);
    }
    const list: StoredWeight[] = [];
    for (const weightName of stringList(attributeValue(group, 'weight_names'))) {
      const dataset = group.get(weightName);
      if (!(dataset instanceof h5wasm.Dataset)) {
        throw new WingbeatsError(
          'INVALID_FILE',
          `'${fileName}' lists weight '${weightName}' of layer '${layerName}' but has no data for it.`,
        );
      }
      list.push({
        name: weightName,
        shape: dataset.shape ?? [],
        values: floatValues(dataset, `Weight '${weightName}' of layer '${layerName}'`, fileName, budget),
      });
    }
    weights.set(layerName, list);
  }
  const kerasVersion =
    asText(attributeValue(file, 'keras_version')) ?? asText(attributeValue(weightsRoot, 'keras_version'));
  return { modelConfig, kerasVersion, layerNames, weights };
}
