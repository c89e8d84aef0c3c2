/** Attributions given to a metric (a tensor with batch axis, or one array per example) as plain rows, checked. */
import * as tf from '@tensorflow/tfjs';
import { argumentError, described } from '../util/errors.js';

/** Attributions in the inputs' shape: a tensor `[batch, ...inputShape]` or one array per example (row-major). */
export type AttributionsLike = tf.Tensor | readonly ArrayLike<number>[];

/**
 * One Float32Array per example, each of `size` values (an input without batch axis), from `attributions`.
 * Throws SHAPE_MISMATCH naming `argument` of `functionName` when the count or sizes differ.
 */
export function attributionRows(
  functionName: string,
  attributions: AttributionsLike | undefined,
  batch: number,
  size: number,
  argument = 'attributions',
): Float32Array[] {
  if (attributions === undefined)
    throw argumentError(functionName, argument, `one map of ${size} values per example`, attributions);
  let rows: Float32Array[];
  if (attributions instanceof tf.Tensor) {
    if (attributions.isDisposed)
      throw argumentError(functionName, argument, 'a live tensor', described('a disposed tensor'));
    const values = attributions.dataSync() as Float32Array;
    if (values.length !== batch * size) {
      throw argumentError(
        functionName,
        argument,
        `${batch} maps of ${size} values (the inputs' shape)`,
        described(`shape [${attributions.shape.join(',')}]`),
        'SHAPE_MISMATCH',
      );
    }
    rows = Array.from({ length: batch }, (_, e) => Float32Array.from(values.subarray(e * size, (e + 1) * size)));
  } else if (Array.isArray(attributions)) {
    const list = attributions as readonly ArrayLike<number>[];
    if (list.length !== batch || list.some((r) => r?.length !== size)) {
      throw argumentError(
        functionName,
        argument,
        `${batch} maps of ${size} values (the inputs' shape)`,
        described(`${list.length} maps of ${list.map((r) => r?.length).join(',')} values`),
        'SHAPE_MISMATCH',
      );
    }
    rows = list.map((r) => Float32Array.from(r));
  } else {
    throw argumentError(functionName, argument, 'a tensor or one array per example', attributions);
  }
  return rows;
}
