/** Node-only: reads a WAV file from disk (the one signal file that touches the file system). */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { WingbeatsError } from '../util/errors.js';
import { decodeWav, type DecodeWavOptions, type WavRecording } from '../signal/wav.js';

/**
 * Reads and decodes a WAV file (Node only; in the browser pass the bytes to {@link decodeWav}).
 *
 * @param path - File path.
 * @param options - `channel` as in {@link decodeWav} (default `'mix'`); `name` defaults to the file's base name.
 * @returns The {@link WavRecording}.
 * @throws WingbeatsError `IO` when the file cannot be read; `INVALID_FILE` as {@link decodeWav}.
 * @example
 * const rec = await readWavFile('recordings/aedes.wav', { channel: 0 });
 */
export async function readWavFile(path: string, options: DecodeWavOptions = {}): Promise<WavRecording> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    throw new WingbeatsError('IO', `File '${path}' ${reason}.`, { cause: error });
  }
  return decodeWav(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { ...options, name: options.name ?? basename(path) });
}
