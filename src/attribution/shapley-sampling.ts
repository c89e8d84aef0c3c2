import type { ModelInput } from '../execution/explainable-model.js';
import { PERMUTATIONS_OPTION } from './method-specs.js';
import type { InputLike } from '../execution/inputs.js';
import { checkOption } from '../util/option-spec.js';
import { createRng, type Rng } from '../util/rng.js';
import { type GroupMethodOptions, exampleRows, runGroupMethod } from './group-method.js';
import type { AttributionResult } from './types.js';

/** Options of {@link shapleySampling}. */
export interface ShapleySamplingOptions extends GroupMethodOptions {
  /** Random permutations (default 32, rounded up to an even count for antithetic pairs; ≥ G! enumerates all G!). */
  permutations?: number;
}

export { PERMUTATIONS_OPTION } from './method-specs.js';

export { SHAPLEY_SAMPLING_OPTIONS } from './method-specs.js';

function factorial(n: number): number {
  let f = 1;
  for (let i = 2; i <= n; i++) f *= i;
  return f;
}

/** Every permutation of 0..n−1 in lexicographic order. */
function allPermutations(n: number): Uint16Array[] {
  const out: Uint16Array[] = [];
  const p = Uint16Array.from({ length: n }, (_, i) => i);
  for (;;) {
    out.push(p.slice());
    let i = n - 2;
    while (i >= 0 && p[i] >= p[i + 1]) i--;
    if (i < 0) return out;
    let j = n - 1;
    while (p[j] <= p[i]) j--;
    [p[i], p[j]] = [p[j], p[i]];
    p.subarray(i + 1).reverse();
  }
}

/** `pairs` random permutations of 0..n−1 (Fisher-Yates), each followed by its reverse (antithetic pairs). */
function antitheticPermutations(n: number, pairs: number, rng: Rng): Uint16Array[] {
  const out: Uint16Array[] = [];
  for (let k = 0; k < pairs; k++) {
    const p = Uint16Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    out.push(p, p.slice().reverse());
  }
  return out;
}

/**
 * Shapley value sampling (Castro et al. 2009; Captum's `ShapleyValueSampling` with a `feature_mask`): groups are
 * added to the baseline one at a time in random orders, and a group's value is its mean marginal contribution
 * v(before ∪ {g}) − v(before). Permutations come in antithetic pairs (an order and its reverse; Mitchell et al. 2022),
 * and the standard error of each group is the spread of the pair means / √pairs. With `permutations` ≥ G! every
 * order is taken once: the exact Shapley values, standard errors 0. Every permutation telescopes to f(x) − f(baseline),
 * so `delta` (the efficiency gap) is at float rounding. One row per permutation step and example (the empty and full
 * coalitions once per example), in chunks of `batchSize` rows; seeded by `seed`.
 *
 * Options: `permutations` (32), `groups`, `baseline` (zeros), `frequencyHz`, `seed`, and the shared options.
 * Result adds `standardErrors`. Tensors are owned by the caller.
 * @example const r = await shapleySampling(model, x, { groups: 'bands:8', permutations: 200, seed: 1 });
 */
export async function shapleySampling(
  model: ModelInput,
  inputs: InputLike,
  options: ShapleySamplingOptions = {},
): Promise<AttributionResult> {
  const functionName = 'shapleySampling';
  const requested = checkOption(functionName, PERMUTATIONS_OPTION, options.permutations) as number;
  const frame = { method: 'shapley-sampling', functionName, hasDelta: true };
  return runGroupMethod(frame, model, inputs, options, async ({ examples, full, evaluate }) => {
    const rng = createRng(options.seed);
    const plans = examples.map((ex) => {
      const n = ex.groups.length;
      const exhaustive = n <= 8 && factorial(n) <= requested;
      return {
        exhaustive,
        orders: exhaustive ? allPermutations(n) : antitheticPermutations(n, Math.ceil(requested / 2), rng),
      };
    });
    // Per example: row 0 is the empty coalition, then for each order its prefixes of sizes 1..G−1.
    const rows = exampleRows(examples.map((ex, e) => 1 + plans[e].orders.length * (ex.groups.length - 1)));
    const scores = await evaluate(rows.total, (k) => {
      const [example, index] = rows.at(k);
      const n = examples[example].groups.length;
      const present = new Uint8Array(n);
      if (index > 0) {
        const order = plans[example].orders[Math.floor((index - 1) / (n - 1))];
        const size = ((index - 1) % (n - 1)) + 1;
        for (let i = 0; i < size; i++) present[order[i]] = 1;
      }
      return { example, present };
    });
    let offset = 0;
    return examples.map((ex, e) => {
      const n = ex.groups.length;
      const { orders, exhaustive } = plans[e];
      const empty = scores[offset];
      const contributions = orders.map((order, o) => {
        const c = new Float64Array(n);
        let previous = empty;
        for (let i = 0; i < n; i++) {
          const current = i === n - 1 ? full[e] : scores[offset + 1 + o * (n - 1) + i];
          c[order[i]] = current - previous;
          previous = current;
        }
        return c;
      });
      offset += 1 + orders.length * (n - 1);
      const values = new Float64Array(n);
      contributions.forEach((c) => c.forEach((v, g) => (values[g] += v / orders.length)));
      const standardErrors = new Float64Array(n);
      if (!exhaustive) {
        const pairs = orders.length / 2;
        for (let p = 0; p < pairs; p++)
          for (let g = 0; g < n; g++) {
            const mean = (contributions[2 * p][g] + contributions[2 * p + 1][g]) / 2;
            standardErrors[g] += (mean - values[g]) ** 2;
          }
        for (let g = 0; g < n; g++)
          standardErrors[g] = pairs > 1 ? Math.sqrt(standardErrors[g] / (pairs - 1) / pairs) : NaN;
      }
      const sum = values.reduce((a, b) => a + b, 0);
      return { values, standardErrors, delta: sum - (full[e] - empty) };
    });
  });
}
