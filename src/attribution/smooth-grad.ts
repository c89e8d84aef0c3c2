import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import { argumentError } from '../util/errors.js';
import { OptionSpec, checkOption } from '../util/option-spec.js';
import type { InputLike } from '../execution/inputs.js';
import { createRng } from '../util/rng.js';
import { runMethod } from './run-method.js';
import type { AttributionMethod, AttributionOptions, AttributionResult } from './types.js';
import { disposeAttribution } from './types.js';

/** How noisy attributions are combined: mean (SmoothGrad), mean of squares (SmoothGrad²), or variance (VarGrad). */
export type SmoothGradKind = 'smoothgrad' | 'smoothgrad-sq' | 'vargrad';

/** Noise options of {@link smoothGrad}. */
export interface SmoothGradOptions {
  /** Number of noisy copies per example (default 25, at most 100000). Not Monte-Carlo dropout's `samples`. */
  noiseSamples?: number;
  /** Noise standard deviation as a fraction of each example's range max − min (default 0.15). */
  noiseStdev?: number;
  /** Combination (default `'smoothgrad'`). */
  kind?: SmoothGradKind;
  /** Seed of the noise (default: unseeded). */
  seed?: number;
}

/** The tuning options of SmoothGrad, as specs (flags, defaults, ranges, help). */
export const SMOOTH_GRAD_OPTIONS = [
  {
    name: 'noiseSamples',
    flag: '--noise-samples',
    type: 'integer',
    default: 25,
    min: 1,
    max: 100000,
    help: 'smoothgrad: noisy copies per example',
    aliases: ['--smooth-samples'],
  },
  {
    name: 'noiseStdev',
    flag: '--noise-stdev',
    type: 'number',
    default: 0.15,
    min: 0,
    max: 10,
    help: "smoothgrad: noise standard deviation, as a fraction of each example's range",
  },
] as const satisfies readonly OptionSpec[];

const [NOISE_SAMPLES, NOISE_STDEV] = SMOOTH_GRAD_OPTIONS;

/**
 * SmoothGrad (Smilkov et al. 2017) and its variants SmoothGrad² and VarGrad (Adebayo et al. 2018) around any attribution
 * method: the method is run on `noiseSamples` noisy copies x + N(0, (stdev·(max − min))²) and the attributions are combined
 * with running sums, so memory does not grow with `noiseSamples`. Targets are chosen once, on the clean input.
 * Noise options may be given here or per call (per-call values win). `heatmaps` are max |·| over channels, min-max.
 * With `noiseStdev: 0` the result equals the inner method's.
 * @example const smooth = smoothGrad(saliency, { noiseSamples: 50, seed: 1 }); const r = await smooth(model, x);
 */
export function smoothGrad<O extends AttributionOptions>(
  method: AttributionMethod<O>,
  noise: SmoothGradOptions = {},
): AttributionMethod<O & SmoothGradOptions> {
  return async (
    modelInput: ModelInput,
    inputs: InputLike,
    options?: O & SmoothGradOptions,
  ): Promise<AttributionResult> => {
    const functionName = 'smoothGrad';
    const opts = { ...noise, ...(options ?? {}) } as O & SmoothGradOptions;
    const samples = checkOption(functionName, NOISE_SAMPLES, opts.noiseSamples) as number;
    const stdev = checkOption(functionName, NOISE_STDEV, opts.noiseStdev) as number;
    const kind = opts.kind ?? 'smoothgrad';
    if (!['smoothgrad', 'smoothgrad-sq', 'vargrad'].includes(kind)) {
      throw argumentError(functionName, 'kind', "'smoothgrad', 'smoothgrad-sq' or 'vargrad'", kind);
    }
    return runMethod({ method: kind, functionName, reduction: 'max-abs' }, modelInput, inputs, opts, async (ctx) => {
      const { x, targets } = ctx;
      const rng = createRng(opts.seed);
      let sum: tf.Tensor | null = null;
      let sumSq: tf.Tensor | null = null;
      let innerName = '';
      const sigma = tf.tidy(() => {
        const flat = tf.reshape(x, [x.shape[0], -1]);
        return tf.reshape(tf.mul(tf.sub(tf.max(flat, 1), tf.min(flat, 1)), stdev), [
          x.shape[0],
          ...x.shape.slice(1).map(() => 1),
        ]);
      });
      try {
        for (let s = 0; s < samples; s++) {
          const seed = rng.int32();
          const noisy = tf.tidy(() => tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), sigma)));
          let result: AttributionResult;
          try {
            result = await method(ctx.model, noisy, {
              ...opts,
              target: targets,
              seed: rng.int32(),
              onProgress: undefined,
            });
          } finally {
            noisy.dispose();
          }
          innerName = result.method;
          const a = result.attributions;
          const nextSum: tf.Tensor = sum === null ? tf.clone(a) : tf.add(sum, a);
          const nextSq: tf.Tensor = tf.tidy(() => (sumSq === null ? tf.square(a) : tf.add(sumSq, tf.square(a))));
          disposeAttribution(result);
          sum?.dispose();
          sumSq?.dispose();
          sum = nextSum;
          sumSq = nextSq;
          opts.onProgress?.(s + 1, samples);
        }
        const total = sum as unknown as tf.Tensor;
        const totalSq = sumSq as unknown as tf.Tensor;
        const attributions = tf.tidy(() => {
          const mean = tf.div(total, samples);
          if (kind === 'smoothgrad') return mean;
          const meanSq = tf.div(totalSq, samples);
          return kind === 'smoothgrad-sq' ? meanSq : tf.relu(tf.sub(meanSq, tf.square(mean)));
        });
        return { attributions, method: `${innerName}+${kind}` };
      } finally {
        sigma.dispose();
        (sum as tf.Tensor | null)?.dispose();
        (sumSq as tf.Tensor | null)?.dispose();
      }
    });
  };
}
