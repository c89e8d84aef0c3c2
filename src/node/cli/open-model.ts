/** Starting the backend, loading the model of a command and reading its inputs (Node only). */
import { setupBackend } from '../../execution/backend.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { loadModelFile } from '../load-model-file.js';
import { readLabelsFile } from '../labels-file.js';
import { useOnnxBackend } from '../onnx/onnx-backend.js';
import {
  readBaselines,
  readInputSources,
  type InputItem,
  type InputReadOptions,
} from '../../pipeline/input-sources.js';
import { readSource, readSources } from '../read-files.js';
import { writeWarnings, type CliIo } from './common.js';

/** The model of a command: its file (`--model`), optionally a file of class names (`--labels`), and `--quiet`. */
export interface ModelFiles {
  model: string;
  labels?: string;
  quiet?: boolean;
}

/**
 * Makes wasm the backend (the fallback warning always reaches stderr, even with --quiet: it is never silent) and loads
 * the model at `files.model` with the class names of `files.labels`. The `--backend onnx` fallback line goes to stderr
 * too. The caller frees it with `model.dispose()` in `finally`.
 */
export async function openModel(io: CliIo, files: string | ModelFiles): Promise<ExplainableModel> {
  const { model: path, labels } = typeof files === 'string' ? { model: files } : files;
  await setupBackend({ warn: (message) => io.stderr(`${message}\n`) });
  useOnnxBackend({ warn: (message) => io.stderr(`${message}\n`) });
  return loadModelFile(path, labels === undefined ? {} : { labels: await readLabelsFile(labels) });
}

/**
 * Runs `body` with the model of `files` opened ({@link openModel}) and frees the model afterwards, also on error. After
 * a success (and without `--quiet`), a model whose classes have no names gets a note on stderr saying how to name them.
 */
export async function withModel<T>(
  io: CliIo,
  files: string | ModelFiles,
  body: (model: ExplainableModel) => Promise<T>,
): Promise<T> {
  const model = await openModel(io, files);
  try {
    const result = await body(model);
    if (model.info.labelSource === 'class-index' && !(typeof files === 'object' && files.quiet === true)) {
      io.stderr(
        `note: '${String(model.info.fileName)}' does not name its classes, so they are called 'class 0', 'class 1', ...; pass --labels FILE (one name per line, or a JSON list) to name them.\n`,
      );
    }
    return result;
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
