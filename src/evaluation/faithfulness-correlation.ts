/** Faithfulness correlation (Bhatt et al. 2020): do the relevance sums of random subsets predict the score drops? */
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { RequestOptions, withModelRequest, type ModelRequest } from '../session/model-request.js';
import { argumentError } from '../util/errors.js';
import { createRng, sampleWithoutReplacement } from '../util/rng.js';
import { AttributionsLike, attributionRows } from './attribution-rows.js';
import { removalSetup } from './perturbation-curves.js';
import { pearson } from './rank-correlation.js';
import type { StatisticsOption } from './replacement-statistics.js';
import { rowScore, scoreRows } from './score-rows.js';

/** Options of {@link faithfulnessCorrelation}. */
export interface FaithfulnessCorrelationOptions extends RequestOptions {
  /** Attributions in the inputs' shape, one map per example. */
  attributions: AttributionsLike;
  /** Random subsets per example (default 100). */
  perturbations?: number;
  /** Size of each subset as a fraction of all positions (default 0.1; at least one position). */
  subsetFraction?: number;
  /** Where the removal values come from (default `'auto'`, as deletion). */
  statistics?: StatisticsOption;
}

const FUNCTION = 'faithfulnessCorrelation';

/** Faithfulness correlation of attribution rows (one Float32Array per example) within a request. */
export async function faithfulnessCorrelationOf(
  request: ModelRequest,
  attributions: readonly Float32Array[],
  options: Omit<FaithfulnessCorrelationOptions, 'attributions'> & { seed: number },
): Promise<number[]> {
  const runs = options.perturbations ?? 100;
  if (!Number.isInteger(runs) || runs < 2) throw argumentError(FUNCTION, 'perturbations', 'an integer ≥ 2', runs);
  const share = options.subsetFraction ?? 0.1;
  if (typeof share !== 'number' || !(share > 0 && share <= 1))
    throw argumentError(FUNCTION, 'subsetFraction', 'a number in (0, 1]', share);
  const { layout, inputs, removed } = removalSetup(FUNCTION, request, options.statistics, options.seed);
  const size = Math.max(1, Math.round(share * layout.positions));
  const { channels } = layout;
  const batch = inputs.length;
  const sums = inputs.map(() => new Float64Array(runs));
  const scores = await scoreRows(request, batch * runs, (row, buffer, offset) => {
    const e = Math.floor(row / runs);
    const s = row % runs;
    const subset = sampleWithoutReplacement(layout.positions, size, createRng(`${options.seed}:subset:${e}:${s}`));
    buffer.set(inputs[e], offset);
    let sum = 0;
    for (const p of subset) {
      for (let c = 0; c < channels; c++) {
        const i = p * channels + c;
        buffer[offset + i] = removed[e][i];
        sum += attributions[e][i];
      }
    }
    sums[e][s] = sum;
  });
  return inputs.map((_, e) => {
    const target = request.targets[e];
    const original = request.rows[e][target];
    const drops = Array.from({ length: runs }, (_, s) => original - rowScore(scores, e * runs + s, target));
    return pearson(sums[e], drops);
  });
}

/**
 * Faithfulness correlation (Bhatt et al. 2020, "Evaluating and aggregating feature-based model explanations"): for
 * `perturbations` random subsets S of the positions (each `subsetFraction` of them), the Pearson correlation between
 * the attributions' sum over S and the drop of the target score when S is replaced by its removal values (as deletion:
 * `mean + std·z` of the replacement statistics, one z per position). 1 = the relevance sums predict the drops
 * perfectly; 0 = unrelated (also when either side is constant); negative = relevance points the wrong way.
 *
 * Options: `attributions` (required), `perturbations` (100), `subsetFraction` (0.1), `statistics` ('auto'), `target`,
 * `output`, `scores` ('logits'), `batchSize`, `seed`. Returns one number per example.
 * @example const [rho] = await faithfulnessCorrelation(model, x, { attributions: result.attributions, seed: 0 });
 */
export async function faithfulnessCorrelation(
  modelInput: ModelInput,
  inputs: InputLike,
  options: FaithfulnessCorrelationOptions,
): Promise<number[]> {
  return withModelRequest(FUNCTION, modelInput, inputs, options, async (request) => {
    const batch = request.x.shape[0];
    const rows = attributionRows(FUNCTION, options?.attributions, batch, request.x.size / batch);
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    return faithfulnessCorrelationOf(request, rows, { ...options, seed });
  });
}
