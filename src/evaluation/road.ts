/** ROAD (remove and debias): removal by noisy linear imputation instead of a constant, against random orders. */
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { RequestOptions, withModelRequest, type ModelRequest } from '../session/model-request.js';
import { argumentError } from '../util/errors.js';
import { createRng } from '../util/rng.js';
import { HeatmapsLike, heatmapRows } from './pixel-flipping.js';
import { positionLayout, randomOrder, relevanceOrder } from './flip-order.js';
import { CurveSummary, randomSeedList, removalSetup, summarise } from './perturbation-curves.js';
import type { StatisticsOption } from './replacement-statistics.js';
import { noisyLinearImputation } from './noisy-linear-imputation.js';
import { rowScore, scoreRows } from './score-rows.js';

/** The paper's removal fractions: 10 %, 20 %, ..., 90 %. */
export const ROAD_FRACTIONS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

/** Options of {@link road}. */
export interface RoadOptions extends RequestOptions {
  /** Relevance per position, one map per example (e.g. `AttributionResult.heatmaps`). */
  heatmaps: HeatmapsLike;
  /** Fractions of all positions removed, increasing, in (0, 1) (default {@link ROAD_FRACTIONS}). */
  fractions?: readonly number[];
  /** Standard deviation of the imputation noise, in units of each input's own standard deviation (default 0.01). */
  noise?: number;
  /** Random orders: their number (seeds `seed`, `seed+1`, ...; default 5) or the seeds. */
  randomSeeds?: number | readonly number[];
  /** Statistics of the fully removed input that fixes 0 on the normalised scale (default `'auto'`). */
  statistics?: StatisticsOption;
  /** Called with (rows evaluated, total rows). */
  onProgress?: (done: number, total: number) => void;
}

const FUNCTION = 'road';

function checkFractions(fractions: readonly number[]): void {
  const ok =
    Array.isArray(fractions) &&
    fractions.length > 0 &&
    fractions.every((f, i) => typeof f === 'number' && f > 0 && f < 1 && (i === 0 || f > fractions[i - 1]));
  if (!ok) throw argumentError(FUNCTION, 'fractions', 'increasing numbers in (0, 1)', fractions);
}

/** ROAD curves of several relevance maps (`[map][example]`) and random orders as one stream of rows. */
export async function roadCurves(
  request: ModelRequest,
  relevance: readonly (readonly ArrayLike<number>[])[],
  options: Omit<RoadOptions, 'heatmaps'> & { seed: number },
  onRows?: (done: number, total: number) => void,
): Promise<CurveSummary[][]> {
  const fractions = options.fractions ?? ROAD_FRACTIONS;
  checkFractions(fractions);
  const noise = options.noise ?? 0.01;
  if (typeof noise !== 'number' || !(noise >= 0)) throw argumentError(FUNCTION, 'noise', 'a number ≥ 0', noise);
  const setup = removalSetup(FUNCTION, request, options.statistics, options.seed);
  const { layout, inputs, removed } = setup;
  const batch = inputs.length;
  const counts = fractions.map((f) => Math.max(1, Math.round(f * layout.positions)));
  const most = counts[counts.length - 1];
  const seeds = randomSeedList(options.randomSeeds, options.seed);
  const orders: number[][][] = [
    ...relevance.map((maps) => maps.map((map) => relevanceOrder(map, 'most-relevant-first', most, FUNCTION))),
    ...seeds.map((s) => inputs.map((_, e) => randomOrder(layout.positions, most, createRng(`${s}:positions:${e}`)))),
  ];
  const spreads = inputs.map((x) => {
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length;
    let variance = 0;
    for (const v of x) variance += (v - mean) ** 2;
    return Math.sqrt(variance / x.length);
  });
  const curveRows = counts.length * batch;
  const total = batch + orders.length * curveRows;
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
      const step = Math.floor((r % curveRows) / batch);
      const e = r % batch;
      const mask = new Uint8Array(layout.positions);
      for (let j = 0; j < counts[step]; j++) mask[orders[curve][e][j]] = 1;
      const rng = createRng(`${options.seed}:road:${curve}:${step}:${e}`);
      buffer.set(noisyLinearImputation(inputs[e], layout, mask, noise * spreads[e], rng), offset);
    },
    (done) => onRows?.(done, total),
  );
  const curveFractions = [0, ...counts.map((c) => c / layout.positions)];
  return relevance.map((_, m) =>
    inputs.map((_, e) => {
      const target = request.targets[e];
      const original = request.rows[e][target];
      const removedScore = rowScore(scores, e, target);
      const curveOf = (curve: number): number[] => [
        original,
        ...counts.map((_, k) => rowScore(scores, batch + curve * curveRows + k * batch + e, target)),
      ];
      return summarise(
        'deletion',
        curveFractions,
        curveOf(m),
        seeds.map((_, s) => curveOf(relevance.length + s)),
        original,
        removedScore,
      );
    }),
  );
}

/**
 * ROAD, remove and debias (Rong et al. 2022): removes the most relevant 10 %, 20 %, ..., 90 % of the positions, each
 * removed value imputed by noisy linear imputation (the weighted mean of its neighbours, solved jointly, plus
 * N(0, (noise·std of the input)²)), so that the shape of the removed region does not itself tell the model what was
 * removed; the same for random orders. Summarised as deletion is: the mean normalised score over the removal fractions,
 * where 1 is the original input's target score and 0 the score with every position replaced by its removal value (as
 * deletion). Lower is better, and it should be below the random orders' (`overRandom` > 0).
 *
 * Options: `heatmaps` (required), `fractions` (0.1..0.9), `noise` (0.01), `randomSeeds` (5), `statistics` ('auto'),
 * `target`, `output`, `scores` ('logits'), `batchSize`, `seed`. Returns one {@link CurveSummary} per example.
 * @example const [curve] = await road(model, x, { heatmaps: result.heatmaps, seed: 0 });
 */
export async function road(modelInput: ModelInput, inputs: InputLike, options: RoadOptions): Promise<CurveSummary[]> {
  return withModelRequest(FUNCTION, modelInput, inputs, options, async (request) => {
    const layout = positionLayout(request.x.shape.slice(1));
    const relevance = heatmapRows(FUNCTION, options?.heatmaps, request.x.shape[0], layout);
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const [curves] = await roadCurves(request, [relevance], { ...options, seed }, options.onProgress);
    return curves;
  });
}
