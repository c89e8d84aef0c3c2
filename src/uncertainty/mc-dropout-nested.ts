/**
 * Monte-Carlo samples one nested method call each, for any attribution method (integrated gradients, LRP, ...):
 * sample s runs the method with `execution.dropout = { seed: sampleSeeds[s], fixedMasks: true }`, so its prediction
 * and its explanation come from one thinned network.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelRequest } from '../session/model-request.js';
import { disposeAttribution } from '../attribution/types.js';
import type { AttributionMethod } from '../attribution/types.js';
import type { SampleMapKind } from './mc-dropout-rows.js';
import type { SampleReducer } from './sample-reducer.js';
import type { ComputeBackend } from '../execution/execution-settings.js';

/** Runs `method` once per sample seed and feeds the reducer in order. */
export async function mcDropoutNested(
  request: ModelRequest,
  method: AttributionMethod<never>,
  methodOptions: Record<string, unknown>,
  sampleSeeds: readonly number[],
  mapKind: SampleMapKind,
  reducer: SampleReducer,
): Promise<void> {
  const { x, targets, outputIndex, batchSize } = request;
  for (const sampleSeed of sampleSeeds) {
    const execution = { ...request.execution, dropout: { seed: sampleSeed, fixedMasks: true } };
    const result = await (method as AttributionMethod<Record<string, unknown>>)(request.session, x, {
      ...methodOptions,
      target: targets,
      output: outputIndex,
      batchSize,
      seed: sampleSeed,
      execution,
    });
    let heatmaps: Float32Array[];
    let predictions: number[][];
    let probabilities: number[][] | undefined;
    try {
      const attributions = result.attributions;
      // Signed maps: the attributions summed over channels (read outside any tidy, which would walk the array).
      const summed = mapKind === 'signed' && attributions.rank >= 3 ? tf.sum(attributions, -1) : null;
      const values = (mapKind === 'heatmap' ? result.heatmaps : (summed ?? attributions)).dataSync() as Float32Array;
      summed?.dispose();
      const positions = values.length / targets.length;
      heatmaps = targets.map((_, e) => values.slice(e * positions, (e + 1) * positions));
      predictions = result.predictions.arraySync();
      probabilities = result.probabilities?.arraySync();
    } finally {
      disposeAttribution(result);
    }
    // The sample's own call records its engines: the request's record names them too.
    for (const name of result.engine.split('+')) request.execution.engineRecord?.ran.add(name as ComputeBackend);
    reducer.add(heatmaps, predictions, probabilities);
    await reducer.settled();
  }
}
