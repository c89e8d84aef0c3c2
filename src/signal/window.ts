/** Window functions used by the Welch PSD, the STFT and the resampling filter (float64). */

/**
 * Periodic Hann window `w[n] = 0.5 − 0.5·cos(2πn/N)`, n = 0…N−1 (scipy `get_window('hann', N)`,
 * TensorFlow `hann_window(N, periodic=True)`).
 *
 * @param length - N, a positive integer.
 * @returns A new Float64Array of length N.
 * @example
 * hannPeriodic(4); // Float64Array [0, 0.5, 1, 0.5]
 */
export function hannPeriodic(length: number): Float64Array {
  const w = new Float64Array(length);
  for (let n = 0; n < length; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / length);
  return w;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges for all real x). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Symmetric Kaiser window of length M and shape `beta` (scipy `get_window(('kaiser', beta), M, fftbins=False)`).
 *
 * @param length - M, a positive integer.
 * @param beta - Shape parameter (5.0 in scipy's `resample_poly`).
 * @returns A new Float64Array of length M.
 * @example
 * kaiserSymmetric(21, 5.0)[10]; // 1 (the centre)
 */
export function kaiserSymmetric(length: number, beta: number): Float64Array {
  const w = new Float64Array(length);
  if (length === 1) {
    w[0] = 1;
    return w;
  }
  const norm = besselI0(beta);
  for (let n = 0; n < length; n++) {
    const r = (2 * n) / (length - 1) - 1;
    w[n] = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / norm;
  }
  return w;
}
