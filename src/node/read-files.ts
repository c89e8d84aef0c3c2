/** Reading the files a command names: bytes with one clear error, folders expanded, inputs as named sources (Node only). */
import { FILE_SIZE_LIMITS, readRegularFile } from './read-regular-file.js';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { InputSource } from '../pipeline/input-sources.js';
import { listInputFiles } from './input-paths.js';
import { MAX_WAV_FRAMES, wavDeclaredFrames } from '../signal/wav.js';
import { WingbeatsError } from '../util/errors.js';

export { expandInputPaths } from './input-paths.js';

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
 *   LIMIT_EXCEEDED "File 'x' is 2 GB, more than the limit of 1 GB."; INVALID_FILE for a recording whose header
 *   declares more than MAX_WAV_FRAMES frames (refused before it is read whole).
 * @example const bytes = await readFileBytes('rec.wav');
 */
export async function readFileBytes(
  file: string,
  options: { what?: string; maxBytes?: number } = {},
): Promise<Uint8Array> {
  const recording = /\.wave?$/i.test(file);
  return readRegularFile(file, {
    what: options.what ?? 'File',
    maxBytes: options.maxBytes ?? sizeLimit(file),
    checkHead: recording ? (head, size) => checkRecordingLength(file, head, size) : undefined,
  });
}

/** Refuses a recording that declares more than MAX_WAV_FRAMES frames, from its header, before it is read whole. */
function checkRecordingLength(file: string, head: Uint8Array, size: number): void {
  const frames = wavDeclaredFrames(head, size);
  if (frames !== undefined && frames > MAX_WAV_FRAMES)
    throw new WingbeatsError(
      'INVALID_FILE',
      `File '${file}' holds ${frames} frames, more than the limit of ${MAX_WAV_FRAMES} frames; cut it into shorter files (e.g. sox in.wav part.wav trim 0 600 : newfile : restart).`,
    );
}

/** One named source per file (`name` is the path as given); `what` starts messages about the file (default `'File'`). */
export async function readSource(file: string, what?: string): Promise<InputSource> {
  return { name: file, bytes: await readFileBytes(file, { what }) };
}

/**
 * The sources of every file named: folders searched recursively, each file labelled by its path relative to the folder
 * it was found in (see {@link listInputFiles}), so the same file name in two folders stays apart. `what` starts messages
 * about a file (default `'File'`); `option` is the option named when a path is missing or names no input (default
 * `'--input'`).
 */
export async function readSources(paths: readonly string[], what?: string, option?: string): Promise<InputSource[]> {
  const files = await listInputFiles(paths, { option });
  const sources: InputSource[] = [];
  // One file at a time: a folder of thousands of recordings never holds thousands of open files.
  for (const file of files) sources.push({ ...(await readSource(file.path, what)), label: file.name });
  return sources;
}

/**
 * The bytes of a small regular file, read synchronously (for command-line option parsers); `label` starts every
 * message (e.g. "The --stats file 'x.json'"), `limit` names `maxBytes` in words ("64 kB").
 * @throws WingbeatsError `IO` for a missing, unreadable or non-regular file; `LIMIT_EXCEEDED` past `maxBytes`.
 */
export function readSmallFileSync(file: string, label: string, maxBytes: number, limit: string): Uint8Array {
  let size: number;
  try {
    const info = statSync(file);
    if (!info.isFile()) throw new WingbeatsError('IO', `${label} is not a regular file.`);
    size = info.size;
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError('IO', `${label} does not exist or cannot be read.`, { cause: error });
  }
  if (size > maxBytes)
    throw new WingbeatsError('LIMIT_EXCEEDED', `${label} is ${size} bytes, more than the limit of ${limit}.`);
  return readFileSync(file);
}
