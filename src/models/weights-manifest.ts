/**
 * The `weightsManifest` of a TensorFlow.js `model.json`, checked before any weight file is read: a list of groups
 * whose `paths` are relative file names inside the model's folder (never absolute, never `..`, never a URL of their
 * own) and whose `weights` declare no more bytes than the files hold. Universal: the Node loader adds the
 * symbolic-link check (`load-model-file.ts`), the URL loader resolves paths against the model's URL.
 */
import type * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/** Bytes per value of each weight dtype TensorFlow.js stores (after quantization, if any). */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  // not a TensorFlow.js dtype: read as int32 by {@link int64WeightsAsInt32} (Keras's int64 `count` of Normalization)
  int64: 8,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
  int8: 1,
  int16: 2,
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks one manifest path: a relative path of plain segments (no `..`, no leading `/` or drive letter, no scheme
 * such as `file:` or `https:`, no backslash or NUL), so that it can only name a file under the model's folder.
 *
 * @throws WingbeatsError `INVALID_FILE` naming the path and the model file.
 */
export function checkManifestPath(path: string, source: string): void {
  const segments = path.split('/');
  const bad =
    path === '' ||
    /^[a-z][a-z0-9+.-]*:/i.test(path) ||
    path.startsWith('/') ||
    /[\\\0?#]/.test(path) ||
    segments.some((s) => s === '..' || s === '');
  if (bad) {
    throw new WingbeatsError(
      'INVALID_FILE',
      `${source} names the weight file '${path}', which is not a plain relative path inside the model's folder; weight files are only read from beside the model.`,
    );
  }
}

/**
 * Validates a parsed `weightsManifest` (absent means no weights) and returns it typed.
 *
 * @param value - The `weightsManifest` value of the JSON.
 * @param source - Names the model file in messages, e.g. `"'model.json'"`.
 * @returns The manifest: groups with string `paths` and weight specs with a name, a shape of non-negative integers and
 *   a known dtype.
 * @throws WingbeatsError `INVALID_FILE` for anything else.
 * @example const manifest = checkWeightsManifest(json.weightsManifest, "'model.json'");
 */
export function checkWeightsManifest(value: unknown, source: string): tf.io.WeightsManifestConfig {
  if (value === undefined) return [];
  const fail = (problem: string): never => {
    throw new WingbeatsError('INVALID_FILE', `The weightsManifest of ${source} ${problem}`);
  };
  if (!Array.isArray(value)) return fail('is not a list of weight groups.');
  value.forEach((group, g) => {
    if (!isObject(group)) fail(`has entry ${g}, which is not an object with 'paths' and 'weights'.`);
    const { paths, weights } = group as Record<string, unknown>;
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string'))
      fail(`has group ${g} whose 'paths' is not a list of strings.`);
    (paths as string[]).forEach((p) => checkManifestPath(p, source));
    if (!Array.isArray(weights)) return fail(`has group ${g} whose 'weights' is not a list.`);
    weights.forEach((spec, w) => {
      const ok =
        isObject(spec) &&
        typeof spec.name === 'string' &&
        Array.isArray(spec.shape) &&
        spec.shape.length <= 8 &&
        spec.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0) &&
        typeof spec.dtype === 'string' &&
        spec.dtype in DTYPE_BYTES &&
        (spec.quantization === undefined ||
          (isObject(spec.quantization) && String(spec.quantization.dtype) in DTYPE_BYTES));
      if (!ok)
        fail(
          `has weight ${w} of group ${g} that is not {name, shape: [non-negative integers], dtype: ${Object.keys(DTYPE_BYTES).join('|')}}.`,
        );
    });
  });
  return value as tf.io.WeightsManifestConfig;
}

/**
 * The weights with the int64 dtype (which TensorFlow.js cannot decode; the converter normally writes Keras's int64
 * weights, such as an adapted Normalization's `count`, as int32) turned into int32 specs and bytes; other weights as
 * they are. Returns the inputs themselves when no weight is int64.
 * @throws WingbeatsError `INVALID_FILE` naming the weight when a value does not fit in int32.
 */
export function int64WeightsAsInt32(
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  source: string,
): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  if (!specs.some((spec) => (spec.dtype as string) === 'int64' && spec.quantization === undefined))
    return { specs, data };
  const out: Uint8Array[] = [];
  let offset = 0;
  const converted = specs.map((spec) => {
    const size = weightSpecBytes([spec]);
    const bytes = new Uint8Array(data, offset, size);
    offset += size;
    if ((spec.dtype as string) !== 'int64' || spec.quantization !== undefined) {
      out.push(bytes);
      return spec;
    }
    const wide = new BigInt64Array(bytes.slice().buffer);
    const narrow = new Int32Array(wide.length);
    wide.forEach((v, i) => {
      if (v < -2147483648n || v > 2147483647n)
        throw new WingbeatsError(
          'INVALID_FILE',
          `The int64 weight '${spec.name}' of ${source} holds ${v}, which does not fit in int32 (TensorFlow.js's widest integer).`,
        );
      narrow[i] = Number(v);
    });
    out.push(new Uint8Array(narrow.buffer));
    return { ...spec, dtype: 'int32' as const };
  });
  out.push(new Uint8Array(data, offset));
  const joined = new Uint8Array(out.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of out) {
    joined.set(part, at);
    at += part.length;
  }
  return { specs: converted, data: joined.buffer };
}

/**
 * Bytes the weight specs of a manifest need in the concatenated weight data (quantized weights at their stored size).
 * @example weightSpecBytes([{ name: 'k', shape: [4, 3], dtype: 'float32' }]); // 48
 */
export function weightSpecBytes(specs: readonly tf.io.WeightsManifestEntry[]): number {
  let total = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    total += spec.shape.reduce((a, b) => a * b, 1) * (DTYPE_BYTES[dtype] ?? 4);
  }
  return total;
}

/**
 * Refuses weight data shorter than its specs declare (TensorFlow.js would read past its end).
 * @throws WingbeatsError `WEIGHTS_MISMATCH` naming the sizes.
 */
export function checkWeightDataSize(
  specs: readonly tf.io.WeightsManifestEntry[],
  byteLength: number,
  source: string,
): void {
  const needed = weightSpecBytes(specs);
  if (!(needed <= byteLength)) {
    throw new WingbeatsError(
      'WEIGHTS_MISMATCH',
      `The weights of ${source} declare ${needed} bytes but its weight files hold ${byteLength}.`,
    );
  }
}

/**
 * The weight files of a manifest joined in manifest order, after checking they hold the bytes the specs declare.
 * @throws WingbeatsError `WEIGHTS_MISMATCH` (see {@link checkWeightDataSize}).
 */
export function joinWeightData(
  parts: readonly Uint8Array[],
  specs: readonly tf.io.WeightsManifestEntry[],
  source: string,
): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.length, 0);
  checkWeightDataSize(specs, total, source);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.length;
  }
  return data.buffer;
}
