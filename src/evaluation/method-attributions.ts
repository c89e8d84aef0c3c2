/** Runs an attribution method (by registry name or as a function) for fixed targets and returns plain rows. */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { ModelRequest } from '../session/model-request.js';
import { argumentError } from '../util/errors.js';
import { attributionMethodNames, attributionMethods, isAttributionMethodName } from '../attribution/registry.js';
import { disposeAttribution, type AttributionMethod } from '../attribution/types.js';

/** An attribution method: a registry name or a method function. */
export type MethodChoice = string | AttributionMethod<any>;

/** The method function of `method`; throws INVALID_ARGUMENT naming `method` for an unknown name. */
export function methodFunction(functionName: string, method: MethodChoice | undefined): AttributionMethod<any> {
  if (typeof method === 'function') return method;
  if (typeof method === 'string' && isAttributionMethodName(method)) return attributionMethods[method].run;
  throw argumentError(
    functionName,
    'method',
    `a method function or one of ${attributionMethodNames.map((n) => `'${n}'`).join(', ')}`,
    method,
  );
}

/** Attributions and heatmaps of a method, one Float32Array per row. */
export interface MethodRows {
  attributions: Float32Array[];
  heatmaps: Float32Array[];
}

/**
 * Runs `method` on `x` (owned by the caller) for `targets` (one per row) with the request's head, scores, batch size,
 * workers, backend settings and `seed`, plus `methodOptions`; returns the attributions and heatmaps as rows, every
 * tensor of the result freed.
 */
export async function methodRows(
  method: AttributionMethod<any>,
  request: ModelRequest,
  model: ExplainableModel,
  x: tf.Tensor,
  targets: readonly number[],
  seed: number,
  methodOptions: Record<string, unknown> = {},
): Promise<MethodRows> {
  // The request's session (its engine and pool) for the request's model; a model copy gets its own default session.
  const result = await method(model === request.model ? request.session : model, x, {
    ...methodOptions,
    target: [...targets],
    output: request.outputIndex,
    scores: request.scores,
    batchSize: request.batchSize,
    workers: request.workers,
    execution: request.execution,
    seed,
  });
  try {
    const rows = x.shape[0];
    const split = (t: tf.Tensor): Float32Array[] => {
      const values = t.dataSync() as Float32Array;
      const per = values.length / rows;
      return Array.from({ length: rows }, (_, r) => values.slice(r * per, (r + 1) * per));
    };
    return { attributions: split(result.attributions), heatmaps: split(result.heatmaps) };
  } finally {
    disposeAttribution(result);
  }
}
