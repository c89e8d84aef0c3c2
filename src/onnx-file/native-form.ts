/**
 * How an imported ONNX file's model carries its native form (`lower-onnx-file.ts`) to the native engine: on its score
 * function, under a symbol, so the model itself keeps no engine state and no table keyed by models is needed.
 */
import type { ExplainableModel, ScoreFunction } from '../execution/explainable-model.js';
import type { NativeOnnxFile } from './lower-onnx-file.js';
import { WingbeatsError } from '../util/errors.js';

/** The key under which an imported file's score function carries its native form. */
const NATIVE = Symbol('wingbeats-xai native ONNX file');

/** `scores` (an imported file's score function) marked as carrying `native`; returns `scores`. */
export function withNativeForm(scores: ScoreFunction, native: NativeOnnxFile): ScoreFunction {
  Object.defineProperty(scores, NATIVE, { value: native, enumerable: false });
  return scores;
}

/** The native form of an imported ONNX file's model, or undefined for any other model. */
export function nativeFormOf(model: ExplainableModel): NativeOnnxFile | undefined {
  const scores = model.scoreFunction as (ScoreFunction & { [NATIVE]?: NativeOnnxFile }) | null;
  return scores?.[NATIVE];
}

/** Whether the native engine can compile `model` at all (a Keras model, or an imported ONNX file). */
export function compilable(model: ExplainableModel): boolean {
  return model.layersModel !== null || nativeFormOf(model) !== undefined;
}

/**
 * The one-line refusal of `what` (a propagation rule, a layer's output) on an imported ONNX file that runs on the
 * TensorFlow.js interpreter: it runs on the native engine only.
 */
export function nativeOnlyRefusal(fileName: unknown, what: string): WingbeatsError {
  return new WingbeatsError(
    'UNSUPPORTED_MODEL',
    `'${String(fileName)}' is an ONNX file on the TensorFlow.js interpreter, where ${what} cannot run: it runs on the native engine (engine 'auto' or 'onnx' in Node, with every op of the file lowered; a line above names the op that was not)`,
  );
}
