import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { type GroupMethodOptions, exampleRows, runGroupMethod } from './group-method.js';
import type { AttributionResult } from './types.js';

export { FEATURE_ABLATION_OPTIONS } from './method-specs.js';

/**
 * Feature ablation (Captum's `FeatureAblation` with a `feature_mask`): a group's attribution is f(x) − f(x with the
 * group replaced by the baseline), for the target score of each example. Without `groups`, every position alone (all
 * its channels together). One row per group and example, evaluated in chunks of `batchSize` rows.
 *
 * Options: `groups` (see `resolveGroups`), `baseline` (zeros), `frequencyHz`, and the shared options.
 * Result: `attributions` in the input's shape (each position holds its group's value), `groups`, `groupAttributions`.
 * Tensors are owned by the caller.
 * @example const { groupAttributions } = await featureAblation(model, x, { groups: 'bands:8' });
 */
export async function featureAblation(
  model: ModelInput,
  inputs: InputLike,
  options: GroupMethodOptions = {},
): Promise<AttributionResult> {
  const frame = { method: 'feature-ablation', functionName: 'featureAblation', hasDelta: false };
  return runGroupMethod(frame, model, inputs, options, async ({ examples, full, evaluate }) => {
    const rows = exampleRows(examples.map((ex) => ex.groups.length));
    const scores = await evaluate(rows.total, (k) => {
      const [example, g] = rows.at(k);
      const present = new Uint8Array(examples[example].groups.length).fill(1);
      present[g] = 0;
      return { example, present };
    });
    let k = 0;
    return examples.map((ex, e) => ({ values: ex.groups.map(() => full[e] - scores[k++]) }));
  });
}
