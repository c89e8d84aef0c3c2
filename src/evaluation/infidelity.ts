/** Infidelity (Yeh et al. 2019) as Captum defines it: how well attributions·perturbation predicts the score change. */
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { RequestOptions, withModelRequest, type ModelRequest } from '../session/model-request.js';
import { argumentError, described } from '../util/errors.js';
import { createRng } from '../util/rng.js';
import { AttributionsLike, attributionRows } from './attribution-rows.js';
import { rowScore, scoreRows } from './score-rows.js';

/** One perturbation of one example: the perturbation I and the perturbed input (Captum's `perturb_func` pair). */
export interface InfidelityPerturbation {
  perturbation: ArrayLike<number>;
  perturbed: ArrayLike<number>;
}

/** A perturbation function: example e's input (row-major, without batch axis) and the sample index → a perturbation. */
export type InfidelityPerturb = (input: Float32Array, example: number, sample: number) => InfidelityPerturbation;

/** Options of {@link infidelity}. */
export interface InfidelityOptions extends RequestOptions {
  /** Attributions in the inputs' shape, one map per example. */
  attributions: AttributionsLike;
  /** Perturbations per example (Captum's `n_perturb_samples`, default 10). */
  perturbations?: number;
  /** σ of the default perturbation I ~ N(0, σ²) per value, in input units (default 0.15); perturbed input x − I. */
  noiseStdev?: number;
  /** Captum's `normalize`: scale the attributions by the β that minimises the infidelity first (default false). */
  normalize?: boolean;
  /** Replaces the default perturbation (e.g. fixed perturbations for exact comparisons). */
  perturb?: InfidelityPerturb;
}

const FUNCTION = 'infidelity';

/** The default perturbation: I ~ N(0, σ²) per value from a seeded source, perturbed input x − I. */
export function gaussianPerturb(noiseStdev: number, seed: number): InfidelityPerturb {
  return (input, example, sample) => {
    const rng = createRng(`${seed}:infidelity:${example}:${sample}`);
    const perturbation = Float32Array.from(input, () => noiseStdev * rng.normal());
    return { perturbation, perturbed: Float32Array.from(input, (v, i) => v - perturbation[i]) };
  };
}

/** Infidelity of attribution rows (one Float32Array per example) within a request. */
export async function infidelityOf(
  request: ModelRequest,
  attributions: readonly Float32Array[],
  options: Omit<InfidelityOptions, 'attributions'> & { seed: number },
): Promise<number[]> {
  const n = options.perturbations ?? 10;
  if (!Number.isInteger(n) || n < 1) throw argumentError(FUNCTION, 'perturbations', 'a positive integer', n);
  const sigma = options.noiseStdev ?? 0.15;
  if (typeof sigma !== 'number' || !(sigma >= 0)) throw argumentError(FUNCTION, 'noiseStdev', 'a number ≥ 0', sigma);
  const perturb = options.perturb ?? gaussianPerturb(sigma, options.seed);
  if (typeof perturb !== 'function') throw argumentError(FUNCTION, 'perturb', 'a function', perturb);
  const batch = request.x.shape[0];
  const size = request.x.size / batch;
  const data = request.x.dataSync() as Float32Array;
  // Per row (examples repeated n times, as Captum's repeat_interleave): Σ attributions·I.
  const explained = new Float64Array(batch * n);
  const scores = await scoreRows(request, batch * n, (row, buffer, offset) => {
    const e = Math.floor(row / n);
    const { perturbation, perturbed } = perturb(data.slice(e * size, (e + 1) * size), e, row % n);
    if (perturbation?.length !== size || perturbed?.length !== size) {
      throw argumentError(
        FUNCTION,
        'perturb',
        `a function returning a perturbation and a perturbed input of ${size} values each`,
        described(`lengths ${perturbation?.length} and ${perturbed?.length}`),
      );
    }
    let sum = 0;
    for (let i = 0; i < size; i++) {
      sum += attributions[e][i] * perturbation[i];
      buffer[offset + i] = perturbed[i];
    }
    explained[row] = sum;
  });
  return attributions.map((_, e) => {
    const target = request.targets[e];
    const original = request.rows[e][target];
    let aa = 0;
    let ab = 0;
    let bb = 0;
    for (let s = 0; s < n; s++) {
      const a = explained[e * n + s];
      const b = original - rowScore(scores, e * n + s, target);
      aa += a * a;
      ab += a * b;
      bb += b * b;
    }
    if (options.normalize !== true) return (aa - 2 * ab + bb) / n;
    // Captum's safe_div: a zero denominator counts as 1.
    const beta = ab / (aa !== 0 ? aa : 1);
    return (beta * beta * aa - 2 * beta * ab + bb) / n;
  });
}

/**
 * Infidelity (Yeh et al. 2019, "On the (In)fidelity and Sensitivity of Explanations"), exactly as Captum's
 * `captum.metrics.infidelity`: for `perturbations` perturbations I of each example (default I ~ N(0, σ²) per value,
 * perturbed input x − I), the mean of (Σ attributions·I − (f(x) − f(x − I)))², f the target score. With `normalize`,
 * the attributions are first scaled by β = E[(a·I)(Δf)] / E[(a·I)²] (Captum's normalisation). 0 = the attributions
 * predict every score change exactly; lower is better; in squared score units (not comparable across score kinds).
 *
 * Options: `attributions` (required), `perturbations` (10), `noiseStdev` (0.15, input units), `normalize` (false),
 * `perturb` (a function replacing the Gaussian perturbation), `target`, `output`, `scores` ('logits'), `batchSize`,
 * `seed`. Returns one number per example. Throws WingbeatsError naming a bad argument.
 * @example const [value] = await infidelity(model, x, { attributions: result.attributions, noiseStdev: 0.1, seed: 0 });
 */
export async function infidelity(
  modelInput: ModelInput,
  inputs: InputLike,
  options: InfidelityOptions,
): Promise<number[]> {
  return withModelRequest(FUNCTION, modelInput, inputs, options, async (request) => {
    const batch = request.x.shape[0];
    const rows = attributionRows(FUNCTION, options?.attributions, batch, request.x.size / batch);
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    return infidelityOf(request, rows, { ...options, seed });
  });
}
