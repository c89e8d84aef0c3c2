/**
 * The default number of rows sent through a model at once, chosen from the model's activation sizes: as many rows as
 * keep all activations of one call (every layer's output: what a gradient's backward pass holds) within
 * {@link TAPE_BUDGET} floats (16 MiB), rounded down to a power of two, at least 1 and at most {@link DEFAULT_BATCH_SIZE}.
 * Each thread of the worker pool holds its own copy, and a WebAssembly heap never shrinks: with a budget on the largest
 * activation alone (as before), a 6-recording spectrogram report on TensorFlow.js peaked at 3.2 GB (64 rows × 1.1 M
 * floats per row of the Potamitis spectrogram CNN, on three threads); with this budget it gets 2 rows and peaks at
 * 840 MB (ONNX Runtime: 650 MB, was 890 MB). Chunk size barely changes speed on the wingbeats CNNs (integrated gradients
 * with 50 steps on the spectrogram CNN, one recording, chunks of 2/8/64 rows: 2.0–2.3 s each on ONNX Runtime, 3.3–9 s
 * on TensorFlow.js at load 6–7 with no order between sizes). Results never depend on it (chunking is exact).
 */
import type * as tf from '@tensorflow/tfjs';
import { DEFAULT_BATCH_SIZE } from '../util/batching.js';
import { leafLayers } from './layer-walk.js';

/** Floats of all activations of one call (4 Mi floats = 16 MiB). */
export const TAPE_BUDGET = 4 * 1024 * 1024;

/** The known output shapes of `model`'s leaf layers, without the batch axis. */
function outputShapesPerRow(model: tf.LayersModel): number[][] {
  const known: number[][] = [];
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
      if (!dims.some((d) => d === null)) known.push(dims as number[]);
    }
  }
  return known;
}

/** Floats per row of all layer outputs of `model` together (0 when no layer knows its output shape). */
export function tapePerRow(model: tf.LayersModel): number {
  return outputShapesPerRow(model).reduce((sum, dims) => sum + dims.reduce((a, b) => a * b, 1), 0);
}

/** The default rows per call of `model` (see the module note); {@link DEFAULT_BATCH_SIZE} when the sizes are unknown. */
export function defaultRowsPerCall(model: tf.LayersModel): number {
  const perRow = tapePerRow(model);
  if (perRow === 0) return DEFAULT_BATCH_SIZE;
  const rows = Math.floor(TAPE_BUDGET / perRow);
  if (rows < 1) return 1;
  return Math.min(DEFAULT_BATCH_SIZE, 2 ** Math.floor(Math.log2(rows)));
}
