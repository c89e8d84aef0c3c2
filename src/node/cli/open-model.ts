/** Starting the backend, loading the model of a command and reading its inputs (Node only). */
import { setupBackend } from '../../execution/backend.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { loadModelFile } from '../load-model-file.js';
import { openSession, type Session } from '../../session/session.js';
import { registerNodeEngines } from '../onnx/onnx-backend.js';
import { readLabelsFile } from '../labels-file.js';
import {
  readBaselines,
  readInputSource,
  readInputSources,
  type InputItem,
  type InputReadOptions,
} from '../../pipeline/input-sources.js';
import type { UnreadFile } from '../../pipeline/unread-files.js';
import { WingbeatsError } from '../../util/errors.js';
import { listInputFiles } from '../input-paths.js';
import { readSource, readSources } from '../read-files.js';
import { groupMaskFromJson } from '../../attribution/feature-groups.js';
import { parseJsonBytes } from '../../io/json-text.js';
import { nestArray } from '../../pipeline/json-values.js';
import { PROGRAM_NAME, writeWarnings, type CliIo } from './common.js';

/** The model of a command: its file (`--model`), optionally a file of class names (`--labels`), and `--quiet`. */
export interface ModelFiles {
  model: string;
  labels?: string;
  quiet?: boolean;
}

/**
 * Makes wasm the backend (the fallback warning always reaches stderr, even with --quiet: it is never silent),
 * registers the ONNX Runtime engine (its modules — the ONNX compiler, protobufjs, ONNX Runtime — load only when a
 * command runs on it) and loads the model at `files.model` with the class names of `files.labels`. The caller frees
 * it with `model.dispose()` in `finally`.
 */
export async function openModel(io: CliIo, files: string | ModelFiles): Promise<ExplainableModel> {
  const { model: path, labels } = typeof files === 'string' ? { model: files } : files;
  await setupBackend({ warn: (message) => io.stderr(`${message}\n`) });
  registerNodeEngines();
  return loadModelFile(path, labels === undefined ? {} : { labels: await readLabelsFile(labels) });
}

/**
 * Runs `body` with the model of `files` opened ({@link openModel}) and ONE session on it (its engine fallback line goes
 * to stderr; each command passes its `--engine` and `--workers` with every call), and frees both afterwards, also on
 * error. After a success (and without `--quiet`), a model whose classes have no names gets a note on stderr saying
 * how to name them.
 */
export async function withModel<T>(
  io: CliIo,
  files: string | ModelFiles,
  body: (model: ExplainableModel, session: Session) => Promise<T>,
): Promise<T> {
  const model = await openModel(io, files);
  const session = openSession(model, { warn: (line) => io.stderr(`${line}\n`) });
  try {
    const result = await body(model, session);
    if (model.info.labelSource === 'class-index' && !(typeof files === 'object' && files.quiet === true)) {
      io.stderr(
        `note: '${String(model.info.fileName)}' does not name its classes, so they are called 'class 0', 'class 1', ...; pass --labels FILE (one name per line, or a JSON list) to name them.\n`,
      );
    }
    return result;
  } finally {
    await session.dispose();
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
  const option = options.option ?? '--input';
  const sources = await readSources(typeof paths === 'string' ? [paths] : paths, `The ${option} file`, option);
  const items = readInputSources(sources, model, options);
  if (io !== undefined) writeWarnings(io, items);
  return items;
}

/** The inputs read by {@link readItemsCarryingOn}, the files that could not be read, and how many files there were. */
export interface ReadInputs {
  items: InputItem[];
  unread: UnreadFile[];
  files: number;
}

/**
 * The inputs of `--input` like {@link readItems}, but one file that cannot be read does not stop the others: each such
 * file gets one line on stderr (`wingbeats-xai: skipped: <why>`) and is listed in `unread`; the command goes on with
 * the rest and reports the failure at the end ({@link failOnUnread}). With `strict`, or when only one file is given, the
 * first failure throws as before.
 * @throws WingbeatsError for a path that does not exist, and `INVALID_FILE` when no file at all could be read.
 */
export async function readItemsCarryingOn(
  model: ExplainableModel,
  paths: string | readonly string[],
  options: InputReadOptions,
  io: CliIo,
  strict = false,
): Promise<ReadInputs> {
  const files = await listInputFiles(typeof paths === 'string' ? [paths] : paths);
  const items: InputItem[] = [];
  const unread: UnreadFile[] = [];
  for (const file of files) {
    try {
      const source = await readSource(file.path, 'The --input file');
      items.push(...readInputSource({ ...source, label: file.name }, model, options));
    } catch (error) {
      if (strict || files.length === 1 || !(error instanceof WingbeatsError)) throw error;
      unread.push({ file: file.path, error: error.message });
      io.stderr(`${PROGRAM_NAME}: skipped: ${error.message}\n`);
    }
  }
  if (items.length === 0 && unread.length > 0)
    throw new WingbeatsError(
      'INVALID_FILE',
      `None of the ${files.length} input files could be read (each is listed above); nothing was written.`,
    );
  writeWarnings(io, items);
  return { items, unread, files: files.length };
}

/**
 * Ends a command whose results are written with a failure when some input files could not be read, so scripts see
 * it (exit code 1) although the other files were explained.
 * @throws WingbeatsError `INVALID_FILE` when `inputs.unread` is not empty.
 */
export function failOnUnread(inputs: ReadInputs): void {
  const count = inputs.unread.length;
  if (count === 0) return;
  throw new WingbeatsError(
    'INVALID_FILE',
    `${count} of ${inputs.files} input files could not be read (listed above); the results hold the other ${inputs.files - count}. Give --strict to stop at the first such file.`,
  );
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

/**
 * Reads the files the methods' options name, in place: a `--groups` `.json` mask file becomes the mask it holds
 * ('bands:8', 'harmonics', ... stay as they are); a `--background` folder of recordings, `.npy` stack or `.json` list
 * becomes the list of model inputs it holds (recordings turned into inputs as `--input` is, by `readOptions`). With
 * `--groups` and recordings among `items`, the Hz of each frequency index of their preset goes into `frequencyHz`
 * (groups' Hz ranges; `harmonics` needs it), so every command that takes `--groups` takes every kind of group.
 */
export async function readMethodFiles(
  model: ExplainableModel,
  methodOptions: Record<string, unknown> | undefined,
  readOptions: InputReadOptions,
  items: readonly InputItem[] = [],
): Promise<void> {
  await readGroupsFile(methodOptions);
  const frequencyHz = items.find((item) => item.axes !== undefined)?.axes?.frequencyHz;
  if (methodOptions?.groups !== undefined && methodOptions.frequencyHz === undefined && frequencyHz !== undefined)
    methodOptions.frequencyHz = frequencyHz;
  const background = methodOptions?.background;
  if (methodOptions === undefined || typeof background !== 'string') return;
  const backgroundItems = await readItems(model, background, { ...readOptions, option: '--background' });
  methodOptions.background = backgroundItems.map((item) => nestArray(item.data, item.shape));
}

async function readGroupsFile(methodOptions: Record<string, unknown> | undefined): Promise<void> {
  const file = methodOptions?.groups;
  if (methodOptions === undefined || typeof file !== 'string' || !/\.json$/i.test(file)) return;
  const label = `Option '--groups' file '${file}'`;
  const source = await readSource(file, 'The --groups file');
  methodOptions.groups = groupMaskFromJson(parseJsonBytes(source.bytes, label), label);
}
