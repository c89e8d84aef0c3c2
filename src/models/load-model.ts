/**
 * `loadModel`: the wingbeats project's Keras files (full models and weights-only files of its architectures) and
 * TensorFlow.js layers models, as an {@link ExplainableModel} that knows its input shape, heads, labels and origin.
 *
 * Universal: works from bytes or URLs. A file path is handled in Node only, through `src/node/load-model-file.ts`, which is
 * imported dynamically so a browser bundle never reaches `node:fs`.
 */
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../execution/explainable-model.js';
import { layersModelFromJson } from '../execution/layers-model-from-json.js';
import { MAX_FETCH_BYTES, fetchBytes } from '../io/fetch-bytes.js';
import { WingbeatsError, argumentError, described } from '../util/errors.js';
import { assignStoredWeights } from './assign-weights.js';
import {
  architectureOutputNames,
  buildArchitecture,
  isWingbeatsModelConfig,
  recogniseArchitecture,
} from './architectures.js';
import { KerasH5Contents, StoredWeight, isHdf5, readKerasH5, readKerasVarsH5 } from './hdf5.js';
import { isZip, readKerasArchive } from './keras-archive.js';
import { registerGRUResetAfter } from './gru-reset-after.js';
import { registerKerasFlatten } from './keras-flatten.js';
import { registerCausalConv1D } from './causal-conv1d.js';
import { registerTensorOpLayer } from './tensor-op-layer.js';
import { registerKerasActivationLayers } from './keras-activation-layers.js';
import { registerKerasAttentionLayers } from './keras-attention-layers.js';
import { registerKerasNormalization } from './keras-normalization.js';
import { registerKerasUpSampling1D } from './keras-upsampling1d.js';
import { registerKerasResizing } from './keras-resizing.js';
import { registerKerasCenterCrop } from './keras-center-crop.js';
import { registerKerasConv1DTranspose } from './keras-conv1d-transpose.js';
import { registerKerasSeparableConv1D } from './keras-separable-conv1d.js';
import { convertCudnnWeights } from './cudnn-weights.js';
import { checkKerasConfig, normaliseKerasConfig } from './keras-config.js';
import { checkLayerGraph } from './layer-graph.js';
import { MAX_UNSTORED_WEIGHT_VALUES, withWeightSizeLimit } from './weight-size-guard.js';
import { checkWeightDataSize, checkWeightsManifest, int64WeightsAsInt32, joinWeightData } from './weights-manifest.js';
import { parseJsonBytes } from '../io/json-text.js';
import { DATASETS, DatasetInfo, datasetLabels, detectDataset } from './labels.js';
import { registerWingbeatsLayers } from './wingbeats-layers.js';
import { looksLikeOnnx } from '../onnx-file/decode-onnx-file.js';
import { importOnnxModel } from '../onnx-file/onnx-file-model.js';

/** Where a model comes from: bytes (`.keras`, `.h5` or `model.json`), a URL, a path (Node), or a TensorFlow.js IO handler. */
export type ModelSource = Uint8Array | ArrayBuffer | string | tf.io.IOHandler;

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Input shape without batch axis (default: from the file, or from the data set for spectrogram models). */
  inputShape?: number[];
  /**
   * Class labels: one list for a single head or a list per head name, each as long as its head has classes. Default:
   * the data set's for a recognised wingbeats architecture; otherwise `class 0` … `class N−1` (a class count alone is
   * no evidence of a data set).
   */
  labels?: string[] | Record<string, string[]>;
  /** Display name (default: the file name without extension). */
  name?: string;
  /** File name or path used for messages and data-set hints when `source` is bytes (default `'model.h5'`). */
  fileName?: string;
  /** Weight data of a `model.json` given as bytes (its weightsManifest files, concatenated in manifest order). */
  weightData?: ArrayBuffer;
}

