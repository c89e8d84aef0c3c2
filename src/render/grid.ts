/**
 * A 2-D grid of numbers (row-major), the plain-data form of a spectrogram, a heatmap or a 1-D spectrum
 * (`rows = 1`). Rows are frequencies; by the wingbeats convention row 0 is the HIGHEST frequency.
 */
import { argumentError, described } from '../util/errors.js';

/** Row-major 2-D values: `values[r * cols + c]`. */
export interface Grid {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
}

/** Throws a WingbeatsError (SHAPE_MISMATCH / INVALID_ARGUMENT) unless `grid` is a well-formed {@link Grid}. */
export function assertGrid(grid: unknown, functionName: string, argument: string): asserts grid is Grid {
  const g = grid as Grid | undefined;
  if (
    g === null ||
    typeof g !== 'object' ||
    typeof g.values !== 'object' ||
    g.values === null ||
    typeof g.values.length !== 'number'
  ) {
    throw argumentError(functionName, argument, 'an object {values, rows, cols}', grid);
  }
  if (!Number.isInteger(g.rows) || g.rows < 1 || !Number.isInteger(g.cols) || g.cols < 1) {
    throw argumentError(
      functionName,
      `${argument}.rows/cols`,
      'positive integers',
      described(`rows=${g.rows}, cols=${g.cols}`),
    );
  }
  if (g.values.length !== g.rows * g.cols) {
    throw argumentError(
      functionName,
      `${argument}.values`,
      `of length rows × cols = ${g.rows * g.cols}`,
      described(`length ${g.values.length}`),
      'SHAPE_MISMATCH',
    );
  }
}

/** How the channels of an image are turned into one grid for display. */
export type ChannelReduction = 'mean' | 'max' | 'sum' | 'max-abs' | number;

/**
 * Turns an image of shape `[rows, cols]` or `[rows, cols, channels]` (row-major, channels last, no batch axis)
 * into a {@link Grid}, reducing channels with `channels` (default `'mean'`; a number picks one channel).
 *
 * @throws WingbeatsError (SHAPE_MISMATCH) when `values.length` does not match `shape`.
 */
export function gridFromImage(
  values: ArrayLike<number>,
  shape: readonly number[],
  options: { channels?: ChannelReduction } = {},
): Grid {
  if (shape.length !== 2 && shape.length !== 3) {
    throw argumentError(
      'gridFromImage',
      'shape',
      '[rows, cols] or [rows, cols, channels]',
      described(`[${shape.join(', ')}]`),
    );
  }
  const [rows, cols] = shape;
  const channels = shape.length === 3 ? shape[2] : 1;
  if (values.length !== rows * cols * channels) {
    throw argumentError(
      'gridFromImage',
      'values',
      `of length ${rows * cols * channels} for shape [${shape.join(', ')}]`,
      described(`length ${values.length}`),
      'SHAPE_MISMATCH',
    );
  }
  const reduction = options.channels ?? 'mean';
  if (typeof reduction === 'number' && (!Number.isInteger(reduction) || reduction < 0 || reduction >= channels)) {
    throw argumentError(
      'gridFromImage',
      'options.channels',
      `a channel index in [0, ${channels - 1}] or 'mean', 'max', 'sum', 'max-abs'`,
      reduction,
    );
  }
  const out = new Float32Array(rows * cols);
  for (let p = 0; p < rows * cols; p++) {
    const base = p * channels;
    if (typeof reduction === 'number') {
      out[p] = values[base + reduction];
      continue;
    }
    let acc = reduction === 'max' || reduction === 'max-abs' ? -Infinity : 0;
    for (let c = 0; c < channels; c++) {
      const v = values[base + c];
      if (reduction === 'max') acc = Math.max(acc, v);
      else if (reduction === 'max-abs') acc = Math.max(acc, Math.abs(v));
      else acc += v;
    }
    out[p] = reduction === 'mean' ? acc / channels : acc;
  }
  return { values: out, rows, cols };
}

/** Smallest and largest finite values (`[NaN, NaN]` when there is none). */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}
