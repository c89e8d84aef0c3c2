/**
 * Deletion and insertion curves (Petsiuk et al. 2018; Samek et al. 2017) of one or more relevance orders against
 * random orders, over the same removal: every position of an example has ONE replacement value, drawn once from the
 * replacement statistics (`mean + std·z`, one standard-normal z per position shared by its channels), so the
 * explanation's curve and every random curve remove the same thing and differ only in the order. Scores are
 * normalised between the input with every position removed (0) and the original input (1).
 */
import type { ModelRequest } from '../session/model-request.js';
import { createRng } from '../util/rng.js';
import { PositionLayout, positionLayout, randomOrder, relevanceOrder } from './flip-order.js';
import { flipSchedule } from './pixel-flipping.js';
import { StatisticsOption, StatisticsSource, replacementStatistics } from './replacement-statistics.js';
import { Spread, spread } from './curve-summaries.js';
import { rowScore, scoreRows } from './score-rows.js';

/** Deletion: remove positions from the input; insertion: put the input's values back into the fully removed input. */
export type CurveMode = 'deletion' | 'insertion';

/** Options shared by deletion, insertion and ROAD. */
export interface CurveOptions {
  /** Fraction of all positions removed (deletion) or inserted (insertion) in total (default 1). */
  fraction?: number;
  /** Fraction of all positions per step (default 0.01), at least one position. */
  step?: number;
  /** Where the replacement values come from (default `'auto'`, see `StatisticsOption`). */
  statistics?: StatisticsOption;
  /** Random orders to compare with: their number (seeds `seed`, `seed+1`, ...; default 5) or the seeds. */
  randomSeeds?: number | readonly number[];
}

/** One example's curve summary (all plain numbers). */
export interface CurveSummary {
  /**
   * Mean normalised score over the curve (trapezoid area divided by the fraction covered), where 1 is the original
   * input's target score and 0 the score with every position removed. Deletion: lower is better; insertion: higher.
   * NaN when removing everything does not lower the score (the curve cannot be normalised).
   */
  auc: number;
  /** The same number for each random order: mean, spread and values. */
  random: Spread;
  /** How much better than the random orders' mean (deletion: random − auc; insertion: auc − random); > 0 = better. */
  overRandom: number;
  /** Fraction of all positions removed or inserted after each step (from 0). */
  fractions: number[];
  /** The target score after each step in the explanation's order (step 0: original input, or removed for insertion). */
  scores: number[];
  /** The target score after each step of each random order. */
  randomScores: number[][];
  /** The target score of the original input. */
  originalScore: number;
  /** The target score of the input with every position removed. */
  removedScore: number;
}

/** What every curve of a request shares. */
export interface RemovalSetup {
  layout: PositionLayout;
  /** The clean inputs, one row per example. */
  inputs: Float32Array[];
  /** The fully removed input of each example. */
  removed: Float32Array[];
  source: StatisticsSource;
}

/** The clean and fully removed inputs of each example (replacement values drawn from `seed`). */
export function removalSetup(
  functionName: string,
  request: ModelRequest,
  statistics: StatisticsOption | undefined,
  seed: number,
): RemovalSetup {
  const data = request.x.dataSync() as Float32Array;
  const batch = request.x.shape[0];
  const layout = positionLayout(request.x.shape.slice(1));
  const stats = replacementStatistics(functionName, statistics, request.model, data, batch, layout);
  const size = layout.positions * layout.channels;
  const inputs = Array.from({ length: batch }, (_, e) => data.slice(e * size, (e + 1) * size));
  const removed = inputs.map((_, e) => {
    const rng = createRng(`${seed}:removed:${e}`);
    const out = new Float32Array(size);
    for (let p = 0; p < layout.positions; p++) {
      const z = rng.normal();
      for (let c = 0; c < layout.channels; c++) {
        const i = p * layout.channels + c;
        out[i] = stats.mean[e][i] + stats.std[e][i] * z;
      }
    }
    return out;
  });
  return { layout, inputs, removed, source: stats.source };
}

/** The random seeds of `randomSeeds` (a count from `seed`, or the list). */
export function randomSeedList(option: number | readonly number[] | undefined, seed: number): number[] {
  if (option === undefined || typeof option === 'number')
    return Array.from({ length: option ?? 5 }, (_, i) => seed + i);
  return [...option];
}

