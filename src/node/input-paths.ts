/**
 * The `--input` of every command: files, folders (searched recursively) and lists of them, each file named by its path
 * relative to the folder it was found in, so `siteA/rec.wav` and `siteB/rec.wav` stay apart in outputs. Node only.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../util/errors.js';
import { nameList } from '../dataset/examples.js';
import { inputBounds, placeOf, realPathOf, resolveInput, type InputBounds } from './contained-paths.js';

/** File extensions read as inputs. */
export const INPUT_EXTENSIONS = ['.wav', '.wave', '.npy', '.json'];

/** One input file and its name in outputs. */
export interface InputFile {
  /** Path to read. */
  path: string;
  /** Name in outputs and reports: the path relative to the folder argument (with `/`), or the file argument as given. */
  name: string;
  /** The file's real path (links and `..` resolved): one file is one input however it is spelled. */
  real: string;
}

/** Deepest folder nesting searched below an `--input` folder. */
export const MAX_INPUT_DEPTH = 64;
/** Most files one `--input` list may expand to. */
export const MAX_INPUT_FILES = 10_000_000;

/** Options of {@link walkInputFolder} and {@link listInputFiles}. */
export interface InputWalkOptions {
  /** Output folders never read as inputs (skipped when they lie inside an input folder). */
  outputs?: readonly string[];
  /** Which file names are inputs (default: {@link INPUT_EXTENSIONS}). */
  accept?: (name: string) => boolean;
  /** The option named in messages (default `'--input'`). */
  option?: string;
}

/** What a folder walk found: the files inside, and the links that lead out of it. */
interface WalkState {
  bounds: InputBounds;
  accept: (name: string) => boolean;
  files: InputFile[];
  outside: string[];
  option: string;
}

const isInputName = (name: string): boolean => INPUT_EXTENSIONS.includes(path.extname(name).toLowerCase());

async function walk(folder: string, relative: string, real: string, state: WalkState, depth = 0): Promise<void> {
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
    // Below a real folder, a folder or file that is not a link has the real path of its parent plus its name.
    const childReal = path.join(real, entry.name);
    if (entry.isDirectory()) {
      // Links to folders are not followed; output folders inside the input are never walked.
      if (placeOf(childReal, state.bounds) === 'inside') await walk(folder, child, childReal, state, depth + 1);
      continue;
    }
    if (!state.accept(entry.name)) continue;
    let resolved: { real?: string; place: 'inside' | 'outside' | 'output' | 'missing' } = {
      real: childReal,
      place: placeOf(childReal, state.bounds),
    };
    if (entry.isSymbolicLink()) {
      resolved = await resolveInput(childReal, state.bounds);
      if (resolved.place === 'inside' && !(await stat(resolved.real!)).isFile()) continue;
    }
    if (resolved.place === 'output') continue;
    if (resolved.place === 'outside') {
      state.outside.push(`${child} → ${resolved.real}`);
      continue;
    }
    if (state.files.length >= MAX_INPUT_FILES) {
      throw new WingbeatsError(
        'LIMIT_EXCEEDED',
        `Option '${state.option}' names more than ${MAX_INPUT_FILES} files; split the run (see the dataset command's --shard).`,
      );
    }
    // A broken link stays in the list under its own path, so reading it fails with one line naming it.
    state.files.push({ path: path.join(folder, child), name: child, real: resolved.real ?? childReal });
  }
}

/**
 * The input files below `folder` (sub-folders included, hidden entries skipped, in name order), each resolved to its
 * real path: a link is followed only when it leads to a file inside `folder`; output folders are skipped; links to
 * files outside are refused, all named in one line. Files reached twice (links) are kept once, under the first name.
 *
 * @throws WingbeatsError `INVALID_ARGUMENT` for links leading out of the folder; `IO` for a folder that cannot be
 *   read; `LIMIT_EXCEEDED` past {@link MAX_INPUT_DEPTH} folders or {@link MAX_INPUT_FILES} files.
 * @example const files = await walkInputFolder('recordings', { outputs: ['recordings/explained'] });
 */
export async function walkInputFolder(folder: string, options: InputWalkOptions = {}): Promise<InputFile[]> {
  const state: WalkState = {
    bounds: await inputBounds([folder], options.outputs ?? []),
    accept: options.accept ?? isInputName,
    files: [],
    outside: [],
    option: options.option ?? '--input',
  };
  if (placeOf(state.bounds.roots[0], state.bounds) === 'output') return [];
  await walk(folder, '', state.bounds.roots[0], state);
  if (state.outside.length > 0) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '${state.option}': the folder '${folder}' holds ${state.outside.length} link${state.outside.length > 1 ? 's' : ''} to files outside it (${nameList(state.outside)}); only files inside the folders named are read: remove the links or copy the files in.`,
    );
  }
  return uniqueByRealPath(state.files);
}

/** The files with each real path kept once (the first spelling wins). */
export function uniqueByRealPath<T extends { real: string }>(files: readonly T[]): T[] {
  const seen = new Set<string>();
  return files.filter((file) => !seen.has(file.real) && seen.add(file.real) !== undefined);
}

/**
 * Expands `--input` arguments: a folder gives every `.wav`, `.npy` and `.json` file below it (sub-folders included,
 * hidden ones skipped, links followed only to files inside it, output folders skipped; see {@link walkInputFolder}),
 * named relative to the folder; a file is named by its base name, or by the path as given when two file arguments share
 * a base name. One file is listed once however it is spelled or reached.
 *
 * @param paths - The `--input` arguments.
 * @param options - `outputs`: the command's output folders, never read as inputs; `option`: the option named in
 *   messages (default `'--input'`).
 * @throws WingbeatsError `IO` for a path that does not exist or a folder that cannot be read; `LIMIT_EXCEEDED` past
 *   {@link MAX_INPUT_DEPTH} folders or {@link MAX_INPUT_FILES} files; `INVALID_ARGUMENT` when nothing is found, two
 *   inputs would get the same name, or a folder holds links to files outside it.
 */
export async function listInputFiles(
  paths: readonly string[],
  options: Pick<InputWalkOptions, 'outputs' | 'option'> = {},
): Promise<InputFile[]> {
  const option = options.option ?? '--input';
  const files: InputFile[] = [];
  const given = paths.filter((p) => p !== '');
  for (const p of given) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new WingbeatsError(
        'IO',
        option === '--input' ? `Input '${p}' does not exist.` : `Option '${option}': '${p}' does not exist.`,
      );
    }
    if (info.isDirectory()) files.push(...(await walkInputFolder(p, options)));
    else {
      const base = path.basename(p);
      const shared = given.filter((q) => q !== p && path.basename(q) === base).length > 0;
      files.push({ path: p, name: shared ? p.split(path.sep).join('/') : base, real: await realPathOf(p) });
    }
  }
  const unique = uniqueByRealPath(files);
  if (unique.length === 0)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '${option}' names no .wav, .npy or .json file (${given.join(', ')})${options.outputs?.length ? '; output folders inside it are never read' : ''}.`,
    );
  const seen = new Map<string, string>();
  for (const file of unique) {
    const clash = seen.get(file.name);
    if (clash !== undefined) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Inputs '${clash}' and '${file.path}' would both be named '${file.name}' in the outputs; give their folders instead of the files.`,
      );
    }
    seen.set(file.name, file.path);
  }
  return unique;
}

/** The paths of {@link listInputFiles}. */
export async function expandInputPaths(paths: readonly string[]): Promise<string[]> {
  return (await listInputFiles(paths)).map((f) => f.path);
}
