/**
 * Lists the examples of a data set on disk: a folder (one sub-folder per class) or a CSV manifest. Every example is
 * resolved to its real path and must lie inside the data set's root (the folder, or the manifest's folder); the output
 * folder is never read as input; one file is one example however it is spelled or linked. Node only.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../../util/errors.js';
import {
  examplesFromFolder,
  examplesFromManifest,
  isDatasetFile,
  nameList,
  type DatasetExample,
} from '../../dataset/examples.js';
import { walkInputFolder } from '../input-paths.js';
import { inputBounds, resolveInputFast } from '../contained-paths.js';
import { FILE_SIZE_LIMITS, readRegularFile } from '../read-regular-file.js';

/** A data set's examples and the folder their paths are relative to. */
export interface DatasetListing {
  /** Absolute folder the example paths are relative to. */
  root: string;
  kind: 'folder' | 'manifest' | 'file';
  examples: DatasetExample[];
}

/** Options of {@link listDataset}. */
export interface ListDatasetOptions {
  /** Only the first `limit` examples by path. */
  limit?: number;
  /** Output folders (the run's `--out`): skipped when inside the data set, refused when a manifest names them. */
  outputs?: readonly string[];
}

async function manifestExamples(input: string, root: string, outputs: readonly string[]): Promise<DatasetExample[]> {
  const bytes = await readRegularFile(input, { what: 'Manifest', maxBytes: FILE_SIZE_LIMITS.manifest });
  if (bytes.includes(0))
    throw new WingbeatsError(
      'INVALID_FILE',
      `Manifest '${input}' is not a text file (it holds NUL bytes); expected CSV lines path,label[,split].`,
    );
  const examples = examplesFromManifest(new TextDecoder().decode(bytes), input);
  const bounds = await inputBounds([root], outputs);
  const missing: string[] = [];
  const outside: string[] = [];
  const output: string[] = [];
  const byReal = new Map<string, string>();
  const twice: string[] = [];
  const folders = new Map<string, string | null>();
  for (const example of examples) {
    const resolved = resolveInputFast(path.join(root, example.path), bounds, folders);
    if (resolved.place === 'missing') missing.push(example.path);
    else if (resolved.place === 'outside') outside.push(example.path);
    else if (resolved.place === 'output') output.push(example.path);
    else {
      const earlier = byReal.get(resolved.real);
      if (earlier !== undefined) twice.push(`${earlier} = ${example.path}`);
      else byReal.set(resolved.real, example.path);
    }
  }
  const problem = (names: string[], what: string): string =>
    `${names.length} ${names.length > 1 ? 'files' : 'file'} ${what}: ${nameList(names)}`;
  if (outside.length > 0 || output.length > 0) {
    const parts = [
      ...(outside.length > 0 ? [problem(outside, `outside its folder ${root}`)] : []),
      ...(output.length > 0 ? [problem(output, 'in the output folder (outputs are never read as inputs)')] : []),
    ];
    throw new WingbeatsError(
      'INVALID_FILE',
      `Manifest '${input}' names ${parts.join('; ')}; only files inside the manifest's folder are read: move the manifest up or copy the files in.`,
    );
  }
  if (missing.length > 0) {
    throw new WingbeatsError(
      'IO',
      `Manifest '${input}' names ${missing.length} missing file${missing.length > 1 ? 's' : ''} (relative to ${root}): ${nameList(missing)}.`,
    );
  }
  if (twice.length > 0) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `Manifest '${input}' names the same file twice under different names (${nameList(twice)}); list each file once.`,
    );
  }
  return examples;
}

/**
 * The examples of `input`: a folder (walked recursively, hidden entries and output folders skipped, links followed
 * only to files inside it, each file once; labels from the first sub-folder), a `.csv` manifest (paths relative to
 * its folder, which they must not leave), or one recording or input file (`.wav`, `.npy`, `.json`: one unlabelled
 * example), sorted by path, the first `limit` kept. The second argument is the options or (as before) the limit.
 *
 * @throws WingbeatsError `IO` when the input does not exist or a manifest names missing files (one line listing them);
 *   `INVALID_FILE` when a manifest names files outside its folder, in the output folder, or one file twice;
 *   `INVALID_ARGUMENT` when it holds no example or a folder holds links to files outside it; `LIMIT_EXCEEDED` for a
 *   manifest over its size or line limit.
 */
export async function listDataset(
  input: string,
  limitOrOptions: number | ListDatasetOptions = {},
): Promise<DatasetListing> {
  const options = typeof limitOrOptions === 'number' ? { limit: limitOrOptions } : limitOrOptions;
  let info;
  try {
    info = await stat(input);
  } catch {
    throw new WingbeatsError(
      'IO',
      `Option '--input' must be a folder, a CSV manifest or one recording but '${input}' does not exist.`,
    );
  }
  const outputs = options.outputs ?? [];
  let listing: DatasetListing;
  if (info.isDirectory()) {
    const root = path.resolve(input);
    const files = await walkInputFolder(root, { outputs, accept: isDatasetFile });
    listing = { root, kind: 'folder', examples: examplesFromFolder(files.map((f) => f.name)) };
    if (listing.examples.length === 0)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--input' names the folder '${input}' but it holds no .wav, .npy or .json file${outputs.length > 0 ? ' (its output folder is never read)' : ''}.`,
      );
  } else if (isDatasetFile(input)) {
    const root = path.dirname(path.resolve(input));
    listing = { root, kind: 'file', examples: [{ path: path.basename(input), label: null, split: null }] };
  } else if (!/\.(csv|txt)$/i.test(input)) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--input' must be a folder, a CSV manifest (.csv) or one recording or input file (.wav, .npy, .json) but got '${input}'.`,
    );
  } else {
    const root = path.dirname(path.resolve(input));
    listing = { root, kind: 'manifest', examples: await manifestExamples(input, root, outputs) };
  }
  if (options.limit !== undefined) listing.examples = listing.examples.slice(0, options.limit);
  return listing;
}
