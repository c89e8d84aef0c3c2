/**
 * Per-position mean and standard deviation of a data set of inputs: the distribution pixel flipping draws its
 * replacement values from (the original `flip_pixels` took them as `means` and `std_devs`).
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError, argumentError, described } from '../util/errors.js';
import type { NestedArray } from '../execution/inputs.js';

/** One item of the data set: a batched tensor, a nested array (a batch, or one example), or one flat example. */
export type StatisticsItem = tf.Tensor | NestedArray | ArrayLike<number>;

import type { PixelStatistics } from './pixel-statistics-json.js';

export type { PixelStatistics, PixelStatisticsJSON } from './pixel-statistics-json.js';

/** Options of {@link pixelStatistics}. */
export interface PixelStatisticsOptions {
  /** Shape of one example. Default: taken from the first item (a tensor or nested array of rank ≥ 2 is a batch). */
  shape?: number[];
}

const FUNCTION = 'pixelStatistics';

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function nestedShape(value: NestedArray): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

/** Welford's running mean and sum of squared deviations in float64. */
class Accumulator {
  readonly mean: Float64Array;
  readonly m2: Float64Array;
  count = 0;

  constructor(readonly shape: number[]) {
    this.mean = new Float64Array(sizeOf(shape));
    this.m2 = new Float64Array(sizeOf(shape));
  }

  add(values: ArrayLike<number>, offset: number, where: string): void {
    const { mean, m2 } = this;
    const n = mean.length;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[offset + i])) {
        throw new WingbeatsError(
          'NON_FINITE_INPUT',
          `Argument 'inputs' passed to '${FUNCTION}' must be finite but got ${values[offset + i]} in ${where}, element ${i}.`,
        );
      }
    }
    this.count += 1;
    const inv = 1 / this.count;
    for (let i = 0; i < n; i++) {
      const x = values[offset + i];
      const delta = x - mean[i];
      mean[i] += delta * inv;
      m2[i] += delta * (x - mean[i]);
    }
  }
}

/**
 * Streams a data set and returns the mean and standard deviation of every input element (Welford's algorithm in
 * float64, so the numbers do not drift with millions of examples), as the original project computed its `means`
 * and `std_devs` for pixel flipping (Samek et al. 2017 replace flipped pixels by draws from this distribution).
 *
 * `inputs` is an iterable or async iterable (an array of batches, a generator reading files, ...) or one tensor.
 * Each item is a batched `tf.Tensor` (batch axis first; not disposed here), a nested array (a batch, or one example
 * when its rank equals `shape.length` or it is a flat number list) or a flat typed array holding one example.
 *
 * Options: `shape` — the shape of one example (default: the first item's, without its batch axis).
 * Returns plain float64 arrays (no tensors); convert with {@link pixelStatisticsToJSON} to save.
 * Throws INVALID_ARGUMENT for an empty data set, SHAPE_MISMATCH when an item does not fit `shape`, NON_FINITE_INPUT
 * for NaN/Infinity.
 * @example const stats = await pixelStatistics(batches); // batches: tf.Tensor[] of shape [b, 129, 1]
 */
export async function pixelStatistics(
  inputs: Iterable<StatisticsItem> | AsyncIterable<StatisticsItem> | tf.Tensor,
  options: PixelStatisticsOptions = {},
): Promise<PixelStatistics> {
  if (
    options.shape !== undefined &&
    (!Array.isArray(options.shape) || !options.shape.every((d) => Number.isInteger(d) && d > 0))
  ) {
    throw argumentError(FUNCTION, 'shape', 'an array of positive integers', options.shape);
  }
  const source: Iterable<StatisticsItem> | AsyncIterable<StatisticsItem> =
    inputs instanceof tf.Tensor ? [inputs] : inputs;
  if (source === null || typeof source !== 'object' || !(Symbol.iterator in source || Symbol.asyncIterator in source)) {
    throw argumentError(
      FUNCTION,
      'inputs',
      'an iterable or async iterable of batches (tensors or arrays), or one tensor',
      inputs,
    );
  }
  let acc: Accumulator | null = options.shape === undefined ? null : new Accumulator([...options.shape]);
  let itemIndex = 0;
  for await (const item of source as AsyncIterable<StatisticsItem>) {
    const where = `item ${itemIndex}`;
    let data: ArrayLike<number>;
    let itemShape: number[];
    if (item instanceof tf.Tensor) {
      if (item.isDisposed)
        throw argumentError(FUNCTION, `inputs (${where})`, 'a live tensor', described('a disposed tensor'));
      data = item.dataSync();
      itemShape = item.shape;
    } else if (Array.isArray(item)) {
      itemShape = nestedShape(item as NestedArray);
      data = (item as unknown[]).flat(Infinity) as number[];
      if (data.length !== sizeOf(itemShape)) {
        throw argumentError(
          FUNCTION,
          `inputs (${where})`,
          'a rectangular nested array of numbers',
          described('a ragged array'),
          'SHAPE_MISMATCH',
        );
      }
    } else if (ArrayBuffer.isView(item)) {
      data = item as unknown as ArrayLike<number>;
      itemShape = [data.length];
    } else {
      throw argumentError(FUNCTION, `inputs (${where})`, 'a tf.Tensor, a nested array or a typed array', item);
    }
    const isTensor = item instanceof tf.Tensor;
    // One example: a flat list/typed array, or any non-tensor item whose rank equals the example rank.
    const single = !isTensor && (itemShape.length === 1 || (acc !== null && itemShape.length === acc.shape.length));
    const exampleShape = single ? itemShape : itemShape.slice(1);
    if (acc === null) {
      if (exampleShape.length === 0)
        throw argumentError(
          FUNCTION,
          `inputs (${where})`,
          'batched (batch axis first)',
          described(`shape [${itemShape.join(',')}]`),
          'SHAPE_MISMATCH',
        );
      acc = new Accumulator(exampleShape);
    }
    const size = acc.mean.length;
    const count = single ? 1 : itemShape[0];
    if (single ? data.length !== size : sizeOf(exampleShape) !== size) {
      throw argumentError(
        FUNCTION,
        `inputs (${where})`,
        `examples of shape [${acc.shape.join(',')}]`,
        described(`shape [${itemShape.join(',')}]`),
        'SHAPE_MISMATCH',
      );
    }
    for (let e = 0; e < count; e++) acc.add(data, e * size, single ? where : `${where}, example ${e}`);
    itemIndex += 1;
  }
  if (acc === null || acc.count === 0)
    throw argumentError(FUNCTION, 'inputs', 'a data set of at least one example', described('no examples'));
  const std = acc.m2.map((v) => Math.sqrt(v / (acc as Accumulator).count));
  return { shape: acc.shape, mean: acc.mean, std, count: acc.count };
}

export { pixelStatisticsFromJSON, pixelStatisticsToJSON } from './pixel-statistics-json.js';
