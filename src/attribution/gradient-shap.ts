import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { checkOption } from '../util/option-spec.js';
import { createRng } from '../util/rng.js';
import { runRowTasks, jobSettings } from '../parallel/run-row-tasks.js';
import { taskChunks } from '../parallel/task-chunks.js';
import './integrated-gradients-task.js';
import { runMethod } from './run-method.js';
import { perturbedScores } from './perturbed-scores.js';
import { backgroundBatch } from './background.js';
import { SMOOTH_GRAD_OPTIONS } from './smooth-grad.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options of {@link gradientShap}. */
export interface GradientShapOptions extends AttributionOptions {
  /** Reference inputs `[B, ...input shape]` drawn from at random (required). */
  background?: InputLike;
  /** Random draws (baseline, point on the path, noise) per example (default 25). */
  noiseSamples?: number;
  /** Standard deviation of Gaussian noise added to the input, as a fraction of each example's range (default 0). */
  noiseStdev?: number;
}

const [NOISE_SAMPLES, NOISE_STDEV] = SMOOTH_GRAD_OPTIONS;

export { GRADIENT_SHAP_OPTIONS } from './method-specs.js';

/**
 * GradientSHAP, i.e. expected gradients (Erion et al. 2021; Lundberg & Lee 2017; Captum's `GradientShap`): for each
 * of `noiseSamples` draws per example, a baseline b uniformly from the background set, α ~ U(0, 1) and, when
 * `noiseStdev` > 0, x̃ = x + N(0, (noiseStdev·(max − min))²); the sample's attribution is ∇f(b + α(x̃ − b)) ⊙ (x̃ − b),
 * and the result is their mean. `delta` is Σ attributions − (f(x) − mean over the draws of f(b)), zero in expectation
 * without noise (a sampled method: it shrinks as 1/√noiseSamples). The draws are rows of the integrated-gradients row
 * task (one per sample), evaluated in chunks of `batchSize`; seeded by `seed`.
 *
 * `standardErrors` holds the standard error of every attribution value (flat, row-major, per example): the spread of
 * the draws / √noiseSamples.
 *
 * Options: `background` (required), `noiseSamples` (25), `noiseStdev` (0, as Captum's default, also on the command
 * line), `seed`, and the shared options. Tensors are owned by the caller.
 * @example const { attributions, delta } = await gradientShap(model, x, { background: recordings, seed: 1 });
 */
export async function gradientShap(
  model: ModelInput,
  inputs: InputLike,
  options: GradientShapOptions = {},
): Promise<AttributionResult> {
  const functionName = 'gradientShap';
  const samples = checkOption(functionName, NOISE_SAMPLES, options.noiseSamples) as number;
  const stdev = checkOption(functionName, NOISE_STDEV, options.noiseStdev ?? 0) as number;
  const frame = { method: 'gradient-shap', functionName, reduction: 'sum-abs' } as const;
  return runMethod(frame, model, inputs, options, async (ctx) => {
    const { x, targets } = ctx;
    const backgroundTensor = backgroundBatch(functionName, ctx.model, options.background);
    const background = backgroundTensor.dataSync() as Float32Array;
    const backgroundCount = backgroundTensor.shape[0];
    backgroundTensor.dispose();
    const batch = x.shape[0];
    const shape = x.shape.slice(1);
    const size = shape.reduce((a, b) => a * b, 1);
    const data = x.dataSync() as Float32Array;
    const rng = createRng(options.seed);
    // Every draw up front (cheap numbers; the rows themselves are built per chunk): baseline index, α, noise seed.
    const total = batch * samples;
    const pick = Int32Array.from({ length: total }, () => rng.int(backgroundCount));
    const alphas = Float64Array.from({ length: total }, () => rng.uniform());
    const noiseSeeds = Int32Array.from({ length: total }, () => rng.int32());
    const ranges = Array.from({ length: batch }, (_, e) => {
      let low = Infinity;
      let high = -Infinity;
      for (let i = e * size; i < (e + 1) * size; i++) {
        low = Math.min(low, data[i]);
        high = Math.max(high, data[i]);
      }
      return (high - low) * stdev;
    });
    const noisyInput = (row: number, out: Float32Array, offset: number): void => {
      const e = Math.floor(row / samples);
      out.set(data.subarray(e * size, (e + 1) * size), offset);
      if (ranges[e] === 0) return;
      const noise = createRng(noiseSeeds[row]);
      for (let i = 0; i < size; i++) out[offset + i] += ranges[e] * noise.normal();
    };
    const sums = new Float64Array(batch * size);
    const squares = new Float64Array(batch * size);
    const plan = taskChunks(total, ctx.batchSize, ctx.execution?.backend);
    await runRowTasks(
      {
        ...jobSettings(ctx),
        taskCount: plan.length,
        tasks: (function* () {
          for (const { start, end } of plan) {
            const rows = end - start;
            const noisy = new Float32Array(rows * size);
            const baselines = new Float32Array(rows * size);
            for (let row = start; row < end; row++) {
              noisyInput(row, noisy, (row - start) * size);
              baselines.set(background.subarray(pick[row] * size, (pick[row] + 1) * size), (row - start) * size);
            }
            yield {
              kind: 'integrated-gradients',
              arrays: {
                inputs: { data: noisy, shape: [rows, ...shape] },
                baselines: { data: baselines, shape: [rows, ...shape] },
              },
              numbers: {
                alphas: Array.from(alphas.subarray(start, end)),
                example: Array.from({ length: rows }, (_, r) => r),
                weights: new Array<number>(rows).fill(1),
                targets: Array.from({ length: rows }, (_, r) => targets[Math.floor((start + r) / samples)]),
              },
            };
          }
        })(),
        consume: (k, result) => {
          const { start, end } = plan[k];
          const noisy = new Float32Array(size);
          for (let row = start; row < end; row++) {
            const e = Math.floor(row / samples);
            noisyInput(row, noisy, 0);
            const b = pick[row] * size;
            const g = (row - start) * size;
            for (let i = 0; i < size; i++) {
              const a = result.data[g + i] * (noisy[i] - background[b + i]);
              sums[e * size + i] += a / samples;
              squares[e * size + i] += (a * a) / samples;
            }
          }
          options.onProgress?.(end, total + batch * samples);
        },
      },
      { workers: ctx.workers },
    );
    // f(b) of every drawn baseline, for the gap against f(x) − E[f(b)].
    const baselineMean = new Float64Array(batch);
    await perturbedScores(
      ctx,
      total,
      (row, buffer, offset) => buffer.set(background.subarray(pick[row] * size, (pick[row] + 1) * size), offset),
      (row, scores) => {
        const e = Math.floor(row / samples);
        baselineMean[e] += scores[targets[e]] / samples;
      },
    );
    const delta = targets.map((t, e) => {
      let sum = 0;
      for (let i = e * size; i < (e + 1) * size; i++) sum += sums[i];
      return sum - (ctx.predictions[e][t] - baselineMean[e]);
    });
    // The spread of the draws: standard error of each attribution value (flat, row-major), per example.
    const standardErrors = Array.from({ length: batch }, (_, e) =>
      Array.from({ length: size }, (_, i) => {
        const mean = sums[e * size + i];
        const variance = samples > 1 ? ((squares[e * size + i] - mean * mean) * samples) / (samples - 1) : NaN;
        return Math.sqrt(Math.max(0, variance) / samples);
      }),
    );
    return { attributions: tf.tensor(Float32Array.from(sums), x.shape), delta, extras: { standardErrors } };
  });
}
