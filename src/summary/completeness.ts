/** The completeness gap of integrated gradients on the scale of the explained change, so a reader can judge it. */

/**
 * The relative completeness gap |δ| / |f(x) − f(baseline)|, where δ = Σ attributions − (f(x) − f(baseline)). Since
 * f(x) − f(baseline) = Σ attributions − δ, it needs only the gap and the attribution sum. 0.01 means the attributions
 * account for the score change to within 1 %. `Infinity` when f(x) = f(baseline) and δ ≠ 0; 0 when both are 0.
 *
 * @param delta - The completeness gap of one example.
 * @param attributionSum - The sum of that example's attributions.
 * @example
 * relativeCompletenessGap(1.08, -65.8); // 0.0161 (the gap is 1.6 % of |f(x) − f(b)| = 66.88)
 */
export function relativeCompletenessGap(delta: number, attributionSum: number): number {
  const change = Math.abs(attributionSum - delta);
  if (change === 0) return delta === 0 ? 0 : Infinity;
  return Math.abs(delta) / change;
}
