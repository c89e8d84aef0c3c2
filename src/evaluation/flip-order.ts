/**
 * Which positions pixel flipping replaces, and in which order. A position is a flat index over the input's
 * non-channel axes (row-major); all channels of a position are flipped together.
 */
import { argumentError, described } from '../util/errors.js';
import { Rng, sampleWithoutReplacement } from '../util/rng.js';

/** Flip the most relevant positions first (MoRF, default) or the least relevant first (LeRF). */
export type FlipOrder = 'most-relevant-first' | 'least-relevant-first';

/** The flip orders, for validation and command-line choices. */
export const flipOrders = ['most-relevant-first', 'least-relevant-first'] as const satisfies readonly FlipOrder[];

/** How an input of a given shape splits into positions and channels. */
export interface PositionLayout {
  /** Input shape without the batch axis. */
  inputShape: number[];
  /** The non-channel axes (the heatmap's shape). */
  positionShape: number[];
  /** Number of positions (product of `positionShape`). */
  positions: number;
  /** Values per position (the last axis for inputs of rank ≥ 2 without batch, else 1). */
  channels: number;
}

/**
 * Splits an input shape (without batch axis) as the heatmaps do: the last axis is the channel axis when there are
 * two or more axes (`[129, 1]` → 129 positions × 1 channel, `[129, 113, 3]` → 14577 × 3); a single axis has no
 * channels (`[129]` → 129 × 1).
 */
export function positionLayout(inputShape: readonly number[]): PositionLayout {
  const shape = [...inputShape];
  const positionShape = shape.length >= 2 ? shape.slice(0, -1) : shape;
  const channels = shape.length >= 2 ? shape[shape.length - 1] : 1;
  return { inputShape: shape, positionShape, positions: positionShape.reduce((a, b) => a * b, 1), channels };
}

/**
 * Positions sorted by relevance: descending for `'most-relevant-first'`, ascending for `'least-relevant-first'`; ties
 * keep index order (a stable sort, so the order is reproducible). Returns the first `count` positions.
 * Throws INVALID_ARGUMENT (naming `argument` of `functionName`) for NaN relevance.
 */
export function relevanceOrder(
  relevance: ArrayLike<number>,
  order: FlipOrder,
  count: number,
  functionName: string,
  argument = 'heatmaps',
): number[] {
  for (let i = 0; i < relevance.length; i++) {
    if (Number.isNaN(relevance[i]))
      throw argumentError(functionName, argument, 'free of NaN', described(`NaN at position ${i}`));
  }
  const sign = order === 'most-relevant-first' ? -1 : 1;
  const indices = Array.from({ length: relevance.length }, (_, i) => i);
  indices.sort((a, b) => sign * (relevance[a] - relevance[b]) || a - b);
  return indices.slice(0, count);
}

/** `count` distinct random positions out of `positions`, drawn without replacement from `rng`. */
export function randomOrder(positions: number, count: number, rng: Rng): number[] {
  return sampleWithoutReplacement(positions, count, rng);
}
