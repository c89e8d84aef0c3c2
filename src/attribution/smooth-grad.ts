import * as tf from '@tensorflow/tfjs';
import { SMOOTH_GRAD_OPTIONS } from './method-specs.js';
import type { ModelInput } from '../execution/explainable-model.js';
import { argumentError } from '../util/errors.js';
import { checkOption } from '../util/option-spec.js';
import type { InputLike } from '../execution/inputs.js';
import { createRng } from '../util/rng.js';
import { MethodContext, runMethod } from './run-method.js';
import { gradientFormOf } from './gradient-forms.js';
import { noisyCopy, smoothGradRows } from './smooth-grad-rows.js';
import { Moments } from '../util/moments.js';
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

export { SMOOTH_GRAD_OPTIONS } from './method-specs.js';

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
      const { x } = ctx;
      // Every copy's seeds are drawn up front (noise, then the inner method's), so no chunking changes them.
      const rng = createRng(opts.seed);
      const noiseSeeds: number[] = [];
      const innerSeeds: number[] = [];
      for (let s = 0; s < samples; s++) {
        noiseSeeds.push(rng.int32());
        innerSeeds.push(rng.int32());
      }
      const sigma = tf.tidy(() => {
        const flat = tf.reshape(x, [x.shape[0], -1]);
        return tf.reshape(tf.mul(tf.sub(tf.max(flat, 1), tf.min(flat, 1)), stdev), [
          x.shape[0],
          ...x.shape.slice(1).map(() => 1),
        ]);
      });
      try {
        const form = gradientFormOf(method as AttributionMethod<never>);
        const progress = (done: number): void => opts.onProgress?.(done, samples);
        const { moments, innerName } =
          form === undefined
            ? await nestedCopies(method, ctx, opts, sigma, noiseSeeds, innerSeeds, progress)
            : { moments: await smoothGradRows(ctx, form, sigma, noiseSeeds, progress), innerName: form.name };
        return { attributions: combined(moments, kind, samples, x.shape), method: `${innerName}+${kind}` };
      } finally {
        sigma.dispose();
      }
    });
  };
}

/** The copies one nested call of `method` at a time (any method); running sums per example in copy order. */
async function nestedCopies<O extends AttributionOptions>(
  method: AttributionMethod<O>,
  ctx: MethodContext,
  opts: O,
  sigma: tf.Tensor,
  noiseSeeds: readonly number[],
  innerSeeds: readonly number[],
  onCopies: (done: number) => void,
): Promise<{ moments: Moments[]; innerName: string }> {
  const { x, targets } = ctx;
  const size = x.size / x.shape[0];
  const moments = targets.map(() => new Moments(size));
  let innerName = '';
  for (let s = 0; s < noiseSeeds.length; s++) {
    const noisy = noisyCopy(x, sigma, noiseSeeds[s]);
    let result: AttributionResult;
    try {
      result = await method(ctx.session, noisy, {
        ...opts,
        target: targets,
        seed: innerSeeds[s],
        onProgress: undefined,
      });
    } finally {
      noisy.dispose();
    }
    innerName = result.method;
    const values = result.attributions.dataSync() as Float32Array;
    disposeAttribution(result);
    moments.forEach((m, e) => m.add(values.subarray(e * size, (e + 1) * size)));
    onCopies(s + 1);
  }
  return { moments, innerName };
}

/** The attributions of `kind` from the running sums over `n` copies, as a float32 tensor of `shape`. */
function combined(moments: Moments[], kind: SmoothGradKind, n: number, shape: number[]): tf.Tensor {
  const size = moments[0]?.sum.length ?? 0;
  const values = new Float32Array(moments.length * size);
  moments.forEach((m, e) => {
    const mean = kind === 'smoothgrad' ? m.mean(n) : kind === 'smoothgrad-sq' ? m.meanSquare(n) : m.variance(n);
    values.set(mean, e * size);
  });
  return tf.tensor(values, shape);
}
