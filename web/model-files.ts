/** Models for the page: the demo model shipped in the build output, or the files a user picked. */
import { WingbeatsError, fetchBytes, loadModelBytes, type ExplainableModel } from '../src/index.js';
import { readKerasH5InWorker, readKerasVarsH5InWorker } from './h5-in-worker.js';

/** A file's name and bytes (a picked `File`, or an asset fetched from the build output). */
export interface NamedBytes {
  name: string;
  bytes: Uint8Array;
}

/** What the build writes to `demo/manifest.json`. */
export interface DemoManifest {
  /** Folder of model.json, weights and labels.json, relative to the page. */
  model: string;
  /** Recording URLs relative to the page, sorted by name. */
  recordings: string[];
}

export { fetchBytes };

/** Reads a picked file. */
export async function readPicked(file: File): Promise<NamedBytes> {
  return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
}

function parseJson(file: NamedBytes): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(file.bytes));
  } catch (error) {
    throw new WingbeatsError('INVALID_FILE', `'${file.name}' is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Labels from a labels.json: a list of class names, or lists by head name. */
function labelsFrom(file: NamedBytes): string[] | Record<string, string[]> {
  const value = parseJson(file);
  const isList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (isList(value)) return value;
  if (value !== null && typeof value === 'object' && Object.values(value).every(isList))
    return value as Record<string, string[]>;
  throw new WingbeatsError(
    'INVALID_FILE',
    `'${file.name}' must hold a list of class names or {"head": [class names]}.`,
  );
}

function isModelJson(file: NamedBytes): boolean {
  if (!/\.json$/i.test(file.name)) return false;
  const value = parseJson(file) as Record<string, unknown> | null;
  return value !== null && typeof value === 'object' && 'modelTopology' in value;
}

/** The weight files of a model.json, concatenated in manifest order. */
function weightDataFor(modelJson: NamedBytes, files: NamedBytes[]): ArrayBuffer {
  const json = parseJson(modelJson) as { weightsManifest?: { paths?: string[] }[] };
  const paths = (json.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
  const byName = new Map(files.map((f) => [f.name, f]));
  const missing = paths.filter((p) => !byName.has(p.slice(p.lastIndexOf('/') + 1)));
  if (missing.length > 0) {
    throw new WingbeatsError(
      'IO',
      `'${modelJson.name}' needs the weight file${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}: pick ${missing.length > 1 ? 'them' : 'it'} together with the model.json.`,
    );
  }
  const parts = paths.map((p) => (byName.get(p.slice(p.lastIndexOf('/') + 1)) as NamedBytes).bytes);
  const out = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out.buffer;
}

/**
 * Loads a model from picked files: one Keras `.keras` or `.h5` (or an ONNX `.onnx`), or a `model.json` with its weight
 * files; a `labels.json` beside either gives the class names.
 */
export async function loadPickedModel(files: NamedBytes[], name?: string): Promise<ExplainableModel> {
  if (files.length === 0)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      'Pick a Keras .keras or .h5 file, or a model.json together with its .bin weight files.',
    );
  const modelJson = files.find(isModelJson);
  const h5 = files.find((f) => /\.(h5|hdf5|keras|onnx)$/i.test(f.name));
  if (modelJson === undefined && h5 === undefined) {
    // No model among the files: say so first (a JSON file that is no model.json is not "a bad labels file").
    const json = files.find((f) => /\.json$/i.test(f.name));
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `None of ${files.map((f) => `'${f.name}'`).join(', ')} is a model${json === undefined ? '' : ` ('${json.name}' is not a TensorFlow.js model.json: it has no modelTopology)`}: pick a Keras .keras or .h5, or a model.json with its .bin weight files.`,
    );
  }
  const labelsFile = files.find((f) => f !== modelJson && /\.json$/i.test(f.name));
  const labels = labelsFile === undefined ? undefined : labelsFrom(labelsFile);
  if (modelJson !== undefined) {
    return loadModelBytes(modelJson.bytes, {
      fileName: modelJson.name,
      weightData: weightDataFor(modelJson, files),
      labels,
      name,
    });
  }
  // HDF5 is read in a Web Worker under a time limit: a damaged file never freezes the page.
  return loadModelBytes(
    (h5 as NamedBytes).bytes,
    { fileName: (h5 as NamedBytes).name, labels, name },
    readKerasH5InWorker,
    readKerasVarsH5InWorker,
  );
}

/** Loads the demo model from the build output (model.json, its weights and labels.json under `manifest.model`). */
export async function loadDemoModel(manifest: DemoManifest): Promise<ExplainableModel> {
  const base = manifest.model.endsWith('/') ? manifest.model : `${manifest.model}/`;
  const modelJson: NamedBytes = { name: 'model.json', bytes: await fetchBytes(`${base}model.json`) };
  const json = parseJson(modelJson) as { weightsManifest?: { paths?: string[] }[] };
  const weightNames = (json.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
  const weights = await Promise.all(
    weightNames.map(async (path) => ({
      name: path.slice(path.lastIndexOf('/') + 1),
      bytes: await fetchBytes(`${base}${path}`),
    })),
  );
  const labels: NamedBytes = { name: 'labels.json', bytes: await fetchBytes(`${base}labels.json`) };
  return loadPickedModel([modelJson, ...weights, labels], 'wingbeats-demo');
}