/** Facts `loadModel` records in `model.info`. */
export interface LoadedModelInfo extends Record<string, unknown> {
  format: 'keras' | 'keras-h5' | 'keras-h5-weights' | 'tfjs-layers' | 'onnx';
  /** Root class of a full Keras model (`Sequential`, `Mosquito_CNN_PSD`, `Functional`), or the recognised wingbeats architecture. */
  architecture: string;
  /** `'psd'` or `'spectrogram'` when known. */
  kind?: 'psd' | 'spectrogram';
  /** `'potamitis'`, `'keogh-9'`, `'keogh-7'` when recognised. */
  dataset?: string;
  fileName: string;
  kerasVersion?: string;
  /** Output layer names in the file, in output order. */
  outputLayers: string[];
  /**
   * Where the class names come from: `'option'` (the `labels` option), `'model'` (stored in the file: a
   * `model.json`'s `userDefinedMetadata.labels`, an ONNX file's `metadata_props`), `'dataset'` (a recognised wingbeats
   * architecture's data set), `'class-index'` (none known: `class 0` … `class N−1`; pass labels to name them).
   */
  labelSource: 'option' | 'model' | 'dataset' | 'class-index';
}

function baseFileName(path: string): string {
  const clean = path.split(/[?#]/)[0];
  return clean.slice(clean.lastIndexOf('/') + 1) || clean;
}

function stem(fileName: string): string {
  const base = baseFileName(fileName);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Layer classes a Keras config may need beyond TensorFlow.js's own: wingbeats layers, GRU reset_after, Flatten, causal
 * Conv1D, plain tensor ops, activation layers with options, attention layers.
 */
export function registerLayerClasses(): void {
  registerWingbeatsLayers();
  registerGRUResetAfter();
  registerKerasFlatten();
  registerCausalConv1D();
  registerTensorOpLayer();
  registerKerasActivationLayers();
  registerKerasAttentionLayers();
  registerKerasNormalization();
  registerKerasUpSampling1D();
  registerKerasConv1DTranspose();
  registerKerasSeparableConv1D();
  registerKerasResizing();
  registerKerasCenterCrop();
}

function isUrl(text: string): boolean {
  return /^(https?|blob|data|file):/i.test(text);
}

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node !== undefined && typeof window === 'undefined';
}

function toBytes(source: Uint8Array | ArrayBuffer): Uint8Array {
  return source instanceof Uint8Array ? source : new Uint8Array(source);
}

/**
 * Loads a model for explanation.
 *
 * - Keras 3 `.keras` files (config.json + model.weights.h5, variables placed by their saving-library paths) and
 *   Keras 2.2–3.x `.h5` full models (Sequential, its subclasses such as `Mosquito_CNN_PSD`, Functional with several
 *   inputs or outputs, nested models) from their config, with the wingbeats custom layers and the layers TensorFlow.js
 *   lacks (GRU `reset_after`, CuDNNLSTM/CuDNNGRU, causal Conv1D, Flatten of a 2-D input) registered; weights matched
 *   by name across Keras 2 and 3 naming. Initializers, regularizers and constraints (training only) are ignored.
 * - Keras `.h5` weights-only files of the wingbeats architectures, recognised from layer names and weight shapes.
 * - TensorFlow.js `model.json` (layers format): a URL, a path (Node), bytes (with `weightData`), or an IO handler.
 *
 * The model knows its input shape (spectrogram models: 129×113×3 Potamitis, 129×33×3 Keogh, from the class count
 * and path), its heads in the original order, class labels where known, and `info` (format, architecture, data set,
 * file). Keras `Lambda` layers are refused (`UNSAFE_LAYER`), never executed; settings that would not run faithfully
 * (an activation the executor lacks, grouped convolutions, Keras 3's hard_sigmoid) are refused in one line.
 *
 * @throws WingbeatsError `INVALID_FILE` (empty, truncated, not HDF5/zip/JSON), `UNKNOWN_LAYER`, `UNSAFE_LAYER`,
 *   `WEIGHTS_MISMATCH`, `UNSUPPORTED_MODEL`, `IO`. No tensor is left behind by a failed load.
 * @example
 *   const model = await loadModel(bytes, { fileName: 'HieraEmbCls_psd_frozen.h5' });
 *   model.outputNames; // ['embedding', 'genus', 'species']
 */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<ExplainableModel> {
  registerLayerClasses();
  if (typeof source === 'string') {
    if (!isUrl(source) && isNode()) {
      // A computed specifier: the universal code has no static edge to the Node folder (bundlers do not follow it).
      const specifier = '../node/load-model-file.js';
      const { loadModelFile } = (await import(/* @vite-ignore */ specifier)) as {
        loadModelFile: (path: string, options: LoadModelOptions) => Promise<ExplainableModel>;
      };
      return loadModelFile(source, options);
    }
    return loadModelUrl(source, options);
  }
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return loadModelBytes(toBytes(source), options);
  const load = typeof source === 'object' && source !== null ? (source as tf.io.IOHandler).load : undefined;
  if (load !== undefined) {
    const artifacts = await load.call(source);
    return loadModelArtifacts(artifacts, options);
  }
  throw argumentError(
    'loadModel',
    'source',
    'bytes (Uint8Array/ArrayBuffer), a URL or path string, or a tf.io.IOHandler',
    source,
  );
}

async function loadModelUrl(url: string, options: LoadModelOptions): Promise<ExplainableModel> {
  const fileName = options.fileName ?? url;
  if (/\.json$/i.test(url.split(/[?#]/)[0]))
    return loadModelArtifacts(await fetchModelJsonArtifacts(url), { ...options, fileName });
  return loadModelBytes(await fetchBytes(url), { ...options, fileName });
}

/**
 * Fetches a `model.json` and its weight files; every manifest path must resolve inside the model's folder URL (the
 * same rule as for files: no absolute URL, no `..`, no other host).
 */
async function fetchModelJsonArtifacts(url: string): Promise<tf.io.ModelArtifacts> {
  const source = `'${url}'`;
  const json = parseJsonBytes(await fetchBytes(url), `The model ${source}`);
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new WingbeatsError('INVALID_FILE', `The model ${source} is not a JSON object.`);
  const model = json as tf.io.ModelJSON;
  const manifest = checkWeightsManifest(model.weightsManifest, source);
  let folder: URL;
  try {
    folder = new URL('.', new URL(url, typeof location === 'undefined' ? undefined : location.href));
  } catch (error) {
    throw new WingbeatsError('IO', `Could not fetch '${url}': it is not a valid URL.`, { cause: error });
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const path of manifest.flatMap((group) => group.paths)) {
    const weightUrl = new URL(path, folder);
    if (weightUrl.origin !== folder.origin || !weightUrl.pathname.startsWith(folder.pathname)) {
      throw new WingbeatsError(
        'INVALID_FILE',
        `${source} names the weight file '${path}', which resolves to '${weightUrl.href}' outside the model's folder '${folder.href}'.`,
      );
    }
    const part = await fetchBytes(weightUrl.href, MAX_FETCH_BYTES - total);
    total += part.length;
    parts.push(part);
  }
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const weightData = joinWeightData(parts, weightSpecs, source);
  return {
    modelTopology: model.modelTopology,
    format: model.format,
    userDefinedMetadata: model.userDefinedMetadata,
    weightSpecs,
    weightData,
  };
}

/** Loads a model from the bytes of a Keras `.keras` or `.h5` file or of a `model.json` (weights in `options.weightData`); `readH5` reads an .h5 and `readVars` the weights file of a `.keras` (Node passes readers with a time limit). */
export async function loadModelBytes(
  bytes: Uint8Array,
  options: LoadModelOptions = {},
  readH5: (bytes: Uint8Array, fileName: string) => Promise<KerasH5Contents> = readKerasH5,
  readVars: (bytes: Uint8Array, fileName: string) => Promise<Map<string, StoredWeight[]>> = readKerasVarsH5,
): Promise<ExplainableModel> {
  registerLayerClasses();
  const fileName = options.fileName ?? 'model.h5';
  if (/\.onnx$/i.test(baseFileName(fileName)) || (!isHdf5(bytes) && !isZip(bytes) && looksLikeOnnx(bytes)))
    return loadOnnxModel(bytes, options);
  if (bytes.length > 0 && !isHdf5(bytes) && bytes[0] === 0x7b /* '{' */) {
    const json = parseJsonBytes(bytes, `'${baseFileName(fileName)}'`);
    if (json === null || typeof json !== 'object' || Array.isArray(json))
      throw new WingbeatsError('INVALID_FILE', `'${baseFileName(fileName)}' is not a JSON object.`);
    const manifest = checkWeightsManifest(
      (json as Record<string, unknown>).weightsManifest,
      `'${baseFileName(fileName)}'`,
    );
    const weightSpecs = manifest.flatMap((group) => group.weights);
    if (weightSpecs.length > 0 && options.weightData === undefined) {
      throw argumentError(
        'loadModel',
        'options.weightData',
        `the weight bytes of '${fileName}' (${weightSpecs.length} weights in its manifest)`,
        undefined,
      );
    }
    if (weightSpecs.length > 0)
      checkWeightDataSize(weightSpecs, (options.weightData as ArrayBuffer).byteLength, `'${baseFileName(fileName)}'`);
    return loadModelArtifacts(
      {
        modelTopology: (json as Record<string, unknown>).modelTopology as tf.io.ModelJSON['modelTopology'],
        weightSpecs,
        weightData: options.weightData,
        format: (json as Record<string, unknown>).format as string,
        userDefinedMetadata: (json as Record<string, unknown>)
          .userDefinedMetadata as tf.io.ModelArtifacts['userDefinedMetadata'],
      },
      options,
    );
  }
  if (isZip(bytes)) {
    const archive = await readKerasArchive(bytes, baseFileName(fileName), readVars);
    return loadFullKeras({ ...archive, format: 'keras' }, options);
  }
  const contents = await readH5(bytes, baseFileName(fileName));
  return contents.modelConfig !== null
    ? loadFullKeras({ ...contents, modelConfig: contents.modelConfig, format: 'keras-h5' }, options)
    : loadWeightsOnly(contents, options);
}

/**
 * An ONNX file (see `src/onnx-file`) as an explainable model: its input shape is the ONNX input's without the batch
 * axis, its one head is named after the graph's output, and its class names come from `options.labels`, else the
 * file's metadata (`labels`, `classes`, `class_names` or `names`), else `class 0` … `class N−1`.
 */
function loadOnnxModel(bytes: Uint8Array, options: LoadModelOptions): ExplainableModel {
  const fileName = options.fileName ?? 'model.onnx';
  const imported = importOnnxModel(bytes, baseFileName(fileName));
  try {
    const outputNames = [imported.outputName === '' ? 'output' : imported.outputName];
    const classes = [imported.classes];
    if (options.labels !== undefined) checkLabels(options.labels, outputNames, classes);
    const fromModel =
      imported.stored !== undefined && fitsHeads(imported.stored.labels, outputNames, classes)
        ? imported.stored.labels
        : undefined;
    const labels =
      options.labels ?? fromModel ?? (imported.classes === null ? undefined : classIndexLabels(outputNames, classes));
    const inputShape = options.inputShape ?? imported.inputShape;
    const info: LoadedModelInfo = {
      format: 'onnx',
      architecture: 'ONNX graph',
      labelSource: options.labels !== undefined ? 'option' : fromModel !== undefined ? 'model' : 'class-index',
      fileName: baseFileName(fileName),
      outputLayers: outputNames,
      onnx: {
        ...imported.facts,
        ...(fromModel !== undefined && imported.stored !== undefined ? { labelKey: imported.stored.key } : {}),
      },
    };
    const model = ExplainableModel.from(imported.scores, {
      name: options.name ?? stem(fileName),
      inputShape: inputShape as number[], // free axes stay null: explained at the given input's size
      outputNames,
      labels,
      info,
      softmaxOutputs: [false],
    });
    model.onDispose(imported.dispose);
    return model;
  } catch (error) {
    imported.dispose();
    throw error;
  }
}

/** The most values of one stored weight (the bound of every weight the model's config may create). */
function largestStored(contents: Pick<KerasH5Contents, 'weights'>): number {
  let largest = 0;
  for (const list of contents.weights.values()) for (const w of list) largest = Math.max(largest, w.values.length);
  return largest;
}

/** The most values of one weight in a manifest's specs. */
function largestSpec(specs: readonly tf.io.WeightsManifestEntry[] | undefined): number {
  let largest = 0; // a loop, not Math.max(...list): a manifest may hold more specs than a call takes arguments
  for (const spec of specs ?? [])
    largest = Math.max(
      largest,
      spec.shape.reduce((a, b) => a * b, 1),
    );
  return largest;
}

/** The build running now: builds patch a shared tfjs prototype and track global variables, so they run one at a time. */
let buildQueue: Promise<unknown> = Promise.resolve();

/** {@link guardedNow}, queued behind any build already running (concurrent loads never interleave). */
async function guarded<T>(
  make: () => Promise<tf.LayersModel>,
  finish: (model: tf.LayersModel) => T,
  limit: { maxValues: number; source: string },
): Promise<T> {
  const run = buildQueue.then(() => guardedNow(make, finish, limit));
  buildQueue = run.catch(() => undefined);
  return run;
}

/**
 * Builds a layers model and finishes it; if either step throws, every variable created meanwhile is disposed
 * (a half-built model cannot dispose itself), so a failed load leaves no tensor behind.
 */
async function guardedNow<T>(
  make: () => Promise<tf.LayersModel>,
  finish: (model: tf.LayersModel) => T,
  limit: { maxValues: number; source: string },
): Promise<T> {
  const before = new Set(Object.keys(registeredVariables()));
  try {
    return finish(await withWeightSizeLimit(limit.maxValues, limit.source, make));
  } catch (error) {
    for (const [name, variable] of Object.entries(registeredVariables())) {
      if (!before.has(name) && !variable.isDisposed) variable.dispose();
    }
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `The model could not be built in TensorFlow.js: ${firstLine((error as Error).message)}`,
      { cause: error },
    );
  }
}

/** The first line of a (possibly multi-line) TensorFlow.js message. */
function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}

function registeredVariables(): Record<string, tf.Variable> {
  return (tf.engine() as unknown as { state: { registeredVariables: Record<string, tf.Variable> } }).state
    .registeredVariables;
}

function kindFromInput(shape: (number | null)[]): 'psd' | 'spectrogram' | undefined {
  if (shape.length === 2) return 'psd';
  if (shape.length === 3) return 'spectrogram';
  return undefined;
}

/** Head names, labels and input shape for a model of a known data set. */
function describeHeads(
  model: tf.LayersModel,
  dataset: DatasetInfo | undefined,
  options: LoadModelOptions,
): { outputNames: string[]; labels: string[] | Record<string, string[]> | undefined } {
  const layerNames = model.outputs.map((o) => o.sourceLayer.name);
  const classes = model.outputs.map((o) => o.shape[o.shape.length - 1]);
  // A single-head classifier of a known data set is its species head (the Sequential models name it 'dense').
  const outputNames =
    layerNames.length === 1 && dataset !== undefined && classes[0] === dataset.numSpecies ? ['species'] : layerNames;
  let labels: string[] | Record<string, string[]> | undefined = options.labels;
  if (labels === undefined && dataset !== undefined) {
    const known = datasetLabels(dataset);
    const byHead = Object.fromEntries(
      outputNames.flatMap((name, i) => (known[name]?.length === classes[i] ? [[name, known[name]]] : [])),
    );
    labels = Object.keys(byHead).length > 0 ? byHead : undefined;
  }
  return { outputNames, labels };
}

function speciesCount(model: tf.LayersModel): number | undefined {
  const species =
    model.outputs.find((o) => o.sourceLayer.name === 'species') ??
    (model.outputs.length === 1 ? model.outputs[0] : undefined);
  const n = species?.shape[species.shape.length - 1];
  return typeof n === 'number' ? n : undefined;
}

/** A full Keras model read from a `.keras` archive or an `.h5` file. */
interface FullKerasContents {
  format: 'keras' | 'keras-h5';
  modelConfig: Record<string, unknown>;
  kerasVersion: string | null;
  weights: Map<string, StoredWeight[]>;
}

async function loadFullKeras(contents: FullKerasContents, options: LoadModelOptions): Promise<ExplainableModel> {
  const fileName = options.fileName ?? 'model.h5';
  const modelConfig = contents.modelConfig;
  checkKerasConfig(modelConfig, `'${baseFileName(fileName)}'`, contents.kerasVersion);
  const { config, originalClassName } = normaliseKerasConfig(modelConfig);
  checkLayerGraph(config, `'${baseFileName(fileName)}'`);
  return guarded(
    () => layersModelFromJson(config),
    (model) => {
      assignStoredWeights(model, convertCudnnWeights(modelConfig, contents.weights), `'${baseFileName(fileName)}'`);
      return wrap(
        model,
        options,
        { format: contents.format, architecture: originalClassName, kerasVersion: contents.kerasVersion ?? undefined },
        isWingbeatsModelConfig(modelConfig),
      );
    },
    { maxValues: largestStored(contents) || MAX_UNSTORED_WEIGHT_VALUES, source: `'${baseFileName(fileName)}'` },
  );
}

async function loadWeightsOnly(contents: KerasH5Contents, options: LoadModelOptions): Promise<ExplainableModel> {
  const fileName = options.fileName ?? 'model.h5';
  const recognised = recogniseArchitecture(contents, `'${baseFileName(fileName)}'`);
  const dataset = detectDataset(recognised.units.species, fileName);
  let inputShape = options.inputShape;
  if (inputShape === undefined) {
    if (recognised.kind === 'psd') inputShape = [dataset?.psdShape[0] ?? 129, recognised.inputChannels];
    else if (dataset !== undefined)
      inputShape = [dataset.spectrogramShape[0], dataset.spectrogramShape[1], recognised.inputChannels];
    else {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `The input size of spectrogram model '${baseFileName(fileName)}' is not stored in the file and its data set is unknown; pass the option inputShape (e.g. [129, 113, 3]).`,
      );
    }
  }
  const shape = inputShape;
  return guarded(
    async () => buildArchitecture(recognised, shape),
    (model) => {
      assignStoredWeights(model, contents.weights, `'${baseFileName(fileName)}'`);
      return wrap(
        model,
        { ...options, inputShape: shape },
        {
          format: 'keras-h5-weights',
          architecture: recognised.architecture,
          kind: recognised.kind,
          kerasVersion: contents.kerasVersion ?? undefined,
        },
        true,
        architectureOutputNames(recognised),
      );
    },
    { maxValues: largestStored(contents) || MAX_UNSTORED_WEIGHT_VALUES, source: `'${baseFileName(fileName)}'` },
  );
}

/** Loads a TensorFlow.js layers model from its artifacts (after refusing Lambda and naming unknown layers). */
export async function loadModelArtifacts(
  artifacts: tf.io.ModelArtifacts,
  options: LoadModelOptions = {},
): Promise<ExplainableModel> {
  registerLayerClasses();
  const fileName = options.fileName ?? 'model.json';
  const topology = artifacts.modelTopology as Record<string, unknown> | ArrayBuffer | undefined;
  if (topology === null || typeof topology !== 'object' || Array.isArray(topology) || topology instanceof ArrayBuffer) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${baseFileName(fileName)}' is not a TensorFlow.js layers model (no layers topology); graph models cannot be explained layer by layer.`,
    );
  }
  const modelConfig = (topology.model_config ?? topology) as Record<string, unknown>;
  checkKerasConfig(modelConfig, `'${baseFileName(fileName)}'`);
  const { config, originalClassName } = normaliseKerasConfig(modelConfig);
  checkLayerGraph(config, `'${baseFileName(fileName)}'`);
  const fixed: tf.io.ModelArtifacts = {
    ...artifacts,
    modelTopology: topology.model_config !== undefined ? { ...topology, model_config: config } : config,
  };
  return guarded(
    async () => {
      const model = await layersModelFromJson(fixed.modelTopology);
      const { weightData, weightSpecs } = fixed;
      if (weightData !== undefined && weightSpecs !== undefined) {
        // Decoded weights are disposed by the tidy also when loading them fails (tfjs's own loader leaks them then).
        tf.tidy(() => {
          const joined = Array.isArray(weightData) ? tf.io.concatenateArrayBuffers(weightData) : weightData;
          const { specs, data } = int64WeightsAsInt32(weightSpecs, joined, `'${baseFileName(fileName)}'`);
          const named = tf.io.decodeWeights(data, specs);
          const optimizer = new Set(specs.filter((spec) => spec.group === 'optimizer').map((spec) => spec.name));
          const own = Object.entries(named).filter(([name]) => !optimizer.has(name));
          model.loadWeights(Object.fromEntries(inVariableDtypes(withoutModelPrefix(own, model), model)), true);
        });
      }
      return model;
    },
    (model) =>
      wrap(
        model,
        options,
        { format: 'tfjs-layers', architecture: originalClassName },
        isWingbeatsModelConfig(modelConfig),
        undefined,
        storedLabels(artifacts.userDefinedMetadata),
        storedDataset(artifacts.userDefinedMetadata),
      ),
    {
      maxValues: largestSpec(artifacts.weightSpecs) || MAX_UNSTORED_WEIGHT_VALUES,
      source: `'${baseFileName(fileName)}'`,
    },
  );
}

/**
 * The loaded model as an explainable model. `wingbeats` says whether it is a recognised wingbeats architecture: only
 * then are a data set's class names and head names (`species`) given to it.
 */
function wrap(
  model: tf.LayersModel,
  options: LoadModelOptions,
  facts: Pick<LoadedModelInfo, 'format' | 'architecture'> & Partial<LoadedModelInfo>,
  wingbeats: boolean,
  outputNamesOverride?: string[],
  stored?: string[] | Record<string, string[]>,
  storedSet?: DatasetInfo,
): ExplainableModel {
  const fileName = options.fileName ?? (facts.format === 'tfjs-layers' ? 'model.json' : 'model.h5');
  const dataset = storedSet ?? (wingbeats ? detectDataset(speciesCount(model), fileName) : undefined);
  const modelShape = model.inputs[0].shape.slice(1);
  const kind = facts.kind ?? kindFromInput(modelShape);
  let inputShape = options.inputShape;
  if (
    inputShape === undefined &&
    modelShape.some((d) => d === null) &&
    kind === 'spectrogram' &&
    dataset !== undefined
  ) {
    inputShape = [...dataset.spectrogramShape];
  }
  const heads = describeHeads(model, dataset, options);
  const outputNames = outputNamesOverride ?? heads.outputNames;
  const classes = model.outputs.map((o) => o.shape[o.shape.length - 1]);
  if (options.labels !== undefined) checkLabels(options.labels, outputNames, classes);
  const fromModel = stored !== undefined && fitsHeads(stored, outputNames, classes) ? stored : undefined;
  let labels =
    options.labels ?? fromModel ?? (outputNamesOverride !== undefined ? labelsFor(outputNames, dataset) : heads.labels);
  const labelSource =
    options.labels !== undefined
      ? 'option'
      : fromModel !== undefined
        ? 'model'
        : labels !== undefined
          ? 'dataset'
          : 'class-index';
  if (labels === undefined && !wingbeats) labels = classIndexLabels(outputNames, classes);
  const info: LoadedModelInfo = {
    ...facts,
    labelSource,
    kind,
    dataset: dataset?.name,
    fileName: baseFileName(fileName),
    outputLayers: model.outputs.map((o) => o.sourceLayer.name),
  };
  for (const key of Object.keys(info)) if (info[key] === undefined) delete info[key];
  // The wrapper owns the model: the fast paths' kernel cache is built once here and freed by its dispose().
  return ExplainableModel.from(model, {
    name: options.name ?? stem(fileName),
    inputShape,
    outputNames,
    labels,
    info,
    cacheKernels: true,
  });
}

function labelsFor(outputNames: string[], dataset: DatasetInfo | undefined): Record<string, string[]> | undefined {
  const known = datasetLabels(dataset);
  const byHead = Object.fromEntries(
    outputNames.flatMap((name) => (known[name] !== undefined ? [[name, known[name]]] : [])),
  );
  return Object.keys(byHead).length > 0 ? byHead : undefined;
}

/** `class 0` … `class N−1` for every head (the names of a model whose classes are not known). */
function classIndexLabels(outputNames: string[], classes: (number | null)[]): Record<string, string[]> {
  return Object.fromEntries(
    outputNames.map((name, i) => [name, Array.from({ length: classes[i] ?? 0 }, (_, k) => `class ${k}`)]),
  );
}

/** Refuses labels that name no head or whose count differs from their head's number of classes. */
function checkLabels(
  labels: string[] | Record<string, string[]>,
  outputNames: string[],
  classes: (number | null)[],
): void {
  const byHead: [string, unknown][] = Array.isArray(labels)
    ? [[outputNames[outputNames.length - 1], labels]]
    : Object.entries(labels);
  for (const [head, list] of byHead) {
    const index = outputNames.indexOf(head);
    if (index < 0) {
      throw argumentError(
        'loadModel',
        'options.labels',
        `class names per head of the model (${outputNames.map((n) => `'${n}'`).join(', ')})`,
        described(`names for a head '${head}'`),
      );
    }
    const n = classes[index];
    if (!Array.isArray(list) || !list.every((name) => typeof name === 'string') || (n !== null && list.length !== n)) {
      throw argumentError(
        'loadModel',
        'options.labels',
        `${n ?? 'one name per class'} class names (strings) for head '${head}'`,
        Array.isArray(list) ? described(`${list.length} entries`) : list,
      );
    }
  }
}

/**
 * The wingbeats data set a `model.json` says it was trained on (`userDefinedMetadata.dataset`, e.g. `'potamitis'`), if
 * it names one: evidence stored in the model, as its labels are.
 */
function storedDataset(metadata: unknown): DatasetInfo | undefined {
  const name =
    typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>).dataset : undefined;
  return typeof name === 'string' && Object.hasOwn(DATASETS, name)
    ? DATASETS[name as keyof typeof DATASETS]
    : undefined;
}

