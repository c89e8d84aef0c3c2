/** DeepLIFT's pass runs inputs and references as one batch `[inputs; references]`; these split it back. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/** The two halves of a paired batch `[2B, ...]`: rows of the inputs and rows of their references. */
export function splitPairs(x: tf.Tensor, rule: string): [tf.Tensor, tf.Tensor] {
  const rows = x.shape[0];
  if (rows % 2 !== 0)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Rule '${rule}' needs a paired batch [inputs; references] but got ${rows} rows.`,
    );
  return tf.split(x, 2, 0) as [tf.Tensor, tf.Tensor];
}
