/** The one chunking helper through which steps, samples and examples are expanded. */

/** Rows sent through a model at once when `batchSize` is not given (it never changes results). */
export const DEFAULT_BATCH_SIZE = 64;

/** A half-open range [start, end) of items. */
export interface Chunk {
  start: number;
  end: number;
}

/** Splits `total` items into consecutive chunks of at most `size` (size must be a positive integer). */
export function chunks(total: number, size: number): Chunk[] {
  const step = Math.max(1, Math.floor(size));
  const out: Chunk[] = [];
  for (let start = 0; start < total; start += step) out.push({ start, end: Math.min(total, start + step) });
  return out;
}
