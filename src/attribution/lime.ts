import type { ModelInput } from '../execution/explainable-model.js';
import { KERNEL_WIDTH_OPTION, RIDGE_OPTION } from './method-specs.js';
import type { InputLike } from '../execution/inputs.js';
import { checkOption } from '../util/option-spec.js';
import { createRng } from '../util/rng.js';
import { type GroupMethodOptions, exampleRows, runGroupMethod } from './group-method.js';
import { COALITIONS_OPTION } from './kernel-shap.js';
import { weightedRidge } from './least-squares.js';
import type { AttributionResult } from './types.js';

/** Options of {@link lime}. */
export interface LimeOptions extends GroupMethodOptions {
  /** Sampled coalitions (default 256). */
  coalitions?: number;
  /** Width σ of the similarity kernel exp(−d²/σ²) over cosine distances d (default 0.25). */
  kernelWidth?: number;
  /** Ridge penalty on the surrogate's coefficients (default 0.01; the intercept is not penalised). */
  ridge?: number;
}

export { LIME_OPTIONS } from './method-specs.js';

/**
 * LIME (Ribeiro et al. 2016; Captum's `Lime` with a `feature_mask`): coalitions z of groups are drawn uniformly (each
 * group present with probability ½), weighted by exp(−d²/σ²) where d = 1 − cos(z, 1) is their cosine distance to the
 * input (all groups present), and a weighted ridge regression v(z) ≈ a + zᵀβ is fitted; the attributions are β and
 * `fitR2` is the surrogate's weighted R². One row per coalition and example, in chunks of `batchSize` rows; seeded.
 * LIME has no efficiency property, so no `delta`.
 *
 * Options: `coalitions` (256), `kernelWidth` (0.25), `ridge` (0.01), `groups`, `baseline` (zeros), `frequencyHz`,
 * `seed`, and the shared options. Tensors are owned by the caller.
 * @example const { groupAttributions, fitR2 } = await lime(model, x, { groups: 'bands:8', seed: 1 });
 */
export async function lime(
  model: ModelInput,
  inputs: InputLike,
  options: LimeOptions = {},
): Promise<AttributionResult> {
  const functionName = 'lime';
  const count = checkOption(functionName, COALITIONS_OPTION, options.coalitions) as number;
  const width = checkOption(functionName, KERNEL_WIDTH_OPTION, options.kernelWidth) as number;
  const ridge = checkOption(functionName, RIDGE_OPTION, options.ridge) as number;
  const frame = { method: 'lime', functionName, hasDelta: false };
  return runGroupMethod(frame, model, inputs, options, async ({ examples, evaluate }) => {
    const rng = createRng(options.seed);
    const plans = examples.map((ex) =>
      Array.from({ length: count }, () =>
        Uint8Array.from({ length: ex.groups.length }, () => (rng.uniform() < 0.5 ? 1 : 0)),
      ),
    );
    const rows = exampleRows(plans.map((p) => p.length));
    const scores = await evaluate(rows.total, (k) => {
      const [example, index] = rows.at(k);
      return { example, present: plans[example][index] };
    });
    return examples.map((ex, e) => {
      const n = ex.groups.length;
      const z = plans[e];
      const w = z.map((row) => {
        const present = row.reduce((a, b) => a + b, 0);
        const distance = present === 0 ? 1 : 1 - Math.sqrt(present / n);
        return Math.exp(-(distance * distance) / (width * width));
      });
      const fit = weightedRidge({ z, y: scores.subarray(e * count, (e + 1) * count), w }, n, ridge);
      return { values: fit.coefficients, fitR2: fit.r2 };
    });
  });
}
