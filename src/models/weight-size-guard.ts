/**
 * A bound on the weights a model config makes TensorFlow.js create while it is built. Building allocates every weight
 * with its initial values before any stored value is assigned, so a config declaring a 3,000,000-wide kernel would
 * take gigabytes before the (certain) mismatch with the stored weights is found. Here each weight is checked against
 * the largest one the file stores, before it is allocated.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/** Largest weight (in values) a model without stored weights may create (2^24, 64 MB as float32). */
export const MAX_UNSTORED_WEIGHT_VALUES = 2 ** 24;

type AddWeight = (name: string, shape: number[], ...rest: unknown[]) => unknown;

/**
 * Runs `build` while every `Layer.addWeight` call is checked: a weight of more than `maxValues` values is refused
 * (`WEIGHTS_MISMATCH`) before its initial values are allocated. The check is removed when `build` settles.
 *
 * @param maxValues - The most values one weight may have (the largest stored weight).
 * @param source - Names the file in messages.
 * @example const model = await withWeightSizeLimit(387, "'m.h5'", () => tf.models.modelFromJSON(json));
 */
export async function withWeightSizeLimit<T>(maxValues: number, source: string, build: () => Promise<T>): Promise<T> {
  const prototype = tf.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const original = prototype.addWeight;
  prototype.addWeight = function checkedAddWeight(
    this: tf.layers.Layer,
    name: string,
    shape: number[],
    ...rest: unknown[]
  ) {
    const values = Array.isArray(shape) ? shape.reduce((a, b) => a * (Number(b) || 0), 1) : 0;
    if (values > maxValues) {
      throw new WingbeatsError(
        'WEIGHTS_MISMATCH',
        `${source}: layer '${this.name}' would create weight '${name}' of shape [${shape.join(', ')}] (${values} values), ` +
          `more than the largest weight the file stores (${maxValues} values); its config does not fit its weights.`,
      );
    }
    return original.call(this, name, shape, ...rest);
  };
  try {
    return await build();
  } finally {
    prototype.addWeight = original;
  }
}
