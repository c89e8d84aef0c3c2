/** One-number summaries of perturbation curves: AOPC, the area under the normalised curve, and spreads across seeds. */
import { argumentError, described } from '../util/errors.js';

function checkCurve(functionName: string, argument: string, values: ArrayLike<number>): void {
  if (values.length < 1)
    throw argumentError(functionName, argument, 'a curve of at least one point', described('an empty curve'));
}

/**
 * Area over the perturbation curve (Samek et al. 2017): the mean over steps k = 0..K of (score₀ − score_k), where
 * score₀ is the unflipped score. Larger = the flipped positions mattered more. Same units as the scores.
 * Throws INVALID_ARGUMENT for an empty curve.
 * @example aopc([3, 2, 0.5]) // ((3−3) + (3−2) + (3−0.5)) / 3 = 1.1667
 */
export function aopc(targetScores: ArrayLike<number>): number {
  checkCurve('aopc', 'targetScores', targetScores);
  const first = targetScores[0];
  let sum = 0;
  for (let k = 0; k < targetScores.length; k++) sum += first - targetScores[k];
  return sum / targetScores.length;
}

/**
 * Area under the normalised perturbation curve: the trapezoid integral of score_k / score₀ over the fraction of
 * positions flipped (`fractions`, from 0). Smaller = the score fell faster. The ratio is only meaningful for a
 * positive unflipped score (probabilities, or a positive logit); NaN is returned when score₀ ≤ 0.
 * Throws INVALID_ARGUMENT when the two arrays differ in length or are empty.
 * @example perturbationAuc([2, 1, 0], [0, 0.1, 0.2]) // 0.1·(1 + 0.5)/2 + 0.1·(0.5 + 0)/2 = 0.1
 */
export function perturbationAuc(targetScores: ArrayLike<number>, fractions: ArrayLike<number>): number {
  checkCurve('perturbationAuc', 'targetScores', targetScores);
  if (fractions.length !== targetScores.length) {
    throw argumentError(
      'perturbationAuc',
      'fractions',
      `one fraction per score (${targetScores.length})`,
      described(`${fractions.length} fractions`),
    );
  }
  const first = targetScores[0];
  if (!(first > 0)) return Number.NaN;
  let area = 0;
  for (let k = 1; k < targetScores.length; k++) {
    area += ((fractions[k] - fractions[k - 1]) * (targetScores[k] + targetScores[k - 1])) / (2 * first);
  }
  return area;
}

/** Mean and standard deviation of a set of numbers (e.g. AOPC of the random baseline across seeds). */
export interface Spread {
  mean: number;
  /** Population standard deviation (divisor n, NumPy's default); 0 for a single value. */
  std: number;
  /** The values themselves. */
  values: number[];
}

/**
 * Mean and population standard deviation of `values` (e.g. one AOPC per random seed).
 * Throws INVALID_ARGUMENT for an empty list.
 * @example spread([1, 2, 3]) // { mean: 2, std: 0.8165, values: [1, 2, 3] }
 */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw argumentError('spread', 'values', 'at least one number', described('an empty list'));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) * (b - mean), 0) / values.length;
  return { mean, std: Math.sqrt(variance), values: [...values] };
}
