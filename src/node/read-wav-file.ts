/** Node-only: reads a WAV file from disk (the one signal file that touches the file system). */
import { basename } from 'node:path';
import { decodeWav, type DecodeWavOptions, type WavRecording } from '../signal/wav.js';
import { readFileBytes } from './read-files.js';

/** Options of {@link readWavFile}: those of {@link decodeWav}, and what the file is for messages. */
export interface ReadWavFileOptions extends DecodeWavOptions {
  /** Starts the messages about the file itself (default `'File'`; the CLI passes `"Option '--input'"`). */
  what?: string;
}

/**
 * Reads and decodes a WAV file (Node only; in the browser pass the bytes to {@link decodeWav}). Only regular files
 * of at most `FILE_SIZE_LIMITS.recording` bytes are read (never a device or a FIFO).
 *
 * @param path - File path.
 * @param options - `channel` as in {@link decodeWav} (default `'mix'`); `name` defaults to the file's base name.
 * @returns The {@link WavRecording}.
 * @throws WingbeatsError `IO` when the file cannot be read or is not a regular file, `LIMIT_EXCEEDED` when it is too
 *   large; `INVALID_FILE` as {@link decodeWav}.
 * @example
 * const rec = await readWavFile('recordings/aedes.wav', { channel: 0 });
 */
export async function readWavFile(path: string, options: ReadWavFileOptions = {}): Promise<WavRecording> {
  const { what, ...decodeOptions } = options;
  return decodeWav(await readFileBytes(path, { what }), {
    ...decodeOptions,
    name: decodeOptions.name ?? basename(path),
  });
}
