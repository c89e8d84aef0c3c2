/** Reading the files a command names: bytes with one clear error, folders expanded, inputs as named sources (Node only). */
import { readFile } from 'node:fs/promises';
import { WingbeatsError } from '../util/errors.js';
import type { InputSource } from '../pipeline/input-sources.js';
import { listInputFiles } from './input-paths.js';

export { expandInputPaths } from './input-paths.js';

/**
 * The bytes of a file.
 * @throws WingbeatsError IO "File 'x' does not exist." or "File 'x' cannot be read (...)."
 * @example const bytes = await readFileBytes('rec.wav');
 */
export async function readFileBytes(file: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(file);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${(error as Error).message})`;
    throw new WingbeatsError('IO', `File '${file}' ${reason}.`, { cause: error });
  }
}

/** One named source per file (`name` is the path as given). */
export async function readSource(file: string): Promise<InputSource> {
  return { name: file, bytes: await readFileBytes(file) };
}

/**
 * The sources of every file named: folders searched recursively, each file labelled by its path relative to the folder
 * it was found in (see {@link listInputFiles}), so the same file name in two folders stays apart.
 */
export async function readSources(paths: readonly string[]): Promise<InputSource[]> {
  const files = await listInputFiles(paths);
  return Promise.all(files.map(async (file) => ({ ...(await readSource(file.path)), label: file.name })));
}
