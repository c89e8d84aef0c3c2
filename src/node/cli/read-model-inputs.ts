/**
 * The `--input` files of `explain`: one file for a model with one input; for a model with several inputs one file per
 * model input, in input order or named (`--input meta=side.json`), each read as that input's layout and packed
 * example by example into the layout the methods work on. Node only.
 */
import { WingbeatsError } from '../../util/errors.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { readInputs, type InputItem, type ReadInputsOptions } from '../../pipeline/input-sources.js';

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
    if (assigned[index] !== undefined) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--input' names model input '${match[1]}' twice.`);
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

/** Reads the `--input` files (see the module doc) into items in the model's (packed) layout. */
export async function readModelInputs(files: readonly string[], model: ExplainableModel, options: ReadInputsOptions = {}): Promise<InputItem[]> {
  if (!model.isMultiInput) {
    if (files.length !== 1) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--input' must be given once for ${model.describe()} but got ${files.length} files.`);
    return readInputs(files[0], model, options);
  }
  const perInput = await Promise.all(assignFiles(files, model.inputNames).map((file, inputIndex) => readInputs(file, model, { ...options, inputIndex })));
  const counts = perInput.map((items) => items.length);
  if (counts.some((n) => n !== counts[0])) {
    throw new WingbeatsError('SHAPE_MISMATCH', `The --input files hold ${counts.join(', ')} examples for the model inputs ${model.inputNames.join(', ')}; give the same number for each.`);
  }
  return perInput[0].map((_, example) => {
    const parts = perInput.map((items, i) => ({ input: model.inputNames[i], name: items[example].name, data: items[example].data, shape: items[example].shape }));
    const data = new Float32Array(parts.reduce((n, p) => n + p.data.length, 0));
    let offset = 0;
    for (const part of parts) {
      data.set(part.data, offset);
      offset += part.data.length;
    }
    return { name: parts.map((p) => p.name).join('+'), data, shape: (model.inputShape ?? []) as number[], parts };
  });
}
