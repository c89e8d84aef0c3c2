/**
 * The default number of rows sent through a model at once, chosen from the model's activation sizes: as many rows as
 * keep the largest activation of one call within {@link ACTIVATION_BUDGET} floats (64 MiB), rounded down to a power of
 * two, at least 1 and at most {@link DEFAULT_BATCH_SIZE}. The budget bounds memory for models with large activations
 * (a 256×256 input with 32 filters gets 8 rows). Smaller chunks did not make the wingbeats CNNs faster (measured in one
 * interleaved run, load average 10–15 on 2 cores, medians of 5: integrated gradients with 50 steps on the Potamitis
 * spectrogram CNN, 1 input, in chunks of 8/16/32/64 rows: 4.7/4.5/5.4/4.6 s; saliency on 64 inputs: 8.7/8.6/8.6/7.7 s),
 * so these models keep 64 (the spectrogram CNNs' 233 232 floats per row × 64 fit the budget). Results never depend on
 * it (chunking is exact).
 */
import type * as tf from '@tensorflow/tfjs';
import { DEFAULT_BATCH_SIZE } from '../util/batching.js';
import { leafLayers } from './layer-walk.js';

/** Floats of the largest activation of one call (16 Mi floats = 64 MiB). */
export const ACTIVATION_BUDGET = 16 * 1024 * 1024;

/** Floats per row of the largest layer output of `model` (0 when no layer knows its output shape). */
export function largestActivationPerRow(model: tf.LayersModel): number {
  let largest = 0;
  for (const layer of leafLayers(model)) {
    let shapes: tf.Shape | tf.Shape[];
    try {
      shapes = layer.outputShape;
    } catch {
      continue; // a layer never called symbolically has no output shape
    }
    const list = (Array.isArray(shapes[0]) || shapes.length === 0 ? shapes : [shapes]) as tf.Shape[];
    for (const shape of list) {
      const dims = shape.slice(1);
      if (dims.some((d) => d === null)) continue;
      largest = Math.max(
        largest,
        (dims as number[]).reduce((a, b) => a * b, 1),
      );
    }
  }
  return largest;
}

/** The default rows per call of `model` (see the module note); {@link DEFAULT_BATCH_SIZE} when the sizes are unknown. */
export function defaultRowsPerCall(model: tf.LayersModel): number {
  const perRow = largestActivationPerRow(model);
  if (perRow === 0) return DEFAULT_BATCH_SIZE;
  const rows = Math.floor(ACTIVATION_BUDGET / perRow);
  if (rows < 1) return 1;
  return Math.min(DEFAULT_BATCH_SIZE, 2 ** Math.floor(Math.log2(rows)));
}
