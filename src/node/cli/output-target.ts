/**
 * Checks of an output location made before any work starts (Node only): the folder (or file) must be creatable in a
 * writable place on a real file system (never under /proc, /sys or /dev, where writes hang or reach the kernel), and a
 * user's existing result file is replaced only when asked (`--force`).
 */
import { constants } from 'node:fs';
import { access, lstat, realpath, stat } from 'node:fs/promises';
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

/**
 * Checks an output folder before work starts.
 *
 * @param dir - The `--out` folder (it may not exist yet).
 * @param options - `option` names the flag (default `'--out'`); `files` are the names the run will write there;
 *   `force` allows replacing them.
 * @throws WingbeatsError `INVALID_ARGUMENT` (under /proc, /sys, /dev; a file where a folder is expected), `IO` (not
 *   writable), `OUTPUT_EXISTS` (a named file exists and `force` is not set).
 * @example await checkOutputFolder('out', { files: ['features.json'], force: false });
 */
export async function checkOutputFolder(
  dir: string,
  options: { option?: string; files?: readonly string[]; force?: boolean } = {},
): Promise<void> {
  const option = options.option ?? '--out';
  await checkPlace(dir, option, 'folder');
  if (options.force === true) return;
  for (const name of options.files ?? []) {
    const file = path.join(dir, name);
    if (await exists(file)) {
      throw new WingbeatsError(
        'OUTPUT_EXISTS',
        `Option '${option}': '${file}' already exists and this run did not create it; pass --force to replace it, or choose another folder.`,
      );
    }
  }
}

/**
 * Checks an output file (such as `stats --out FILE`) before work starts: a writable place on a regular file system.
 * @throws WingbeatsError as {@link checkOutputFolder}.
 */
export async function checkOutputFile(file: string, option = '--out'): Promise<void> {
  await checkPlace(file, option, 'file');
}
