/**
 * NumPy `.npy` files (Node only): the byte codec of src/io/npy.ts plus reading and writing files.
 */
import { writeFile } from 'node:fs/promises';
import { readFileBytes } from './read-files.js';
import { WingbeatsError } from '../util/errors.js';
import { decodeNpy, encodeNpy, type NpyArray } from '../io/npy.js';

export { decodeNpy, encodeNpy };
export type { NpyArray };

/**
 * Writes a float32 array to a `.npy` file (Node only).
 *
 * @param path - Destination file.
 * @param data - Row-major values.
 * @param shape - Shape; its product must equal `data.length`.
 * @throws WingbeatsError `SHAPE_MISMATCH` (see {@link encodeNpy}) or `IO` when the file cannot be written.
 * @example
 * await writeNpy('out/features.npy', features.data, features.shape);
 */
export async function writeNpy(path: string, data: Float32Array, shape: readonly number[]): Promise<void> {
  const bytes = encodeNpy(data, shape);
  try {
    await writeFile(path, bytes);
  } catch (error) {
    throw new WingbeatsError('IO', `Cannot write '${path}': ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Reads a `.npy` file (Node only); see {@link decodeNpy} for the supported dtypes.
 *
 * @param path - The file (a regular file of at most `FILE_SIZE_LIMITS.input` bytes).
 * @param what - Starts messages about the file itself (default `'File'`).
 * @returns {@link NpyArray}.
 * @throws WingbeatsError `IO` when the file cannot be read or is not a regular file, `LIMIT_EXCEEDED` when it is too
 *   large, `INVALID_FILE` as {@link decodeNpy}.
 * @example
 * const { data, shape } = await readNpy('inputs.npy');
 */
export async function readNpy(path: string, what = 'File'): Promise<NpyArray> {
  return decodeNpy(await readFileBytes(path, { what }), path);
}
