/**
 * Node only: where the demo model and the demo recordings shipped with the package are, and a loader for the
 * model that reads its files from disk (no network). The assets are made by the project's own scripts
 * (scripts/train-demo-model.ts, scripts/make-demo-recordings.ts; see docs/demo.md).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';

/**
 * The package root: the nearest folder above this module holding a package.json and an `assets` folder
 * (src/demo/ when run from the sources, dist/demo/ when built: both two levels down).
 */
function findPackageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'assets'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve(here, '..', '..');
}

/** Where the demo assets are. */
export interface DemoAssetPaths {
  /** The package root the paths are resolved from. */
  root: string;
  /** Folder of the demo model. */
  modelDir: string;
  /** The TensorFlow.js layers-format `model.json` (its weights file lies beside it). */
  modelJson: string;
  /** `labels.json`: `{ "species": [...] }` in output-index order. */
  labels: string;
  /** `metadata.json`: preset, input shape, training accuracy, seed, date. */
  metadata: string;
  /** Folder of the demo recordings. */
  recordingsDir: string;
  /** The demo `.wav` recordings, sorted by name (empty when the folder is missing). */
  recordings: string[];
}

/**
 * Paths of the demo model and recordings shipped in the package's `assets/` folder (resolved from this module's
 * location, so they work from a fresh clone, a built `dist/`, or an installed package).
 *
 * @returns {@link DemoAssetPaths}.
 * @example
 * const { modelJson, recordings } = demoAssetPaths();
 */
export function demoAssetPaths(): DemoAssetPaths {
  const root = findPackageRoot();
  const modelDir = join(root, 'assets', 'demo-model');
  const recordingsDir = join(root, 'assets', 'demo-recordings');
  const recordings = existsSync(recordingsDir)
    ? readdirSync(recordingsDir)
        .filter((name) => name.toLowerCase().endsWith('.wav'))
        .sort()
        .map((name) => join(recordingsDir, name))
    : [];
  return {
    root,
    modelDir,
    modelJson: join(modelDir, 'model.json'),
    labels: join(modelDir, 'labels.json'),
    metadata: join(modelDir, 'metadata.json'),
    recordingsDir,
    recordings,
  };
}

/** What `metadata.json` of the demo model holds (the fields the loader relies on; more may be present). */
export interface DemoModelMetadata {
  name: string;
  preset: string;
  inputShape: number[];
  outputNames: string[];
  labels: string[];
  training: { seed: number; trainAccuracy: number; testAccuracy: number; [key: string]: unknown };
  date: string;
  [key: string]: unknown;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new WingbeatsError(
      'IO',
      `The demo ${what} '${path}' cannot be read (${(error as Error).message}); regenerate it with scripts/train-demo-model.ts.`,
      { cause: error },
    );
  }
}

function parseJson(text: string, path: string): any {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `The demo model file '${path}' is not valid JSON (${(error as Error).message}).`,
      { cause: error },
    );
  }
}

/** Reads the demo model's metadata.json. */
export async function readDemoModelMetadata(): Promise<DemoModelMetadata> {
  const { metadata } = demoAssetPaths();
  return parseJson(await readText(metadata, 'model metadata'), metadata) as DemoModelMetadata;
}

/**
 * Loads the shipped demo model (a small 1-D CNN over Potamitis Welch PSDs, input [129, 1], six species, trained on
 * synthetic recordings) from disk — model.json and its weight files read with `fs`, given to TensorFlow.js through
 * `tf.io.fromMemory`, no network — and wraps it as an {@link ExplainableModel} with its labels and a `species` head.
 *
 * @returns The demo model; `info` carries `preset`, `inputShape`, `trainedOn`, accuracies, seed and date from
 *   metadata.json. Dispose `model.layersModel` when done.
 * @throws WingbeatsError `IO` when a file is missing or unreadable, `INVALID_FILE` when one is damaged.
 * @example
 * const model = await loadDemoModel();
 * const { data } = featuresFromRecording(await readWavFile(demoAssetPaths().recordings[0]), 'potamitis-psd');
 */
export async function loadDemoModel(): Promise<ExplainableModel> {
  const paths = demoAssetPaths();
  const json = parseJson(await readText(paths.modelJson, 'model'), paths.modelJson);
  const labelsFile = parseJson(await readText(paths.labels, 'labels'), paths.labels) as { species?: string[] };
  const metadata = parseJson(await readText(paths.metadata, 'model metadata'), paths.metadata) as DemoModelMetadata;
  if (
    json === null ||
    typeof json !== 'object' ||
    json.modelTopology === undefined ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `The demo model file '${paths.modelJson}' is not a TensorFlow.js layers model (no modelTopology or weightsManifest).`,
    );
  }
  const groups = json.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const weightSpecs = groups.flatMap((group) => group.weights);
  const buffers: Uint8Array[] = [];
  for (const group of groups) {
    for (const file of group.paths) {
      const path = join(paths.modelDir, file);
      try {
        buffers.push(await readFile(path));
      } catch (error) {
        throw new WingbeatsError(
          'IO',
          `The demo model's weight file '${path}' cannot be read (${(error as Error).message}).`,
          { cause: error },
        );
      }
    }
  }
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  let layersModel: tf.LayersModel;
  try {
    layersModel = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer }),
    );
  } catch (error) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `The demo model '${paths.modelJson}' could not be built (${(error as Error).message}).`,
      { cause: error },
    );
  }
  const labels = labelsFile.species ?? metadata.labels;
  return ExplainableModel.from(layersModel, {
    labels,
    outputNames: ['species'],
    name: 'wingbeats-demo',
    info: {
      file: paths.modelJson,
      preset: metadata.preset,
      inputShape: metadata.inputShape,
      trainedOn: 'synthetic recordings (src/demo/synthesize.ts)',
      trainAccuracy: metadata.training?.trainAccuracy,
      testAccuracy: metadata.training?.testAccuracy,
      seed: metadata.training?.seed,
      date: metadata.date,
    },
  });
}
