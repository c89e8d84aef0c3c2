/** The background set of the SHAP methods with baselines from the data (gradient-shap, deeplift-shap). */
import * as tf from '@tensorflow/tfjs';
import type { InputLike } from '../execution/inputs.js';
import { toInputBatch } from '../execution/inputs.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';

export { BACKGROUND_OPTION } from './method-specs.js';

/**
 * The background set as a float32 batch `[B, ...input shape]` (owned by the caller), checked like inputs.
 * @throws WingbeatsError INVALID_ARGUMENT when it is missing or empty, or shaped unlike the model's input.
 */
export function backgroundBatch(
  functionName: string,
  model: ExplainableModel,
  background: InputLike | undefined,
): tf.Tensor {
  if (background === undefined)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Argument 'background' passed to '${functionName}' must be a set of reference inputs (e.g. recordings of the data set; command line: --background FOLDER|FILE.npy|FILE.json) but got nothing.`,
    );
  return toInputBatch(functionName, model, background, 'background');
}
