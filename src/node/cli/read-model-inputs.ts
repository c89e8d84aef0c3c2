/**
 * The `--input` files of `explain`: files, folders and lists for a model with one input; for a model with several inputs one file per
 * model input, in input order or named (`--input meta=side.json`), read and packed by the pipeline. Node only.
 */
import { WingbeatsError } from '../../util/errors.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { readMultiInputSources, type InputItem, type InputReadOptions } from '../../pipeline/input-sources.js';
import { readSource } from '../read-files.js';
import { readItemsCarryingOn, type ReadInputs } from './open-model.js';
import type { CliIo } from './common.js';

/** `name=file` names the model input a file holds; a plain path takes the next input in order. */
function assignFiles(files: readonly string[], names: readonly string[]): string[] {
  const assigned = new Array<string | undefined>(names.length);
  const positional: string[] = [];
  for (const text of files) {
    const match = /^([^=]+)=(.+)$/.exec(text);
    const index = match === null ? -1 : names.indexOf(match[1]);
    if (match === null || index < 0) {
      positional.push(text);
      continue;
    }
    if (assigned[index] !== undefined)
      throw new WingbeatsError('INVALID_ARGUMENT', `Option '--input' names model input '${match[1]}' twice.`);
    assigned[index] = match[2];
  }
  for (let i = 0; i < names.length; i++) if (assigned[i] === undefined) assigned[i] = positional.shift();
  if (positional.length > 0 || assigned.some((f) => f === undefined)) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--input' must be given once per model input (${names.join(', ')}), in that order or as name=file, but got ${files.length} file${files.length === 1 ? '' : 's'}.`,
    );
  }
  return assigned as string[];
}

/**
 * Reads the `--input` files (see the module doc) into items in the model's (packed) layout. For a model with one input,
 * a file that cannot be read is skipped and listed (see {@link readItemsCarryingOn}) unless `strict`.
 */
export async function readModelInputItems(
  model: ExplainableModel,
  files: readonly string[],
  options: InputReadOptions,
  io: CliIo,
  strict = false,
): Promise<ReadInputs> {
  // One model input: every file, folder (searched recursively) or list given is read; warnings go to stderr.
  if (!model.isMultiInput) return readItemsCarryingOn(model, files, options, io, strict);
  const sources = await Promise.all(assignFiles(files, model.inputNames).map((file) => readSource(file)));
  const items: InputItem[] = readMultiInputSources(sources, model, options);
  return { items, unread: [], files: 1 };
}