/** Normalised score `(s − removed) / (original − removed)`; NaN when `original ≤ removed`. */
export function normalisedScore(score: number, original: number, removed: number): number {
  return original > removed ? (score - removed) / (original - removed) : Number.NaN;
}

/** Trapezoid area of `values` over `fractions`, divided by the last fraction (the mean height of the curve). */
export function meanCurveHeight(values: readonly number[], fractions: readonly number[]): number {
  let area = 0;
  for (let k = 1; k < values.length; k++) area += ((fractions[k] - fractions[k - 1]) * (values[k] + values[k - 1])) / 2;
  return area / fractions[fractions.length - 1];
}

/** Summaries of one example from its explanation curve and its random curves (raw target scores). */
export function summarise(
  mode: CurveMode,
  fractions: number[],
  scores: number[],
  randomScores: number[][],
  originalScore: number,
  removedScore: number,
): CurveSummary {
  const height = (curve: number[]): number =>
    meanCurveHeight(
      curve.map((s) => normalisedScore(s, originalScore, removedScore)),
      fractions,
    );
  const auc = height(scores);
  const random = spread(randomScores.map(height));
  return {
    auc,
    random,
    overRandom: mode === 'deletion' ? random.mean - auc : auc - random.mean,
    fractions,
    scores,
    randomScores,
    originalScore,
    removedScore,
  };
}

/**
 * Deletion or insertion curves of every relevance map in `relevance` (per map, one array of positions per example)
 * and of `randomSeeds` random orders, evaluated as one chunked stream of rows. Returns `[map][example]` summaries.
 */
export async function perturbationCurves(
  functionName: string,
  request: ModelRequest,
  mode: CurveMode,
  relevance: readonly (readonly ArrayLike<number>[])[],
  options: CurveOptions & { seed: number },
  onRows?: (done: number, total: number) => void,
): Promise<CurveSummary[][]> {
  const setup = removalSetup(functionName, request, options.statistics, options.seed);
  const { layout, inputs, removed } = setup;
  const batch = inputs.length;
  const { perStep, steps } = flipSchedule(functionName, layout.positions, options.fraction ?? 1, options.step ?? 0.01);
  const flipped = perStep * steps;
  const seeds = randomSeedList(options.randomSeeds, options.seed);
  const orders: number[][][] = [
    ...relevance.map((maps) => maps.map((map) => relevanceOrder(map, 'most-relevant-first', flipped, functionName))),
    ...seeds.map((s) => inputs.map((_, e) => randomOrder(layout.positions, flipped, createRng(`${s}:positions:${e}`)))),
  ];
  const curveRows = steps * batch;
  const total = batch + orders.length * curveRows;
  const { channels } = layout;
  const scores = await scoreRows(
    request,
    total,
    (row, buffer, offset) => {
      if (row < batch) {
        buffer.set(removed[row], offset);
        return;
      }
      const r = row - batch;
      const curve = Math.floor(r / curveRows);
      const step = Math.floor((r % curveRows) / batch) + 1;
      const e = r % batch;
      const [start, source] = mode === 'deletion' ? [inputs[e], removed[e]] : [removed[e], inputs[e]];
      buffer.set(start, offset);
      const order = orders[curve][e];
      for (let j = 0; j < step * perStep; j++) {
        const base = order[j] * channels;
        for (let c = 0; c < channels; c++) buffer[offset + base + c] = source[base + c];
      }
    },
    (done) => onRows?.(done, total),
  );
  const fractions = Array.from({ length: steps + 1 }, (_, k) => (k * perStep) / layout.positions);
  const results: CurveSummary[][] = [];
  for (let m = 0; m < relevance.length; m++) {
    results.push(
      inputs.map((_, e) => {
        const target = request.targets[e];
        const original = request.rows[e][target];
        const removedScore = rowScore(scores, e, target);
        const curveOf = (curve: number): number[] => [
          mode === 'deletion' ? original : removedScore,
          ...Array.from({ length: steps }, (_, k) =>
            rowScore(scores, batch + curve * curveRows + k * batch + e, target),
          ),
        ];
        const randomScores = seeds.map((_, s) => curveOf(relevance.length + s));
        return summarise(mode, fractions, curveOf(m), randomScores, original, removedScore);
      }),
    );
  }
  return results;
}
