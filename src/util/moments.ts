/** Running sums of values and squares (float64), added in a fixed order, for means and spreads over samples. */

/** Per-element running sums over samples: memory does not grow with the number of samples. */
export class Moments {
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;

  constructor(size: number) {
    this.sum = new Float64Array(size);
    this.sumSq = new Float64Array(size);
  }

  /** Adds one sample (its length is the size). */
  add(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      this.sum[i] += values[i];
      this.sumSq[i] += values[i] * values[i];
    }
  }

  /** Mean over `n` samples. */
  mean(n: number): Float64Array {
    return this.sum.map((s) => s / n);
  }

  /** Mean of squares over `n` samples. */
  meanSquare(n: number): Float64Array {
    return this.sumSq.map((q) => q / n);
  }

  /** Population variance over `n` samples (clipped at 0). */
  variance(n: number): Float64Array {
    return this.sumSq.map((q, i) => Math.max(0, q / n - (this.sum[i] / n) ** 2));
  }

  /** Population standard deviation over `n` samples. */
  std(n: number): Float64Array {
    return this.variance(n).map(Math.sqrt);
  }
}
