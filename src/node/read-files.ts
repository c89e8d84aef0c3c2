/** Reading the files a command names: bytes with one clear error, folders expanded, inputs as named sources (Node only). */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../util/errors.js';
import type { InputSource } from '../pipeline/input-sources.js';

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

const INPUT_EXTENSIONS = ['.wav', '.wave', '.npy', '.json'];

/** The input files named on the command line: files as given, folders expanded to their .wav/.npy/.json files (sorted). */
export async function expandInputPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new WingbeatsError('IO', `Input '${p}' does not exist.`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(p)).filter((n) => INPUT_EXTENSIONS.includes(path.extname(n).toLowerCase())).sort();
      files.push(...names.map((n) => path.join(p, n)));
    } else files.push(p);
  }
  if (files.length === 0)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--input' names no .wav, .npy or .json file (${paths.join(', ')}).`,
    );
  return files;
}

/** One named source per file (`name` is the path as given). */
export async function readSource(file: string): Promise<InputSource> {
  return { name: file, bytes: await readFileBytes(file) };
}

/** The sources of every file named (folders expanded). */
export async function readSources(paths: readonly string[]): Promise<InputSource[]> {
  const files = await expandInputPaths(paths);
  return Promise.all(files.map(readSource));
}
