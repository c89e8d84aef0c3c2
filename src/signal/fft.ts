/**
 * Internal: cached real-input FFT plans over the `fft.js` package (radix-4, float64).
 * Not part of the public surface.
 */
import FFT from 'fft.js';

/** A reusable real FFT of one size: `transform(input)` returns the interleaved complex half spectrum. */
export interface RealFftPlan {
  readonly size: number;
  /**
   * Transforms `input` (length `size`, real) and returns the interleaved [re, im] spectrum; bins
   * 0..size/2 are valid. The returned array is owned by the plan and overwritten by the next call.
   */
  transform(input: Float64Array): Float64Array;
}

const plans = new Map<number, RealFftPlan>();

/** Returns the (cached) real FFT plan of `size` (a power of two, at least 4 — fft.js's constraint). */
export function realFftPlan(size: number): RealFftPlan {
  let plan = plans.get(size);
  if (plan === undefined) {
    const fft = new FFT(size);
    const out = new Float64Array(2 * size);
    plan = {
      size,
      transform(input: Float64Array): Float64Array {
        fft.realTransform(out, input);
        return out;
      },
    };
    plans.set(size, plan);
  }
  return plan;
}

/** True when `n` is a power of two of at least 4 (the sizes `fft.js` accepts). */
export function isFftSize(n: number): boolean {
  return Number.isInteger(n) && n >= 4 && (n & (n - 1)) === 0;
}
