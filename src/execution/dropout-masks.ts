/**
 * The keep-masks of Monte-Carlo dropout for one pass, from its {@link DropoutSettings}: per row, one mask for the
 * whole batch, or one thinned network per row seed (Monte-Carlo samples as rows of one batch).
 */
import * as tf from '@tensorflow/tfjs';
import { argumentError } from '../util/errors.js';
import { createRng } from '../util/rng.js';
import type { DropoutSettings } from './execution-settings.js';

/** Draws the 0/1 keep-mask of one Dropout layer for an activation of `shape` (the pass's next mask). */
export type DropoutKeepMask = (shape: readonly number[], rate: number) => tf.Tensor;

function uniformKeep(shape: readonly number[], rate: number, seed: number): tf.Tensor {
  return tf.cast(tf.greaterEqual(tf.randomUniform([...shape], 0, 1, 'float32', seed), rate), 'float32');
}

/**
 * The mask source of one pass: `null` without dropout. Each Dropout layer advances the seed stream of the pass (one
 * stream per distinct row seed with `rowSeeds`), so a pass with the same settings and batch draws the same masks.
 * With `rowSeeds`, row r gets exactly the `[1, ...]` masks that `{ seed: rowSeeds[r], fixedMasks: true }` draws, so a
 * sample's network does not depend on which rows share its batch.
 */
export function dropoutKeepMasks(settings: DropoutSettings | undefined): DropoutKeepMask | null {
  if (settings === undefined) return null;
  const rowSeeds = settings.rowSeeds;
  if (rowSeeds === undefined) {
    const rng = createRng(settings.seed);
    return (shape, rate) =>
      uniformKeep(settings.fixedMasks === true ? [1, ...shape.slice(1)] : shape, rate, rng.int32());
  }
  // Runs of equal seeds (rows of one sample are usually adjacent) and one seed stream per distinct seed.
  const streams = new Map<number, () => number>();
  for (const seed of rowSeeds) {
    if (!streams.has(seed)) {
      const rng = createRng(seed);
      streams.set(seed, () => rng.int32());
    }
  }
  const runs: { seed: number; rows: number }[] = [];
  for (const seed of rowSeeds) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.seed === seed) last.rows++;
    else runs.push({ seed, rows: 1 });
  }
  return (shape, rate) => {
    if (shape[0] !== rowSeeds.length)
      throw argumentError('run', 'execution.dropout.rowSeeds', `one seed per row (${shape[0]})`, rowSeeds.length);
    const one = [1, ...shape.slice(1)];
    const masks = new Map<number, tf.Tensor>();
    for (const [seed, next] of streams) masks.set(seed, uniformKeep(one, rate, next()));
    const parts = runs.map(({ seed, rows }) => {
      const mask = masks.get(seed) as tf.Tensor;
      return rows === 1 ? mask : tf.tile(mask, [rows, ...one.slice(1).map(() => 1)]);
    });
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  };
}
