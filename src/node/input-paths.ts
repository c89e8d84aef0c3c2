/**
 * The `--input` of every command: files, folders (searched recursively) and lists of them, each file named by its path
 * relative to the folder it was found in, so `siteA/rec.wav` and `siteB/rec.wav` stay apart in outputs. Node only.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../util/errors.js';

/** File extensions read as inputs. */
export const INPUT_EXTENSIONS = ['.wav', '.wave', '.npy', '.json'];

/** One input file and its name in outputs. */
export interface InputFile {
  /** Path to read. */
  path: string;
  /** Name in outputs and reports: the path relative to the folder argument (with `/`), or the file argument as given. */
  name: string;
}

/** Deepest folder nesting searched below an `--input` folder. */
export const MAX_INPUT_DEPTH = 64;
/** Most files one `--input` list may expand to. */
export const MAX_INPUT_FILES = 10_000_000;

async function walk(folder: string, relative: string, out: InputFile[], depth = 0): Promise<void> {
  const here = path.join(folder, relative);
  if (depth > MAX_INPUT_DEPTH) {
    throw new WingbeatsError(
      'LIMIT_EXCEEDED',
      `Input folder '${here}' lies more than ${MAX_INPUT_DEPTH} folders deep below '${folder}'.`,
    );
  }
  let entries;
  try {
    entries = await readdir(here, { withFileTypes: true });
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new WingbeatsError('IO', `Input folder '${here}' cannot be read (${reason}).`, { cause: error });
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const child = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) await walk(folder, child, out, depth + 1);
    else if (INPUT_EXTENSIONS.includes(path.extname(entry.name).toLowerCase())) {
      if (out.length >= MAX_INPUT_FILES) {
        throw new WingbeatsError(
          'LIMIT_EXCEEDED',
          `Option '--input' names more than ${MAX_INPUT_FILES} files; split the run (see the dataset command's --shard).`,
        );
      }
      out.push({ path: path.join(folder, child), name: child });
    }
  }
}

/**
 * Expands `--input` arguments: a folder gives every `.wav`, `.npy` and `.json` file below it (sub-folders included,
 * hidden ones skipped), named relative to the folder; a file is named by its base name, or by the path as given when
 * two file arguments share a base name.
 *
 * @throws WingbeatsError `IO` for a path that does not exist or a folder that cannot be read; `LIMIT_EXCEEDED` past
 *   {@link MAX_INPUT_DEPTH} folders or {@link MAX_INPUT_FILES} files; `INVALID_ARGUMENT` when nothing is found or two
 *   inputs would get the same name.
 */
export async function listInputFiles(paths: readonly string[]): Promise<InputFile[]> {
  const files: InputFile[] = [];
  const given = paths.filter((p) => p !== '');
  for (const p of given) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new WingbeatsError('IO', `Input '${p}' does not exist.`);
    }
    if (info.isDirectory()) await walk(p, '', files);
    else {
      const base = path.basename(p);
      const shared = given.filter((q) => q !== p && path.basename(q) === base).length > 0;
      files.push({ path: p, name: shared ? p.split(path.sep).join('/') : base });
    }
  }
  if (files.length === 0)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--input' names no .wav, .npy or .json file (${given.join(', ')}).`,
    );
  const seen = new Map<string, string>();
  for (const file of files) {
    const clash = seen.get(file.name);
    if (clash !== undefined && clash !== file.path) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Inputs '${clash}' and '${file.path}' would both be named '${file.name}' in the outputs; give their folders instead of the files.`,
      );
    }
    seen.set(file.name, file.path);
  }
  return files.filter((file, i) => files.findIndex((f) => f.path === file.path) === i);
}

/** The paths of {@link listInputFiles}. */
export async function expandInputPaths(paths: readonly string[]): Promise<string[]> {
  return (await listInputFiles(paths)).map((f) => f.path);
}
