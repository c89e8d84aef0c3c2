/**
 * NumPy `.npy` bytes (format versions 1.0–3.0, C order): encode float32 arrays, decode numeric ones.
 * Universal (Node and browser); `readNpy`/`writeNpy` in src/node/npy-file.ts add the file system.
 */
import { argumentError, WingbeatsError } from '../util/errors.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Most values a decoded .npy array may hold (2^27, 512 MB as float32). */
export const MAX_NPY_ELEMENTS = 2 ** 27;

/** Most axes a .npy array may have (NumPy's own limit is 64). */
const MAX_NPY_AXES = 32;

/** The axes of a .npy `'shape'` tuple's inside (`'3, 129, 1'`, `'129,'`, `''`); each a non-negative integer. */
function parseShape(text: string, fail: (problem: string) => never): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '' && parts[parts.length - 2] !== '') parts.pop(); // the trailing comma of '(129,)'
  if (parts.length === 1 && parts[0] === '') return [];
  if (parts.length > MAX_NPY_AXES) fail(`declares ${parts.length} axes, more than the limit of ${MAX_NPY_AXES}.`);
  return parts.map((p) => {
    const value = /^\d{1,15}L?$/.test(p) ? Number.parseInt(p, 10) : Number.NaN;
    if (!Number.isSafeInteger(value))
      fail(`declares the shape (${text.slice(0, 100)}), whose axes must be non-negative integers.`);
    return value;
  });
}

/** An array read from a .npy file: values as float32 (or float64 for '<f8' data) and its shape. */
export interface NpyArray {
  data: Float32Array | Float64Array;
  shape: number[];
  /** The numpy dtype descriptor in the file, e.g. '<f4'. */
  dtype: string;
}

/**
 * Encodes a float32 array as a `.npy` file (version 1.0, '<f4', C order).
 *
 * @param data - Row-major values.
 * @param shape - Shape; its product must equal `data.length`.
 * @returns The file's bytes.
 * @throws WingbeatsError `SHAPE_MISMATCH` when the shape does not fit the data.
 * @example
 * encodeNpy(new Float32Array(129), [129, 1]);
 */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || size !== data.length) {
    throw argumentError(
      'encodeNpy',
      'shape',
      `non-negative integers whose product is data.length (${data.length})`,
      `#[${shape.join(', ')}]`,
      'SHAPE_MISMATCH',
    );
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(MAGIC.length + 4 + header.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i], true);
  return out;
}

/**
 * Decodes a `.npy` file of a numeric dtype (float 4/8, int/uint 1/2/4, bool; either byte order; C order).
 *
 * @param bytes - The file's bytes.
 * @param name - Used in error messages. Default 'the .npy data'.
 * @returns {@link NpyArray}: float64 data stays Float64Array, everything else becomes Float32Array.
 * @throws WingbeatsError `INVALID_FILE` for a non-.npy file, an unsupported dtype, Fortran order or truncated data.
 * @example
 * const { data, shape } = decodeNpy(bytes); // shape [129, 1]
 */
export function decodeNpy(bytes: Uint8Array, name = 'the .npy data'): NpyArray {
  const fail = (problem: string): never => {
    throw new WingbeatsError('INVALID_FILE', `File '${name}' ${problem}`);
  };
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) fail('is not a .npy file (no \\x93NUMPY magic).');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  if (major < 1 || major > 3)
    fail(`has .npy format version ${major}.${bytes[7]}, which is not supported (1.0, 2.0, 3.0).`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) fail('is truncated (header length).');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerStart + headerLength > bytes.length)
    fail(`is truncated: its header declares ${headerLength} bytes but ${bytes.length - headerStart} follow.`);
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`has an unreadable header: ${header.trim().slice(0, 200)}`);
  }
  if (fortran === 'True') fail('is in Fortran order; save it with numpy in C order (np.ascontiguousarray).');
  const shape = parseShape(shapeText, fail);
  const size = shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(size) || size > MAX_NPY_ELEMENTS) {
    fail(`declares shape [${shape.join(', ')}] (${size} values), more than the limit of ${MAX_NPY_ELEMENTS} values.`);
  }
  const little = !descr.startsWith('>');
  const kind = descr.replace(/^[<>|=]/, '');
  const readers: Record<string, [number, (o: number) => number]> = {
    f4: [4, (o) => view.getFloat32(o, little)],
    f8: [8, (o) => view.getFloat64(o, little)],
    i1: [1, (o) => view.getInt8(o)],
    u1: [1, (o) => view.getUint8(o)],
    b1: [1, (o) => view.getUint8(o)],
    i2: [2, (o) => view.getInt16(o, little)],
    u2: [2, (o) => view.getUint16(o, little)],
    i4: [4, (o) => view.getInt32(o, little)],
    u4: [4, (o) => view.getUint32(o, little)],
  };
  const reader = Object.hasOwn(readers, kind) ? readers[kind] : undefined;
  if (reader === undefined)
    return fail(`has dtype '${descr}', which is not supported (float32/64, int8/16/32, uint8/16/32, bool).`);
  const [width, read] = reader;
  const start = headerStart + headerLength;
  if (start + size * width > bytes.length)
    fail(
      `is truncated: shape [${shape.join(', ')}] needs ${size * width} data bytes but ${bytes.length - start} are present.`,
    );
  const data = kind === 'f8' ? new Float64Array(size) : new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = read(start + i * width);
  return { data, shape, dtype: descr };
}
