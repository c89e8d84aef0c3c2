/** Node-only: reads a WAV file from disk (the one signal file that touches the file system). */
import { basename } from 'node:path';
import { decodeWav, type DecodeWavOptions, type WavRecording } from '../signal/wav.js';
import { readFileBytes } from './read-files.js';

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
  return decodeWav(await readFileBytes(path), { ...options, name: options.name ?? basename(path) });
}