/** Class names a `model.json` stores in `userDefinedMetadata.labels` (a list, or one list per head), if any. */
function storedLabels(metadata: unknown): string[] | Record<string, string[]> | undefined {
  const labels =
    typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>).labels : undefined;
  const isList = (value: unknown): value is string[] =>
    Array.isArray(value) && value.every((name) => typeof name === 'string');
  if (isList(labels)) return labels;
  if (typeof labels === 'object' && labels !== null && Object.values(labels).every(isList))
    return labels as Record<string, string[]>;
  return undefined;
}

/** Whether labels name only heads of the model, each with as many names as it has classes. */
function fitsHeads(
  labels: string[] | Record<string, string[]>,
  outputNames: string[],
  classes: (number | null)[],
): boolean {
  try {
    checkLabels(labels, outputNames, classes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Weight names as the model's variables are named: the TensorFlow.js converter writes a Keras 3 model's weights with
 * the model's name in front (`sequential/conv1d/kernel` for `conv1d/kernel`); such leading scopes are dropped from a
 * name the model does not know when what is left is one it does.
 */
/**
 * An int32 weight for a float32 variable as float32 (the converter writes Keras's int64 `count` of an adapted
 * Normalization as int32; the layer keeps it as float32, as the Keras loaders fill it).
 */
function inVariableDtypes(weights: [string, tf.Tensor][], model: tf.LayersModel): [string, tf.Tensor][] {
  const dtypes = new Map(model.weights.map((w) => [w.originalName, w.dtype]));
  return weights.map(([name, value]) => {
    // int32 → float32 only: exact for the counts it carries (|n| ≤ 2²⁴), and nothing else is changed
    return dtypes.get(name) === 'float32' && value.dtype === 'int32'
      ? [name, tf.cast(value, 'float32')]
      : [name, value];
  });
}

function withoutModelPrefix(weights: [string, tf.Tensor][], model: tf.LayersModel): [string, tf.Tensor][] {
  const known = new Set(model.weights.map((w) => w.originalName));
  return weights.map(([name, value]) => {
    if (known.has(name)) return [name, value];
    const parts = name.split('/');
    for (let drop = 1; drop < parts.length - 1; drop++) {
      const shorter = parts.slice(drop).join('/');
      if (known.has(shorter)) return [shorter, value];
    }
    return [name, value];
  });
}
