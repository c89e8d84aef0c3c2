/** Starting the backend, loading the model of a command and reading its inputs (Node only). */
import { setupBackend } from '../../execution/backend.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { loadModelFile } from '../load-model-file.js';
import { registerComputeBackend, resolveComputeBackend } from '../../execution/compute-backend.js';
import {
  readBaselines,
  readInputSources,
  type InputItem,
  type InputReadOptions,
} from '../../pipeline/input-sources.js';
import { readSource, readSources } from '../read-files.js';
import { writeWarnings, type CliIo } from './common.js';

/**
 * Makes wasm the backend (the fallback warning always reaches stderr, even with --quiet: it is never silent) and loads
 * the model at `path`. The `--backend onnx` fallback line goes to stderr too. The caller frees it with
 * `model.dispose()` in `finally`.
 */
export async function openModel(io: CliIo, path: string): Promise<ExplainableModel> {
  await setupBackend({ warn: (message) => io.stderr(`${message}\n`) });
  registerOnnxOnDemand(io);
  return loadModelFile(path);
}

/**
 * Registers `--backend onnx` so that its modules (the ONNX compiler, protobufjs, ONNX Runtime) load only when a
 * command runs on it: the first call loads them, registers the real backend and hands the model to it.
 */
function registerOnnxOnDemand(io: CliIo): void {
  registerComputeBackend('onnx', async (model, threads) => {
    const { useOnnxBackend } = await import('../onnx/onnx-backend.js');
    useOnnxBackend({ warn: (message) => io.stderr(`${message}\n`) });
    return (await resolveComputeBackend('backend', model, 'onnx', threads)) === 'onnx';
  });
}

/** Runs `body` with the model at `path` opened ({@link openModel}) and frees the model afterwards, also on error. */
export async function withModel<T>(io: CliIo, path: string, body: (model: ExplainableModel) => Promise<T>): Promise<T> {
  const model = await openModel(io, path);
  try {
    return await body(model);
  } finally {
    model.dispose();
  }
}

/** The inputs of `--input` (files, folders searched recursively, lists) as model inputs for `model`. */
export async function readItems(
  model: ExplainableModel,
  paths: string | readonly string[],
  options: InputReadOptions,
  io?: CliIo,
): Promise<InputItem[]> {
  const what = 'The --input file';
  const sources = await readSources(typeof paths === 'string' ? [paths] : paths, what);
  const items = readInputSources(sources, model, options);
  if (io !== undefined) writeWarnings(io, items);
  return items;
}

/** The baselines of `--baseline` (`methodOptions.baseline`: 'zeros' or a file), one or one per item. */
export async function readBaselineFile(
  model: ExplainableModel,
  methodOptions: Record<string, unknown> | undefined,
  items: readonly InputItem[],
): Promise<Float32Array[] | undefined> {
  const file = methodOptions?.baseline;
  if (typeof file !== 'string' || file === 'zeros') return undefined;
  return readBaselines(await readSource(file, 'The --baseline file'), items, model);
}
