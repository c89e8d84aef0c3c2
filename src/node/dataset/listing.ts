/** Lists the examples of a data set on disk: a folder (one sub-folder per class) or a CSV manifest. Node only. */
import { readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { WingbeatsError } from '../../util/errors.js';
import {
  examplesFromFolder,
  examplesFromManifest,
  isDatasetFile,
  nameList,
  type DatasetExample,
} from '../../dataset/examples.js';
import { readFileBytes } from '../read-files.js';

/** A data set's examples and the folder their paths are relative to. */
export interface DatasetListing {
  /** Absolute folder the example paths are relative to. */
  root: string;
  kind: 'folder' | 'manifest' | 'file';
  examples: DatasetExample[];
}

async function walk(root: string, relative = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  const out: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await walk(root, child)));
    else out.push(child);
  }
  return out;
}

/**
 * The examples of `input`: a folder (walked recursively, hidden entries skipped; labels from the first sub-folder), a
 * `.csv` manifest (paths relative to its folder), or one recording or input file (`.wav`, `.npy`, `.json`: one
 * unlabelled example), sorted by path, the first `limit` kept.
 *
 * @throws WingbeatsError `IO` when the input does not exist or a manifest names missing files (one line listing them),
 *   `INVALID_ARGUMENT` when it holds no example.
 */
export async function listDataset(input: string, limit?: number): Promise<DatasetListing> {
  let info;
  try {
    info = await stat(input);
  } catch {
    throw new WingbeatsError(
      'IO',
      `Option '--input' must be a folder, a CSV manifest or one recording but '${input}' does not exist.`,
    );
  }
  let listing: DatasetListing;
  if (info.isDirectory()) {
    const root = path.resolve(input);
    listing = { root, kind: 'folder', examples: examplesFromFolder(await walk(root)) };
    if (listing.examples.length === 0)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--input' names the folder '${input}' but it holds no .wav, .npy or .json file.`,
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
    const bytes = await readFileBytes(input, { what: 'Manifest', maxBytes: 1 << 30 });
    if (bytes.includes(0))
      throw new WingbeatsError(
        'INVALID_FILE',
        `Manifest '${input}' is not a text file (it holds NUL bytes); expected CSV lines path,label[,split].`,
      );
    const examples = examplesFromManifest(new TextDecoder().decode(bytes), input);
    const missing = examples.filter((e) => !existsSync(path.join(root, e.path))).map((e) => e.path);
    if (missing.length > 0) {
      throw new WingbeatsError(
        'IO',
        `Manifest '${input}' names ${missing.length} missing file${missing.length > 1 ? 's' : ''} (relative to ${root}): ${nameList(missing)}.`,
      );
    }
    listing = { root, kind: 'manifest', examples };
  }
  if (limit !== undefined) listing.examples = listing.examples.slice(0, limit);
  return listing;
}
