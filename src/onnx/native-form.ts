/**
 * The native form of an imported ONNX file's model (see `onnx-file-lowering.ts`): made from the interpreter its score
 * function carries (src/onnx-file/imported-graph.ts) on first use and kept on that function, so the model keeps no
 * engine state and no table keyed by models is needed.
 */
import type { ExplainableModel, ScoreFunction } from '../execution/explainable-model.js';
import { importedGraphOf } from '../onnx-file/imported-graph.js';
import { type NativeOnnxFile, nativeOnnxFile } from './onnx-file-lowering.js';

const NATIVE = Symbol('wingbeats-xai native ONNX file');

/** The native form of an imported ONNX file's model, or undefined for any other model. */
export function nativeFormOf(model: ExplainableModel): NativeOnnxFile | undefined {
  const scores = model.scoreFunction as (ScoreFunction & { [NATIVE]?: NativeOnnxFile }) | null;
  if (scores === null) return undefined;
  const known = scores[NATIVE];
  if (known !== undefined) return known;
  const imported = importedGraphOf(scores);
  if (imported === undefined) return undefined;
  const native = nativeOnnxFile(imported.runner, imported);
  Object.defineProperty(scores, NATIVE, { value: native, enumerable: false });
  return native;
}

/** Whether the native engine can compile `model` at all (a Keras model, or an imported ONNX file). */
export function compilable(model: ExplainableModel): boolean {
  return model.layersModel !== null || nativeFormOf(model) !== undefined;
}
