/** Complexity of an explanation: the entropy of its normalised absolute relevance (Bhatt et al. 2020). */
import { argumentError, described } from '../util/errors.js';

/**
 * Entropy (natural log) of the fractional contributions p_i = |a_i| / Σ|a| over all values of one attribution map:
 * H = −Σ p_i ln p_i (0·ln 0 = 0). 0 when all relevance sits on one value, ln(n) (the largest possible) when it is spread
 * evenly; lower = simpler. NaN for a map that is all zero. Throws INVALID_ARGUMENT for an empty map.
 * @example complexity([1, 1, 0, 0]) // ln 2 = 0.6931
 */
export function complexity(attributions: ArrayLike<number>): number {
  const n = attributions.length;
  if (n === 0) throw argumentError('complexity', 'attributions', 'at least one value', described('an empty map'));
  let total = 0;
  for (let i = 0; i < n; i++) total += Math.abs(attributions[i]);
  if (!(total > 0)) return Number.NaN;
  let entropy = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.abs(attributions[i]) / total;
    if (p > 0) entropy -= p * Math.log(p);
  }
  return entropy;
}
