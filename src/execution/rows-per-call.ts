/**
 * The default number of rows sent through a model at once, chosen from the model's activation sizes: as many rows as
 * keep the largest activation of one call within {@link ACTIVATION_BUDGET} floats, rounded down to a power of two, at
 * least 1 and at most {@link DEFAULT_BATCH_SIZE}. Large spectrogram CNNs then run in chunks whose activations stay in the
 * cache and in memory (measured: integrated gradients on the Potamitis spectrogram CNN, 129×113×16 floats per row at the
 * first convolution, took 5.0–5.3 s in chunks of 8–32 rows against 5.9 s in chunks of 64); small 1-D CNNs keep 64.
 * Results never depend on it (chunking is exact).
 */
import type * as tf from '@tensorflow/tfjs';
import { DEFAULT_BATCH_SIZE } from '../util/batching.js';
import { leafLayers } from './layer-walk.js';

/** Floats of the largest activation of one call (4 Mi floats = 16 MiB). */
export const ACTIVATION_BUDGET = 4 * 1024 * 1024;

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
