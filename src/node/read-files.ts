/** Reading the files a command names: bytes with one clear error, folders expanded, inputs as named sources (Node only). */
import { readdir, stat } from 'node:fs/promises';
import { FILE_SIZE_LIMITS, readRegularFile } from './read-regular-file.js';
import path from 'node:path';
import { WingbeatsError } from '../util/errors.js';
import type { InputSource } from '../pipeline/input-sources.js';

/** The size cap of a file by its extension (see FILE_SIZE_LIMITS). */
function sizeLimit(file: string): number {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.wav' || extension === '.wave') return FILE_SIZE_LIMITS.recording;
  if (extension === '.json') return FILE_SIZE_LIMITS.json;
  if (extension === '.npy') return FILE_SIZE_LIMITS.input;
  return FILE_SIZE_LIMITS.model;
}

/**
 * The bytes of a file: a regular file only (never a device, FIFO or folder), at most the size cap of its kind.
 * @param options - `what` starts the messages (default `'File'`), `maxBytes` overrides the cap of the extension.
 * @throws WingbeatsError IO "File 'x' does not exist.", "... is a character device, not a regular file ...";
 *   LIMIT_EXCEEDED "File 'x' is 2 GB, more than the limit of 1 GB."
 * @example const bytes = await readFileBytes('rec.wav');
 */
export async function readFileBytes(file: string, options: { what?: string; maxBytes?: number } = {}): Promise<Uint8Array> {
  return readRegularFile(file, { what: options.what ?? 'File', maxBytes: options.maxBytes ?? sizeLimit(file) });
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

/** One named source per file (`name` is the path as given); `what` starts messages about the file (default `'File'`). */
export async function readSource(file: string, what?: string): Promise<InputSource> {
  return { name: file, bytes: await readFileBytes(file, { what }) };
}

/** The sources of every file named (folders expanded); `what` starts messages about a file (default `'File'`). */
export async function readSources(paths: readonly string[], what?: string): Promise<InputSource[]> {
  const files = await expandInputPaths(paths);
  return Promise.all(files.map((file) => readSource(file, what)));
}
