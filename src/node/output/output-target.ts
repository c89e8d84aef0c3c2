/**
 * Checks of an output location made before any work starts (Node only): the folder (or file) must be creatable in a
 * writable place on a real file system (never under /proc, /sys or /dev, where writes hang or reach the kernel).
 *
 * One `--out` policy for every command: a new or empty folder, or one this program wrote before (it holds
 * {@link OUTPUT_MARKER}), is written into; a folder holding anything else is refused unless `--force`. Even then only
 * files of the same names are replaced: no command removes a file it did not write.
 */
import { constants } from 'node:fs';
import { access, lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../../util/errors.js';

/** Pseudo file systems no command writes into. */
const SPECIAL_ROOTS = ['/proc', '/sys', '/dev'];

function under(root: string, p: string): boolean {
  return p === root || p.startsWith(`${root}/`);
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

/** The nearest existing ancestor of `p` (itself if it exists), as a real path. */
async function existingAncestor(p: string): Promise<{ real: string; isSelf: boolean }> {
  let current = path.resolve(p);
  for (;;) {
    try {
      return { real: await realpath(current), isSelf: current === path.resolve(p) };
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return { real: current, isSelf: false };
      current = parent;
    }
  }
}

async function checkPlace(target: string, option: string, kind: 'folder' | 'file'): Promise<void> {
  const { real, isSelf } = await existingAncestor(target);
  const special = SPECIAL_ROOTS.find((root) => under(root, real) || under(root, path.resolve(target)));
  if (special !== undefined) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '${option}' must be a ${kind} on a regular file system but got '${target}' (under ${special}).`,
    );
  }
  const info = await stat(real);
  if (isSelf && kind === 'folder' && !info.isDirectory()) {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '${option}' must be a folder but '${target}' is a file.`);
  }
  if (isSelf && kind === 'file' && !info.isFile()) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '${option}' must be a file but '${target}' is ${info.isDirectory() ? 'a folder' : 'not a regular file'}.`,
    );
  }
  const folder = isSelf && kind === 'file' ? path.dirname(real) : real;
  if (!(await stat(folder)).isDirectory()) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '${option}' must name a place inside a folder but '${folder}' is a file.`,
    );
  }
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new WingbeatsError(
      'IO',
      `Option '${option}': '${target}' cannot be written (no write permission in '${folder}').`,
    );
  }
}

/** The file every command leaves in an output folder it wrote: a later run may write into that folder again. */
export const OUTPUT_MARKER = '.wingbeats-xai-output';

/** The help of `--force` of every command that writes into `--out`. */
export const FORCE_OUT_HELP =
  'write into an --out folder that holds files this program did not write (files of the same names are replaced; no other file is touched)';

/** Entries of `dir` this program did not write: none when the folder is new, empty, or marked as written by it. */
async function foreignEntries(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  // The marker, staging folders and locks are this program's own.
  if (names.includes(OUTPUT_MARKER) || names.includes('.wingbeats-xai.lock')) return [];
  return names.filter((n) => !n.startsWith('.wingbeats-xai')).sort();
}

/**
 * Checks an output folder before work starts (see the module doc for the policy).
 *
 * @param dir - The `--out` folder (it may not exist yet).
 * @param options - `option` names the flag (default `'--out'`); `files` are the names the run will write there (named
 *   in the message when one of them exists); `force` allows writing into a folder this program did not write.
 * @throws WingbeatsError `INVALID_ARGUMENT` (under /proc, /sys, /dev; a file where a folder is expected), `IO` (not
 *   writable), `OUTPUT_EXISTS` (the folder holds files this program did not write and `force` is not set).
 * @example await checkOutputFolder('out', { files: ['features.json'], force: false });
 */
export async function checkOutputFolder(
  dir: string,
  options: { option?: string; files?: readonly string[]; force?: boolean } = {},
): Promise<void> {
  const option = options.option ?? '--out';
  await checkPlace(dir, option, 'folder');
  if (options.force === true) return;
  const foreign = await foreignEntries(dir);
  if (foreign.length === 0) return;
  for (const name of options.files ?? []) {
    const file = path.join(dir, name);
    if (await exists(file)) {
      throw new WingbeatsError(
        'OUTPUT_EXISTS',
        `Option '${option}': '${file}' already exists and this run did not create it; pass --force to replace it, or choose another folder.`,
      );
    }
  }
  const shown = foreign.slice(0, 3).map((n) => `'${n}'`);
  throw new WingbeatsError(
    'OUTPUT_EXISTS',
    `Option '${option}': folder '${dir}' already holds files this program did not write (${shown.join(', ')}${foreign.length > 3 ? `, and ${foreign.length - 3} more` : ''}); choose a new or empty folder, or pass --force to write into it (only files of the same names are replaced).`,
  );
}

/**
 * Checks an output file (such as `stats --out FILE`) before work starts: a writable place on a regular file system.
 * @throws WingbeatsError as {@link checkOutputFolder}.
 */
export async function checkOutputFile(file: string, option = '--out'): Promise<void> {
  await checkPlace(file, option, 'file');
}
