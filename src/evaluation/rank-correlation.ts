/** Spearman's rank correlation (plain arrays, no TensorFlow.js). */
import { argumentError, described } from '../util/errors.js';

/** Ranks 1…n with ties given the mean of the ranks they span (the "average" rule of scipy.stats.rankdata). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    const rank = (start + end + 1) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's correlation of two equally long arrays; 0 when either is constant (no rank order to agree with). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/**
 * Spearman's rank correlation of two equally long arrays: Pearson's correlation of their average ranks (as
 * `scipy.stats.spearmanr`), in [−1, 1]; 0 when either array is constant (scipy returns NaN there).
 * @throws WingbeatsError when the lengths differ or are below 2.
 */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length < 2) {
    throw argumentError(
      'spearman',
      'b',
      `as long as a (${a.length}, at least 2)`,
      described(`length ${b.length}`),
      'SHAPE_MISMATCH',
    );
  }
  return pearson(averageRanks(a), averageRanks(b));
}
