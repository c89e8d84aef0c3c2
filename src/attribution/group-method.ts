/**
 * The shared frame of the perturbation methods over feature groups (feature ablation, Shapley values, Shapley value
 * sampling, KernelSHAP, LIME): groups resolved per example, the baseline as plain values, coalitions (which groups are
 * present) evaluated in chunks of forward passes through {@link perturbedScores}, and the group values spread back
 * over the input's shape (Captum's convention: every position, all channels, holds its group's value).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { spatialShape } from './occlusion.js';
import { runMethod, type MethodContext } from './run-method.js';
import { perturbedScores } from './perturbed-scores.js';
import { type Baseline, baselineBatch } from './baseline.js';
import { type ExampleGroups, type GroupsOption, positionGroups, resolveGroups } from './feature-groups.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options every group method takes. */
export interface GroupMethodOptions extends AttributionOptions {
  /** The groups (see `resolveGroups`); omitted: every position alone (all its channels together). */
  groups?: GroupsOption;
  /** What a removed group is replaced by (default zeros), as for occlusion and integrated gradients. */
  baseline?: Baseline;
  /** Hz of each index of the first non-channel axis (Hz ranges of groups; needed by `harmonics`). */
  frequencyHz?: readonly number[];
}

/** One coalition to evaluate: an example and which of its groups are present (1) or replaced by the baseline (0). */
export interface Coalition {
  example: number;
  present: ArrayLike<number>;
}

/** What a group method computes for one example. */
export interface GroupValues {
  values: Float64Array | number[];
  /** Efficiency gap Σ values − (f(x) − f(baseline)), where the method has one. */
  delta?: number;
  standardErrors?: Float64Array | number[];
  fitR2?: number;
}

/** What a group method's computation receives. */
export interface GroupContext {
  method: MethodContext;
  examples: ExampleGroups[];
  /** f(x) for the target, per example. */
  full: number[];
  /**
   * Target scores of `count` coalitions (`coalitionOf(k)` called once per row, lazily, in order), evaluated in
   * chunks of `batchSize` rows.
   */
  evaluate(count: number, coalitionOf: (k: number) => Coalition): Promise<Float64Array>;
}

/** How a group method runs. */
export interface GroupMethodFrame {
  method: string;
  functionName: string;
  /** Whether the method reports an efficiency gap. */
  hasDelta: boolean;
}

/**
 * Runs a group method: resolves the groups, builds the evaluator, calls `compute` and assembles the result
 * (`attributions` in the input's shape, `groups`, `groupAttributions`, optional `delta`, `standardErrors`, `fitR2`,
 * `f0Hz`).
 */
export async function runGroupMethod(
  frame: GroupMethodFrame,
  model: ModelInput,
  inputs: InputLike,
  options: GroupMethodOptions,
  compute: (g: GroupContext) => Promise<GroupValues[]>,
): Promise<AttributionResult> {
  const { functionName } = frame;
  return runMethod(
    { method: frame.method, functionName, reduction: 'max-abs' },
    model,
    inputs,
    options,
    async (ctx) => {
      const { x, targets } = ctx;
      const batch = x.shape[0];
      const spatial = spatialShape(x.shape);
      const channels = x.rank <= 2 ? 1 : x.shape[x.rank - 1];
      const positions = spatial.reduce((a, b) => a * b, 1);
      const size = positions * channels;
      const data = x.dataSync() as Float32Array;
      const examples =
        options.groups === undefined
          ? positionGroups(spatial, batch)
          : resolveGroups(functionName, options.groups, spatial, data, batch, channels, options.frequencyHz);
      const baselineTensor = baselineBatch(functionName, ctx, options.baseline);
      const baseline = baselineTensor.dataSync() as Float32Array;
      baselineTensor.dispose();
      const full = targets.map((t, e) => ctx.predictions[e][t]);
      const g: GroupContext = {
        method: ctx,
        examples,
        full,
        evaluate: async (count, coalitionOf) => {
          const out = new Float64Array(count);
          const examplesOf = new Int32Array(count);
          await perturbedScores(
            ctx,
            count,
            (k, buffer, offset) => {
              const { example: e, present } = coalitionOf(k);
              examplesOf[k] = e;
              buffer.set(data.subarray(e * size, (e + 1) * size), offset);
              examples[e].groups.forEach((group, j) => {
                if (present[j] !== 0) return;
                for (const p of group.positions)
                  for (let c = 0; c < channels; c++)
                    buffer[offset + p * channels + c] = baseline[e * size + p * channels + c];
              });
            },
            (k, scores) => {
              out[k] = scores[targets[examplesOf[k]]];
            },
            options.onProgress,
          );
          return out;
        },
      };
      const results = await compute(g);
      const values = new Float32Array(batch * size);
      results.forEach((r, e) =>
        examples[e].groups.forEach((group, j) => {
          for (const p of group.positions)
            values.fill(r.values[j], e * size + p * channels, e * size + (p + 1) * channels);
        }),
      );
      const standardErrors = results.every((r) => r.standardErrors !== undefined)
        ? results.map((r) => Array.from(r.standardErrors ?? []))
        : undefined;
      const fitR2 = results.every((r) => r.fitR2 !== undefined) ? results.map((r) => r.fitR2 ?? NaN) : undefined;
      return {
        attributions: tf.tensor(values, x.shape),
        ...(frame.hasDelta ? { delta: results.map((r) => r.delta ?? NaN) } : {}),
        extras: {
          groups: examples.map((ex) => ex.groups),
          groupAttributions: results.map((r) => Array.from(r.values)),
          ...(standardErrors === undefined ? {} : { standardErrors }),
          ...(fitR2 === undefined ? {} : { fitR2 }),
          ...(examples.some((ex) => ex.f0Hz !== undefined) ? { f0Hz: examples.map((ex) => ex.f0Hz) } : {}),
        },
      };
    },
  );
}

/** The example-major row layout of a job with `perExample[e]` rows for example e: row k → (example, index). */
export function exampleRows(perExample: readonly number[]): { total: number; at: (k: number) => [number, number] } {
  const starts = [0];
  perExample.forEach((n) => starts.push(starts[starts.length - 1] + n));
  let e = 0;
  return {
    total: starts[starts.length - 1],
    // Rows are asked for in increasing order (lazily, chunk by chunk), so the example pointer only moves forward.
    at: (k) => {
      if (k < starts[e]) e = 0;
      while (k >= starts[e + 1]) e++;
      return [e, k - starts[e]];
    },
  };
}
