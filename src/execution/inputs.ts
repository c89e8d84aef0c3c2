/** Turns what users pass as `inputs` into a validated, batched float32 tensor. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError, argumentError, described } from '../util/errors.js';
import type { ExplainableModel } from './explainable-model.js';

/** Nested number arrays (any depth). */
export type NestedArray = (number | NestedArray)[];

/**
 * A batch of inputs: a batched tensor, or nested arrays with the batch axis first; for a model with several inputs,
 * an array with one such entry per model input.
 */
export type InputLike = tf.Tensor | NestedArray | (tf.Tensor | NestedArray)[];

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => d ?? '?').join(',')}]`;
}

/**
 * Validates `inputs` against the model's input shape and returns a new float32 tensor `[batch, ...inputShape]`,
 * owned by the caller. Nested arrays without the batch axis (one example) get one added.
 * For a model with several inputs, `inputs` is an array with one entry per model input (each a batch or one example,
 * in that input's shape; the same number of examples in each), or a tensor already in the packed layout; the result
 * is the packed `[batch, features]` tensor (see `ExplainableModel.packInputs`).
 * Throws (argument `argument` of `functionName`) on a wrong shape or count, an empty batch or NaN/Infinity.
 */
export function toInputBatch(
  functionName: string,
  model: ExplainableModel,
  inputs: InputLike,
  argument = 'inputs',
): tf.Tensor {
  if (!model.isMultiInput || inputs instanceof tf.Tensor)
    return batchOfShape(functionName, model.inputShape, model.describe(), inputs, argument);
  const shapes = model.inputShapes as (number | null)[][];
  const names = model.inputNames;
  if (
    !Array.isArray(inputs) ||
    inputs.length !== shapes.length ||
    !inputs.every((item) => item instanceof tf.Tensor || Array.isArray(item))
  ) {
    throw argumentError(
      functionName,
      argument,
      `an array of ${shapes.length} inputs, one per model input (${names.join(', ')})`,
      inputs,
      'SHAPE_MISMATCH',
    );
  }
  const parts: tf.Tensor[] = [];
  try {
    (inputs as InputLike[]).forEach((item, i) =>
      parts.push(
        batchOfShape(functionName, shapes[i], `input '${names[i]}' of ${model.describe()}`, item, `${argument}[${i}]`),
      ),
    );
    const sizes = parts.map((p) => p.shape[0]);
    if (sizes.some((n) => n !== sizes[0])) {
      throw argumentError(
        functionName,
        argument,
        'the same number of examples for every model input',
        described(`batches of ${sizes.join(', ')}`),
        'SHAPE_MISMATCH',
      );
    }
    return model.packInputs(parts);
  } finally {
    parts.forEach((p) => p.dispose());
  }
}

/** One input: validated against `expected` (null: any batched tensor) and batched; `what` names it in messages. */
function batchOfShape(
  functionName: string,
  expected: (number | null)[] | null,
  what: string,
  inputs: InputLike,
  argument: string,
): tf.Tensor {
  let x: tf.Tensor;
  if (inputs instanceof tf.Tensor) {
    if (inputs.isDisposed) throw argumentError(functionName, argument, 'a live tensor', described('a disposed tensor'));
    x = tf.cast(inputs, 'float32');
  } else if (Array.isArray(inputs) || ArrayBuffer.isView(inputs)) {
    try {
      x = tf.tensor(inputs as number[], undefined, 'float32');
    } catch (error) {
      throw argumentError(
        functionName,
        argument,
        'a rectangular nested array of numbers',
        described(`a ragged or non-numeric array (${(error as Error).message})`),
        'SHAPE_MISMATCH',
      );
    }
    if (expected !== null && x.rank === expected.length) {
      const batched = tf.expandDims(x, 0);
      x.dispose();
      x = batched;
    }
  } else {
    throw argumentError(functionName, argument, 'a tf.Tensor or nested arrays of numbers', inputs);
  }
  try {
    if (expected !== null) {
      const ok = x.rank === expected.length + 1 && expected.every((d, i) => d === null || d === x.shape[i + 1]);
      if (!ok) {
        throw argumentError(
          functionName,
          argument,
          `of shape [batch,${expected.map((d) => d ?? '?').join(',')}] for ${what}`,
          described(`shape ${shapeText(x.shape)}`),
          'SHAPE_MISMATCH',
        );
      }
    } else if (x.rank < 2) {
      throw argumentError(
        functionName,
        argument,
        'batched (rank ≥ 2, batch axis first)',
        described(`shape ${shapeText(x.shape)}`),
        'SHAPE_MISMATCH',
      );
    }
    if (x.shape[0] === 0)
      throw argumentError(
        functionName,
        argument,
        'a batch of at least one example',
        described('an empty batch'),
        'SHAPE_MISMATCH',
      );
    const bad = tf.tidy(() => tf.logicalNot(tf.all(tf.isFinite(x))).dataSync()[0]);
    if (bad) {
      const where = tf.tidy(() => Array.from(tf.logicalNot(tf.isFinite(tf.reshape(x, [-1]))).dataSync()).indexOf(1));
      const index = unravel(where, x.shape);
      throw new WingbeatsError(
        'NON_FINITE_INPUT',
        `Argument '${argument}' passed to '${functionName}' must be finite but got NaN or Infinity at index [${index.join(',')}].`,
      );
    }
    return x;
  } catch (error) {
    x.dispose();
    throw error;
  }
}

/** Flat index → multi-index for a shape. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let rest = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = rest % shape[i];
    rest = Math.floor(rest / shape[i]);
  }
  return out;
}
