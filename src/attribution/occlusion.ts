import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import { argumentError } from '../util/errors.js';
import type { InputLike } from '../execution/inputs.js';
import { runMethod } from './run-method.js';
import { perturbedScores } from './perturbed-scores.js';
import { Baseline, baselineBatch } from './baseline.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options of {@link occlusion}. */
export interface OcclusionOptions extends AttributionOptions {
  /** Window length along every non-channel axis, or one length per axis (default 8, cut to each axis' length). */
  window?: number | readonly number[];
  /** Step between windows, a number or one per axis (default: half the window, at least 1). */
  stride?: number | readonly number[];
  /** What an occluded window is replaced by (default zeros): as for integrated gradients. */
  baseline?: Baseline;
}

export { OCCLUSION_OPTIONS } from './method-specs.js';

/** The non-channel (spatial) shape of a batch `[batch, ...axes, channels]`; rank-2 inputs `[batch, features]` have no channel axis. */
export function spatialShape(shape: readonly number[]): number[] {
  return shape.length <= 2 ? shape.slice(1) : shape.slice(1, -1);
}

function perAxis(functionName: string, name: string, value: number | readonly number[], axes: number): number[] {
  const list = typeof value === 'number' ? new Array<number>(axes).fill(value) : [...value];
  if (list.length !== axes || !list.every((v) => Number.isInteger(v) && v >= 1)) {
    throw argumentError(
      functionName,
      name,
      `a positive integer or ${axes} positive integers (one per non-channel axis)`,
      value,
    );
  }
  return list;
}

/**
 * Start offsets of the windows along one axis, as Captum places them: 0, stride, 2·stride, ..., ceil((length −
 * window)/stride)·stride, so when the stride does not divide length − window a last window starts past the last full
 * one and is cut at the end of the axis (window 8, stride 4 on 129 bins: starts 0, 4, ..., 124; the last covers
 * 124–128). Every position is covered by at least one window.
 */
export function windowStarts(length: number, window: number, stride: number): number[] {
  const count = Math.ceil((length - window) / stride) + 1;
  return Array.from({ length: count }, (_, k) => k * stride);
}

/** Every window of the grid as its start per axis, in row-major order. */
function windowGrid(starts: number[][]): number[][] {
  return starts.reduce<number[][]>((acc, axis) => acc.flatMap((prefix) => axis.map((s) => [...prefix, s])), [[]]);
}

/** Calls `visit` with the flat (row-major) index of every position inside the window, over the spatial shape. */
function forEachInWindow(
  spatial: readonly number[],
  start: readonly number[],
  window: readonly number[],
  visit: (flat: number) => void,
): void {
  const walk = (axis: number, offset: number): void => {
    if (axis === spatial.length) return visit(offset);
    const end = Math.min(start[axis] + window[axis], spatial[axis]);
    for (let i = start[axis]; i < end; i++) walk(axis + 1, offset * spatial[axis] + i);
  };
  walk(0, 0);
}

/** How many windows cover each position: per axis the starts covering an index, multiplied over the axes. */
function windowCoverage(spatial: readonly number[], starts: number[][], window: readonly number[]): Float64Array {
  const perAxis = spatial.map((n, axis) => {
    const count = new Float64Array(n);
    for (const s of starts[axis]) for (let i = s; i < Math.min(s + window[axis], n); i++) count[i]++;
    return count;
  });
  const size = spatial.reduce((a, b) => a * b, 1);
  const coverage = new Float64Array(size);
  for (let flat = 0; flat < size; flat++) {
    let rest = flat;
    let product = 1;
    for (let axis = spatial.length - 1; axis >= 0; axis--) {
      product *= perAxis[axis][rest % spatial[axis]];
      rest = Math.floor(rest / spatial[axis]);
    }
    coverage[flat] = product;
  }
  return coverage;
}

/**
 * Occlusion (Zeiler & Fergus 2014), as Captum's `Occlusion`: a window slides over the input's non-channel axes (all
 * channels at once); a position's attribution is the mean, over the windows covering it, of f(x) − f(x with the window
 * replaced by the baseline). Windows are placed as Captum places them (see {@link windowStarts}): a last window cut at
 * the end of the axis covers the positions a stride that does not divide the axis would leave out.
 * Every channel of a position gets the same attribution. The occluded copies of all examples are evaluated in batches
 * of `batchSize` rows; `onProgress` counts them.
 *
 * Options: `window` (8), `stride` (half the window), `baseline` (zeros), and {@link AttributionOptions}.
 * `heatmaps`: max |·| over channels, min-max per example. Tensors are owned by the caller.
 * @example const { attributions } = await occlusion(model, x, { window: 4, stride: 2 });
 */
export async function occlusion(
  model: ModelInput,
  inputs: InputLike,
  options: OcclusionOptions = {},
): Promise<AttributionResult> {
  const functionName = 'occlusion';
  return runMethod({ method: 'occlusion', functionName, reduction: 'max-abs' }, model, inputs, options, async (ctx) => {
    const { x, targets } = ctx;
    const batch = x.shape[0];
    const spatial = spatialShape(x.shape);
    const channels = x.rank <= 2 ? 1 : x.shape[x.rank - 1];
    const requested = perAxis(functionName, 'window', options.window ?? 8, spatial.length);
    const window = requested.map((w, i) => (options.window === undefined ? Math.min(w, spatial[i]) : w));
    window.forEach((w, i) => {
      if (w > spatial[i])
        throw argumentError(
          functionName,
          'window',
          `at most the input's size [${spatial.join(',')}] along each non-channel axis`,
          options.window,
        );
    });
    const stride = perAxis(
      functionName,
      'stride',
      options.stride ?? window.map((w) => Math.max(1, Math.floor(w / 2))),
      spatial.length,
    );
    const starts = spatial.map((n, i) => windowStarts(n, window[i], stride[i]));
    const grid = windowGrid(starts);
    const coverage = windowCoverage(spatial, starts, window);
    const positions = coverage.length;
    const size = positions * channels;
    const data = x.dataSync() as Float32Array;
    const baselineTensor = baselineBatch(functionName, ctx, options.baseline);
    const baseline = baselineTensor.dataSync() as Float32Array;
    baselineTensor.dispose();
    // Rows are example-major (row = example·windows + window), built from the clean inputs; the drops are added to
    // the covered positions in row order.
    const sums = Array.from({ length: batch }, () => new Float64Array(positions));
    await perturbedScores(
      ctx,
      batch * grid.length,
      (row, buffer, offset) => {
        const e = Math.floor(row / grid.length);
        buffer.set(data.subarray(e * size, (e + 1) * size), offset);
        forEachInWindow(spatial, grid[row % grid.length], window, (p) => {
          for (let c = 0; c < channels; c++) buffer[offset + p * channels + c] = baseline[e * size + p * channels + c];
        });
      },
      (row, scores) => {
        const e = Math.floor(row / grid.length);
        const drop = ctx.predictions[e][targets[e]] - scores[targets[e]];
        const sum = sums[e];
        forEachInWindow(spatial, grid[row % grid.length], window, (p) => (sum[p] += drop));
      },
      options.onProgress,
    );
    const values = new Float32Array(batch * positions * channels);
    sums.forEach((sum, e) => {
      for (let p = 0; p < positions; p++) {
        const v = coverage[p] > 0 ? sum[p] / coverage[p] : 0;
        values.fill(v, (e * positions + p) * channels, (e * positions + p + 1) * channels);
      }
    });
    return { attributions: tf.tensor(values, x.shape) };
  });
}
