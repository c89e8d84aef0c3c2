import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import { OptionSpec, checkOption } from '../util/option-spec.js';
import type { InputLike } from '../execution/inputs.js';
import { chunks } from '../util/batching.js';
import { runMethod } from './run-method.js';
import { targetGradients, targetScores } from './target-gradients.js';
import { IntegrationMethod, integrationMethods, integrationPoints } from './integral-approximation.js';
import type { AttributionOptions, AttributionResult } from './types.js';
import { BASELINE_OPTION, Baseline, baselineBatch } from './baseline.js';

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

/** The tuning options of integrated gradients, as specs (flags, defaults, ranges, help). */
export const INTEGRATED_GRADIENTS_OPTIONS = [
  {
    name: 'steps',
    flag: '--steps',
    type: 'integer',
    default: 50,
    min: 1,
    max: 100000,
    help: 'integrated gradients: intervals of the path (Gauss-Legendre: nodes)',
  },
  {
    name: 'integration',
    flag: '--integration',
    type: 'choice',
    default: 'trapezoid',
    choices: integrationMethods,
    help: 'integrated gradients: quadrature rule of the path integral',
  },
  BASELINE_OPTION,
] as const satisfies readonly OptionSpec[];

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
      let integral: tf.Tensor2D = tf.zeros([batch, featureSize]);
      try {
        const total = batch * points;
        let done = 0;
        for (const { start, end } of chunks(total, ctx.batchSize)) {
          const rows = end - start;
          const exampleOf = Array.from({ length: rows }, (_, r) => Math.floor((start + r) / points));
          const alphaOf = Array.from({ length: rows }, (_, r) => alphas[(start + r) % points]);
          const next = tf.tidy(() => {
            const indices = tf.tensor1d(exampleOf, 'int32');
            const xs = tf.gather(x, indices);
            const bs = tf.gather(baseline, indices);
            const a = tf.reshape(tf.tensor1d(alphaOf, 'float32'), [rows, ...x.shape.slice(1).map(() => 1)]);
            const path = tf.add(bs, tf.mul(a, tf.sub(xs, bs)));
            const grads = targetGradients(
              ctx.model,
              path,
              exampleOf.map((e) => targets[e]),
              { ...ctx, batchSize: rows },
            );
            // Weighted sum of each row's gradient into its example: W[batch, rows] · G[rows, features].
            const w = new Float32Array(batch * rows);
            for (let r = 0; r < rows; r++) w[exampleOf[r] * rows + r] = weights[(start + r) % points];
            const contribution = tf.matMul(tf.tensor2d(w, [batch, rows]), tf.reshape(grads, [rows, featureSize]));
            return tf.add(integral, contribution) as tf.Tensor2D;
          });
          integral.dispose();
          integral = next;
          done += rows;
          options.onProgress?.(done, total);
        }
        const attributions = tf.tidy(() => tf.mul(tf.sub(x, baseline), tf.reshape(integral, x.shape)));
        const sums = tf.tidy(() => tf.sum(tf.reshape(attributions, [batch, -1]), 1).dataSync());
        const atInput = targets.map((t, i) => ctx.predictions[i][t]);
        const atBaseline = targetScores(ctx.model, baseline, targets, ctx);
        const delta = Array.from(sums, (s, i) => s - (atInput[i] - atBaseline[i]));
        return { attributions, delta };
      } finally {
        integral.dispose();
        baseline.dispose();
      }
    },
  );
}
