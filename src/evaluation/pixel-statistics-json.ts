/** Pixel statistics to and from their JSON form, free of TensorFlow.js (the command line reads `--stats` with it). */
import { WingbeatsError } from '../util/errors.js';

/** Per-element statistics of a data set, over its examples. */
export interface PixelStatistics {
  /** Shape of one example (the model's input shape without the batch axis). */
  shape: number[];
  /** Mean of every element, row-major over `shape`. */
  mean: Float64Array;
  /** Population standard deviation (divisor `count`, as NumPy's default) of every element. */
  std: Float64Array;
  /** Number of examples seen. */
  count: number;
}

/** The JSON form of {@link PixelStatistics} (what `wingbeats-xai stats` writes and `evaluate --stats` reads). */
export interface PixelStatisticsJSON {
  shape: number[];
  mean: number[];
  std: number[];
  count: number;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * The JSON form of pixel statistics: `{shape, mean, std, count}` with flat row-major number arrays.
 * @example writeFileSync('stats.json', JSON.stringify(pixelStatisticsToJSON(stats)));
 */
export function pixelStatisticsToJSON(stats: PixelStatistics): PixelStatisticsJSON {
  return { shape: [...stats.shape], mean: Array.from(stats.mean), std: Array.from(stats.std), count: stats.count };
}

/**
 * Reads (and validates) the JSON form written by {@link pixelStatisticsToJSON}; `mean`/`std` may also be nested
 * arrays in the layout of `shape`. Throws INVALID_FILE naming what is wrong.
 * @example const stats = pixelStatisticsFromJSON(JSON.parse(text));
 */
export function pixelStatisticsFromJSON(json: unknown, source = 'pixel statistics'): PixelStatistics {
  const fail = (what: string): never => {
    throw new WingbeatsError(
      'INVALID_FILE',
      `${source} must be a JSON object {"shape", "mean", "std", "count"}: ${what}.`,
    );
  };
  if (json === null || typeof json !== 'object' || Array.isArray(json)) fail('it is not an object');
  const o = json as Record<string, unknown>;
  const shape = o.shape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0))
    fail('"shape" is not a list of positive integers');
  const size = sizeOf(shape as number[]);
  const read = (key: 'mean' | 'std'): Float64Array => {
    const value = o[key];
    if (!Array.isArray(value)) return fail(`"${key}" is not an array`);
    const values = (value as unknown[]).flat(Infinity);
    if (values.length !== size)
      fail(`"${key}" has ${values.length} numbers but shape [${(shape as number[]).join(',')}] needs ${size}`);
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v)))
      fail(`"${key}" holds a value that is not a finite number`);
    if (key === 'std' && !values.every((v) => (v as number) >= 0)) fail('"std" holds a negative value');
    return Float64Array.from(values as number[]);
  };
  const count = o.count;
  if (!Number.isInteger(count) || (count as number) < 1) fail('"count" is not a positive integer');
  return { shape: [...(shape as number[])], mean: read('mean'), std: read('std'), count: count as number };
}
