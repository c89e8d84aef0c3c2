import type { ModelInput } from '../execution/explainable-model.js';
import { COALITIONS_OPTION } from './method-specs.js';
import type { InputLike } from '../execution/inputs.js';
import { checkOption } from '../util/option-spec.js';
import { createRng, type Rng } from '../util/rng.js';
import { type GroupMethodOptions, exampleRows, runGroupMethod } from './group-method.js';
import { constrainedLeastSquares } from './least-squares.js';
import type { AttributionResult } from './types.js';

/** Options of {@link kernelShap}. */
export interface KernelShapOptions extends GroupMethodOptions {
  /** Sampled coalitions (default 256, rounded up to even: pairs of a coalition and its complement). */
  coalitions?: number;
}

export { COALITIONS_OPTION } from './method-specs.js';

export { KERNEL_SHAP_OPTIONS } from './method-specs.js';

/** Bootstrap resamples of the standard errors. */
const BOOTSTRAP = 100;

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** The Shapley kernel weight of one coalition of size s of G groups: (G − 1) / (C(G, s) · s · (G − s)). */
export function shapleyKernel(groups: number, size: number): number {
  return (groups - 1) / (binomial(groups, size) * size * (groups - size));
}

/** `pairs` coalitions drawn from the Shapley kernel distribution, each followed by its complement. */
function pairedCoalitions(n: number, pairs: number, rng: Rng): Uint8Array[] {
  const sizeWeights = Array.from({ length: n - 1 }, (_, i) => (n - 1) / ((i + 1) * (n - 1 - i)));
  const totalWeight = sizeWeights.reduce((a, b) => a + b, 0);
  const out: Uint8Array[] = [];
  const order = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < pairs; k++) {
    let u = rng.uniform() * totalWeight;
    let size = 1;
    while (size < n - 1 && u >= sizeWeights[size - 1]) u -= sizeWeights[size++ - 1];
    for (let i = 0; i < size; i++) {
      const j = i + rng.int(n - i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const z = new Uint8Array(n);
    for (let i = 0; i < size; i++) z[order[i]] = 1;
    out.push(
      z,
      z.map((v) => 1 - v),
    );
  }
  return out;
}

/** Every coalition but the empty and the full one, with its Shapley kernel weight. */
function everyCoalition(n: number): { z: Uint8Array[]; w: number[] } {
  const z: Uint8Array[] = [];
  const w: number[] = [];
  for (let mask = 1; mask < 2 ** n - 1; mask++) {
    const row = Uint8Array.from({ length: n }, (_, g) => (mask >> g) & 1);
    z.push(row);
    w.push(
      shapleyKernel(
        n,
        row.reduce((a, b) => a + b, 0),
      ),
    );
  }
  return { z, w };
}

/**
 * KernelSHAP (Lundberg & Lee 2017; Captum's `KernelShap` with a `feature_mask`): the Shapley values as the weighted
 * least-squares fit of v(S) − v(∅) ≈ Σ_{i∈S} φ_i over coalitions S, with the efficiency constraint Σφ = f(x) − v(∅)
 * enforced exactly (a Lagrange multiplier). With `coalitions` ≥ 2^G − 2 every coalition is taken with its Shapley
 * kernel weight (G − 1)/(C(G,|S|)·|S|·(G − |S|)): the exact Shapley values, standard errors 0. Otherwise coalitions
 * are drawn from the kernel distribution (size s ∝ (G − 1)/(s(G − s)), then a uniform subset) in pairs with their
 * complements (Covert & Lee 2021), each with weight 1, and the standard errors are the spread of 100 bootstrap
 * refits over the pairs (no further model calls). `delta` is the efficiency gap (at float rounding by construction).
 *
 * Options: `coalitions` (256), `groups`, `baseline` (zeros), `frequencyHz`, `seed`, and the shared options.
 * Result adds `standardErrors`. Tensors are owned by the caller.
 * @example const r = await kernelShap(model, x, { groups: 'bands:8', coalitions: 1000, seed: 1 });
 */
export async function kernelShap(
  model: ModelInput,
  inputs: InputLike,
  options: KernelShapOptions = {},
): Promise<AttributionResult> {
  const functionName = 'kernelShap';
  const requested = checkOption(functionName, COALITIONS_OPTION, options.coalitions) as number;
  const frame = { method: 'kernel-shap', functionName, hasDelta: true };
  return runGroupMethod(frame, model, inputs, options, async ({ examples, full, evaluate }) => {
    const rng = createRng(options.seed);
    const plans = examples.map((ex) => {
      const n = ex.groups.length;
      if (n <= 20 && 2 ** n - 2 <= requested) return { exhaustive: true, ...everyCoalition(n) };
      const z = n < 2 ? [] : pairedCoalitions(n, Math.ceil(requested / 2), rng);
      return { exhaustive: false, z, w: z.map(() => 1) };
    });
    // Per example: row 0 is the empty coalition, then the plan's coalitions.
    const rows = exampleRows(plans.map((p) => 1 + p.z.length));
    const scores = await evaluate(rows.total, (k) => {
      const [example, index] = rows.at(k);
      return {
        example,
        present: index === 0 ? new Uint8Array(examples[example].groups.length) : plans[example].z[index - 1],
      };
    });
    let offset = 0;
    return examples.map((ex, e) => {
      const n = ex.groups.length;
      const plan = plans[e];
      const empty = scores[offset];
      const y = scores.subarray(offset + 1, offset + 1 + plan.z.length).map((v) => v - empty);
      offset += 1 + plan.z.length;
      const total = full[e] - empty;
      const values = constrainedLeastSquares({ z: plan.z, y, w: plan.w }, n, total);
      const standardErrors = new Float64Array(n);
      if (!plan.exhaustive && plan.z.length >= 4) {
        const pairs = plan.z.length / 2;
        const sums = new Float64Array(n);
        const squares = new Float64Array(n);
        for (let b = 0; b < BOOTSTRAP; b++) {
          const z: Uint8Array[] = [];
          const yb: number[] = [];
          for (let p = 0; p < pairs; p++) {
            const pick = rng.int(pairs);
            z.push(plan.z[2 * pick], plan.z[2 * pick + 1]);
            yb.push(y[2 * pick], y[2 * pick + 1]);
          }
          const refit = constrainedLeastSquares({ z, y: yb, w: z.map(() => 1) }, n, total);
          refit.forEach((v, g) => {
            sums[g] += v;
            squares[g] += v * v;
          });
        }
        for (let g = 0; g < n; g++) {
          const mean = sums[g] / BOOTSTRAP;
          standardErrors[g] = Math.sqrt(Math.max(0, (squares[g] - BOOTSTRAP * mean * mean) / (BOOTSTRAP - 1)));
        }
      } else if (!plan.exhaustive) standardErrors.fill(NaN);
      const sum = values.reduce((a, b) => a + b, 0);
      return { values, standardErrors, delta: sum - total };
    });
  });
}
