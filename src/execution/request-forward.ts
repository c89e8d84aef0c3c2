/**
 * The forward pass of the request frame (the predictions every entry point starts from). By default
 * `model.predict` in the calling thread; the parallel layer (src/parallel) installs a version that shares the rows
 * out to the model's worker pool, without this folder importing it.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from './explainable-model.js';
import type { ExecutionSettings } from './execution-settings.js';

/** What the request frame asks for: scores of one head for a batch. */
export interface ForwardRequest {
  outputIndex: number;
  scores: ScoreKind;
  batchSize: number;
  execution: ExecutionSettings;
  /** Worker threads the call may use (see `RequestOptions.workers`; `undefined`: the default). */
  workers?: number;
}

/** Computes `[batch, classes]` scores (owned by the caller). */
export type RequestForward = (model: ExplainableModel, x: tf.Tensor, request: ForwardRequest) => Promise<tf.Tensor2D>;

let installed: RequestForward | null = null;

/** Installs the forward pass of the request frame (`null`: back to `model.predict` in the calling thread). */
export function setRequestForward(forward: RequestForward | null): void {
  installed = forward;
}

/** The request frame's predictions: the installed forward, else `model.predict` in the calling thread. */
export async function requestForward(
  model: ExplainableModel,
  x: tf.Tensor,
  request: ForwardRequest,
): Promise<tf.Tensor2D> {
  if (installed !== null) return installed(model, x, request);
  const { outputIndex, scores, batchSize, execution } = request;
  return model.predict(x, { output: outputIndex, scores, batchSize, execution }).scores;
}
