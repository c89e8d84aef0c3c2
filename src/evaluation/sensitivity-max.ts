/** Max-sensitivity (Yeh et al. 2019) as Captum defines it: how much the explanation moves under small perturbations. */
import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { RequestOptions, withModelRequest, type ModelRequest } from '../session/model-request.js';
import { argumentError, described } from '../util/errors.js';
import { createRng } from '../util/rng.js';
import { MethodChoice, methodFunction, methodRows } from './method-attributions.js';

/** A perturbation function: example e's input (row-major, without batch axis) and the sample index → the perturbed input. */
export type SensitivityPerturb = (input: Float32Array, example: number, sample: number) => ArrayLike<number>;

/** Options of {@link sensitivityMax}. */
export interface SensitivityMaxOptions extends RequestOptions {
  /** The explanation: a registry name or a method function (default `'saliency'`). */
  method?: MethodChoice;
  /** Options of the method (e.g. `{ steps: 32 }`). */
  methodOptions?: Record<string, unknown>;
  /** Perturbations per example (Captum's `n_perturb_samples`, default 10). */
  perturbations?: number;
  /** Radius r of the default perturbation x + U(−r, r) per value, in input units (Captum's default 0.02). */
  radius?: number;
  /** Replaces the default perturbation (e.g. fixed perturbations for exact comparisons). */
  perturb?: SensitivityPerturb;
}

const FUNCTION = 'sensitivityMax';

/** The default perturbation: x + U(−r, r) per value from a seeded source. */
export function uniformPerturb(radius: number, seed: number): SensitivityPerturb {
  return (input, example, sample) => {
    const rng = createRng(`${seed}:sensitivity:${example}:${sample}`);
    return Float32Array.from(input, (v) => v + radius * (2 * rng.uniform() - 1));
  };
}

function norm(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return Math.sqrt(s);
}

/**
 * Max-sensitivity of a method within a request, from its attributions on the clean inputs (`clean`, one row per
 * example). The perturbed copies (examples repeated `perturbations` times) are explained in one call of the method.
 */
export async function sensitivityMaxOf(
  request: ModelRequest,
  clean: readonly Float32Array[],
  options: Omit<SensitivityMaxOptions, 'method'> & { method: MethodChoice; seed: number },
): Promise<number[]> {
  const method = methodFunction(FUNCTION, options.method);
  const n = options.perturbations ?? 10;
  if (!Number.isInteger(n) || n < 1) throw argumentError(FUNCTION, 'perturbations', 'a positive integer', n);
  const radius = options.radius ?? 0.02;
  if (typeof radius !== 'number' || !(radius >= 0)) throw argumentError(FUNCTION, 'radius', 'a number ≥ 0', radius);
  const perturb = options.perturb ?? uniformPerturb(radius, options.seed);
  if (typeof perturb !== 'function') throw argumentError(FUNCTION, 'perturb', 'a function', perturb);
  const batch = request.x.shape[0];
  const size = request.x.size / batch;
  const data = request.x.dataSync() as Float32Array;
  const rows = new Float32Array(batch * n * size);
  for (let e = 0; e < batch; e++) {
    for (let s = 0; s < n; s++) {
      const perturbed = perturb(data.slice(e * size, (e + 1) * size), e, s);
      if (perturbed?.length !== size)
        throw argumentError(
          FUNCTION,
          'perturb',
          `a function returning ${size} values`,
          described(`${perturbed?.length} values`),
        );
      rows.set(perturbed, (e * n + s) * size);
    }
  }
  const repeat = <T>(list: readonly T[]): T[] => list.flatMap((v) => Array<T>(n).fill(v));
  const methodOptions = { ...(options.methodOptions ?? {}) };
  const baseline = methodOptions.baseline;
  const x = tf.tensor(rows, [batch * n, ...request.x.shape.slice(1)]);
  let expanded: tf.Tensor | undefined;
  try {
    // Captum expands a per-example baseline with the inputs.
    if (baseline instanceof tf.Tensor && baseline.rank === request.x.rank && baseline.shape[0] === batch && batch > 1) {
      expanded = tf.tidy(() => tf.gather(baseline, repeat(Array.from({ length: batch }, (_, e) => e))));
      methodOptions.baseline = expanded;
    }
    const { attributions } = await methodRows(
      method,
      request,
      request.model,
      x,
      repeat(request.targets),
      options.seed,
      methodOptions,
    );
    return clean.map((a, e) => {
      const scale = norm(a) || 1;
      let worst = -Infinity;
      for (let s = 0; s < n; s++) {
        const moved = attributions[e * n + s];
        const difference = moved.map((v, i) => v - a[i]);
        worst = Math.max(worst, norm(difference) / scale);
      }
      return worst;
    });
  } finally {
    x.dispose();
    expanded?.dispose();
  }
}

/**
 * Max-sensitivity (Yeh et al. 2019), exactly as Captum's `captum.metrics.sensitivity_max`: the method's explanation
 * Φ is recomputed at `perturbations` perturbed copies of each example (default x + U(−r, r) per value, r = `radius`), for
 * the same target, and the largest ‖Φ(x + δ) − Φ(x)‖₂ / ‖Φ(x)‖₂ is returned (a zero ‖Φ(x)‖ counts as 1). 0 = the
 * explanation does not move; lower is better; 0.1 means a 10 % change of the explanation for a change of the input
 * within ±r.
 *
 * Options: `method` ('saliency'), `methodOptions` ({}), `perturbations` (10), `radius` (0.02, input units), `perturb`,
 * `target`, `output`, `scores` ('logits'), `batchSize`, `seed` (the noise and the method's own seed). Returns one number
 * per example. Throws WingbeatsError naming a bad argument.
 * @example const [value] = await sensitivityMax(model, x, { method: 'integrated-gradients', seed: 0 });
 */
export async function sensitivityMax(
  modelInput: ModelInput,
  inputs: InputLike,
  options: SensitivityMaxOptions = {},
): Promise<number[]> {
  const method = methodFunction(FUNCTION, options.method ?? 'saliency');
  return withModelRequest(FUNCTION, modelInput, inputs, options, async (request) => {
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    const { attributions } = await methodRows(
      method,
      request,
      request.model,
      request.x,
      request.targets,
      seed,
      options.methodOptions,
    );
    return sensitivityMaxOf(request, attributions, { ...options, method, seed });
  });
}
