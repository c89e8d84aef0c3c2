/**
 * Containment, one rule for every command (Node only): a path read as input is resolved to its real path (links and
 * `..` followed) and must lie inside a folder the user named (the data-set root, an `--input` folder) or be a file the
 * user named; an output folder is never read as input, even when it lies inside an input folder. One file is one
 * input however it is spelled (`a.wav`, `./a.wav`, a link to it): inputs are told apart by their real paths.
 */
import { lstatSync, realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import path from 'node:path';

/** Is the real path `real` the folder `root` or inside it? (Both absolute and real.) */
export function isInside(real: string, root: string): boolean {
  if (real === root) return true;
  const rel = path.relative(root, real);
  return rel !== '' && !rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel);
}

/**
 * The real path of `p`; for a path that does not exist yet (an output folder still to be made), the real path of its
 * nearest existing ancestor joined with the rest.
 */
export async function realPathOf(p: string): Promise<string> {
  const absolute = path.resolve(p);
  let current = absolute;
  for (;;) {
    try {
      const real = await realpath(current);
      return path.join(real, path.relative(current, absolute));
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return absolute;
      current = parent;
    }
  }
}

/** Where inputs may come from: real input roots, and real output folders that are never read. */
export interface InputBounds {
  /** Real paths of the folders inputs must lie in. */
  roots: string[];
  /** Real paths of output folders: skipped by folder walks, refused when named by a manifest. */
  outputs: string[];
}

/** The {@link InputBounds} of input folders `roots` and output folders `outputs` (real paths). */
export async function inputBounds(roots: readonly string[], outputs: readonly string[] = []): Promise<InputBounds> {
  return {
    roots: await Promise.all(roots.map(realPathOf)),
    outputs: await Promise.all(outputs.map(realPathOf)),
  };
}

/** Where the real path `real` lies with respect to `bounds`: inside a root, inside an output folder, or outside. */
export function placeOf(real: string, bounds: InputBounds): 'inside' | 'output' | 'outside' {
  if (bounds.outputs.some((output) => isInside(real, output))) return 'output';
  return bounds.roots.some((root) => isInside(real, root)) ? 'inside' : 'outside';
}

/**
 * The real path of the input `file`, or the reason it may not be read: `missing` (it does not exist or a link is
 * broken), `outside` (it resolves outside every root), `output` (it lies in an output folder).
 */
export async function resolveInput(
  file: string,
  bounds: InputBounds,
): Promise<{ real: string; place: 'inside' | 'outside' | 'output' } | { real?: undefined; place: 'missing' }> {
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    return { place: 'missing' };
  }
  return { real, place: placeOf(real, bounds) };
}

/**
 * {@link resolveInput} for many files, fast: one real path per folder (cached in `folders`) and one `lstat` per file;
 * only links are resolved further. Synchronous (a manifest of a million lines takes seconds, not minutes).
 */
export function resolveInputFast(
  file: string,
  bounds: InputBounds,
  folders: Map<string, string | null>,
): { real: string; place: 'inside' | 'outside' | 'output' } | { real?: undefined; place: 'missing' } {
  const folder = path.dirname(file);
  let realFolder = folders.get(folder);
  if (realFolder === undefined) {
    try {
      realFolder = realpathSync.native(folder);
    } catch {
      realFolder = null;
    }
    folders.set(folder, realFolder);
  }
  if (realFolder === null) return { place: 'missing' };
  let real = path.join(realFolder, path.basename(file));
  try {
    if (lstatSync(real).isSymbolicLink()) real = realpathSync.native(real);
  } catch {
    return { place: 'missing' };
  }
  return { real, place: placeOf(real, bounds) };
}
