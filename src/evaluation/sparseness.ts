/** Sparseness of an explanation: the Gini index of its absolute relevance (Chalasani et al. 2020). */
import { argumentError, described } from '../util/errors.js';

/**
 * Gini index of |a| over all values of one attribution map: with |a| sorted ascending, a₍₁₎ ≤ ... ≤ a₍ₙ₎,
 * G = Σ_k (2k − n − 1)·a₍ₖ₎ / (n·Σ a). 0 when relevance is spread evenly over every value, → 1 (exactly (n−1)/n) when it
 * all sits on one value; higher = sparser, easier to read. NaN for a map that is all zero. Throws INVALID_ARGUMENT for
 * an empty map.
 * @example sparseness([0, 0, 0, 4]) // 0.75
 */
export function sparseness(attributions: ArrayLike<number>): number {
  const n = attributions.length;
  if (n === 0) throw argumentError('sparseness', 'attributions', 'at least one value', described('an empty map'));
  const values = Float64Array.from(attributions, Math.abs).sort();
  let weighted = 0;
  let total = 0;
  for (let k = 0; k < n; k++) {
    weighted += (2 * (k + 1) - n - 1) * values[k];
    total += values[k];
  }
  return total > 0 ? weighted / (n * total) : Number.NaN;
}
