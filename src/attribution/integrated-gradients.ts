import * as tf from '@tensorflow/tfjs';
import { INTEGRATED_GRADIENTS_OPTIONS } from './method-specs.js';
import type { ModelInput } from '../execution/explainable-model.js';
import { checkOption } from '../util/option-spec.js';
import type { InputLike } from '../execution/inputs.js';
import { batchRows, rowsOf } from '../parallel/row-task.js';
import { jobSettings, runRowTasks } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import './integrated-gradients-task.js';
import { runMethod, type MethodContext } from './run-method.js';
import { predictScores } from '../parallel/forward-task.js';
import { IntegrationMethod, integrationPoints } from './integral-approximation.js';
import type { AttributionOptions, AttributionResult } from './types.js';
import { Baseline, baselineBatch } from './baseline.js';

export type { Baseline } from './baseline.js';

/** Options of {@link integratedGradients}. */
export interface IntegratedGradientsOptions extends AttributionOptions {
  /** Reference input (default 0 everywhere). */
  baseline?: Baseline;
  /** Number of intervals of the path (default 50; Gauss-Legendre: number of nodes). */
  steps?: number;
  /** Quadrature rule (default `'trapezoid'`, the original's). */
  integration?: IntegrationMethod;
}

export { INTEGRATED_GRADIENTS_OPTIONS } from './method-specs.js';

const [STEPS, INTEGRATION] = INTEGRATED_GRADIENTS_OPTIONS;

/**
 * Integrated gradients (Sundararajan et al. 2017, "Axiomatic Attribution for Deep Networks"):
 * (input − baseline) ⊙ ∫₀¹ ∇f(baseline + α(input − baseline)) dα — the textbook definition (the original module forgot
 * the (input − baseline) factor). The path points of all examples are evaluated in chunks of `batchSize` rows, so memory
 * stays bounded for any number of steps.
 *
 * Options: `baseline` (default zeros), `steps` (50, at most 100000), `integration` (`'trapezoid'`), and {@link AttributionOptions}.
 * Result: `delta[i]` = Σ attributions − (f(input) − f(baseline)) for the target, the completeness gap (→ 0 as steps grow);
 * `heatmaps` = Σ over channels of |attributions|, min-max per example. Tensors are owned by the caller.
 * @example const { attributions, delta } = await integratedGradients(model, x, { steps: 64, integration: 'gauss-legendre' });
 */
export async function integratedGradients(
  model: ModelInput,
  inputs: InputLike,
  options: IntegratedGradientsOptions = {},
): Promise<AttributionResult> {
  const functionName = 'integratedGradients';
  const steps = checkOption(functionName, STEPS, options.steps) as number;
  const integration = checkOption(functionName, INTEGRATION, options.integration) as IntegrationMethod;
  const { alphas, weights } = integrationPoints(steps, integration, functionName);
  return runMethod(
    { method: 'integrated-gradients', functionName, reduction: 'sum-abs' },
    model,
    inputs,
    options,
    async (ctx) => {
      const { x, targets } = ctx;
      const batch = x.shape[0];
      const points = alphas.length;
      const featureSize = x.size / batch;
      const baseline = baselineBatch(functionName, ctx, options.baseline);
      try {
        const total = batch * points;
        const plan = taskChunks(total, ctx.batchSize, ctx.execution?.backend);
        const inputs = batchRows(x);
        const baselines = batchRows(baseline);
        const firstExample = plan.map(({ start }) => Math.floor(start / points));
        const integral = new Float32Array(batch * featureSize);
        let done = 0;
        await runRowTasks(
          {
            ...jobSettings(ctx),
            taskCount: plan.length,
            tasks: (function* () {
              for (const [k, { start, end }] of plan.entries()) {
                const e0 = firstExample[k];
                const e1 = Math.floor((end - 1) / points) + 1;
                const rows = Array.from({ length: end - start }, (_, r) => start + r);
                yield {
                  kind: 'integrated-gradients',
                  arrays: { inputs: rowsOf(inputs, e0, e1), baselines: rowsOf(baselines, e0, e1) },
                  numbers: {
                    alphas: rows.map((i) => alphas[i % points]),
                    weights: rows.map((i) => weights[i % points]),
                    example: rows.map((i) => Math.floor(i / points) - e0),
                    targets: rows.map((i) => targets[Math.floor(i / points)]),
                  },
                };
              }
            })(),
            consume: (k, result) => {
              // In task order, so the sums are the same bits for any number of workers.
              const offset = firstExample[k] * featureSize;
              for (let i = 0; i < result.data.length; i++) integral[offset + i] += result.data[i];
              done += plan[k].end - plan[k].start;
              options.onProgress?.(done, total);
            },
          },
          { workers: ctx.workers },
        );
        const attributions = tf.tidy(() => tf.mul(tf.sub(x, baseline), tf.tensor(integral, x.shape, 'float32')));
        try {
          const sums = tf.tidy(() => tf.sum(tf.reshape(attributions, [batch, -1]), 1).dataSync());
          const atInput = targets.map((t, i) => ctx.predictions[i][t]);
          const atBaseline = await baselineTargetScores(ctx, baseline);
          const delta = Array.from(sums, (s, i) => s - (atInput[i] - atBaseline[i]));
          return { attributions, delta };
        } catch (error) {
          attributions.dispose();
          throw error;
        }
      } finally {
        baseline.dispose();
      }
    },
  );
}

/** f(baseline) for each example's target, on the call's engine (the request frame's forward pass). */
async function baselineTargetScores(ctx: MethodContext, baseline: tf.Tensor): Promise<number[]> {
  const { model, outputIndex, scores, batchSize, execution, workers, targets } = ctx;
  const all = await predictScores(model, baseline, {
    outputIndex,
    scores,
    batchSize,
    execution: execution ?? {},
    workers,
    session: ctx.session,
  });
  try {
    const rows = all.arraySync();
    return targets.map((t, i) => rows[i][t]);
  } finally {
    all.dispose();
  }
}
