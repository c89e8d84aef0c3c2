import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { WingbeatsError } from '../util/errors.js';
import { type GroupMethodOptions, exampleRows, runGroupMethod } from './group-method.js';
import type { AttributionResult } from './types.js';

/** The largest number of groups exact Shapley values enumerate (2^16 = 65 536 forward passes per example). */
export const MAX_EXACT_SHAPLEY_GROUPS = 16;

export { SHAPLEY_OPTIONS } from './method-specs.js';

/** Shapley weights |S|!(G − |S| − 1)!/G! by coalition size |S| = 0..G−1. */
export function shapleyWeights(groups: number): Float64Array {
  const weights = new Float64Array(groups);
  for (let s = 0; s < groups; s++) {
    // s!(G−s−1)!/G! = 1 / (G · C(G−1, s))
    let binomial = 1;
    for (let i = 1; i <= s; i++) binomial = (binomial * (groups - 1 - s + i)) / i;
    weights[s] = 1 / (groups * binomial);
  }
  return weights;
}

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count++;
  return count;
}

/** Refuses more groups than {@link MAX_EXACT_SHAPLEY_GROUPS}, saying what it would cost. */
export function checkExactGroups(functionName: string, groups: number, examples: number): void {
  if (groups <= MAX_EXACT_SHAPLEY_GROUPS) return;
  const rows = 2 ** groups;
  const count = (n: number): string => (n < 1e15 ? n.toLocaleString('en-US') : n.toExponential(2));
  throw new WingbeatsError(
    'INVALID_ARGUMENT',
    `Argument 'groups' passed to '${functionName}' must give at most ${MAX_EXACT_SHAPLEY_GROUPS} groups for exact Shapley values but gave ${groups}: all 2^${groups} = ${count(rows)} coalitions would cost ${count(rows - 1)} forward passes per example (${count((rows - 1) * examples)} in all). Use fewer groups (e.g. 'bands:8'), or 'shapley-sampling' / 'kernel-shap'.`,
  );
}

/**
 * Exact Shapley values over feature groups (Shapley 1953; Captum's `ShapleyValues` with a `feature_mask`): the value
 * of a coalition S of groups is the target score with the groups outside S replaced by the baseline, and
 * φ_i = Σ_{S ⊆ N∖{i}} |S|!(G − |S| − 1)!/G! · (v(S ∪ {i}) − v(S)). All 2^G − 1 coalitions but the full one (whose
 * value is f(x)) are evaluated, in chunks of `batchSize` rows; refused above {@link MAX_EXACT_SHAPLEY_GROUPS} groups.
 * `delta` is the efficiency gap Σφ − (f(x) − f(baseline)), at float rounding.
 *
 * Options: `groups` (default every position alone, so give groups for any real input), `baseline` (zeros),
 * `frequencyHz`, and the shared options. Tensors are owned by the caller.
 * @throws WingbeatsError INVALID_ARGUMENT with the cost when there are more than 16 groups.
 * @example const { groupAttributions, delta } = await shapley(model, x, { groups: 'bands:8' });
 */
export async function shapley(
  model: ModelInput,
  inputs: InputLike,
  options: GroupMethodOptions = {},
): Promise<AttributionResult> {
  const frame = { method: 'shapley', functionName: 'shapley', hasDelta: true };
  return runGroupMethod(frame, model, inputs, options, async ({ examples, full, evaluate }) => {
    examples.forEach((ex) => checkExactGroups(frame.functionName, ex.groups.length, examples.length));
    const rows = exampleRows(examples.map((ex) => 2 ** ex.groups.length - 1));
    const scores = await evaluate(rows.total, (k) => {
      const [example, mask] = rows.at(k);
      const count = examples[example].groups.length;
      return { example, present: Uint8Array.from({ length: count }, (_, g) => (mask >> g) & 1) };
    });
    let offset = 0;
    return examples.map((ex, e) => {
      const count = ex.groups.length;
      const coalitions = 2 ** count;
      const value = new Float64Array(coalitions);
      value.set(scores.subarray(offset, offset + coalitions - 1));
      value[coalitions - 1] = full[e];
      offset += coalitions - 1;
      const weights = shapleyWeights(count);
      const values = new Float64Array(count);
      for (let mask = 0; mask < coalitions; mask++) {
        const w = weights[popcount(mask)];
        for (let g = 0; g < count; g++)
          if (((mask >> g) & 1) === 0) values[g] += w * (value[mask | (1 << g)] - value[mask]);
      }
      const sum = values.reduce((a, b) => a + b, 0);
      return { values, delta: sum - (full[e] - value[0]) };
    });
  });
}
