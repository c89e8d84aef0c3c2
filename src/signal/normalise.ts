/** Amplitude normalisation of the Potamitis recipe. */
import { WingbeatsError } from '../util/errors.js';
import { checkSignal } from './validate.js';

/**
 * Divides every sample by the largest absolute value (computed in float64), so the peak becomes ±1.
 *
 * @param signal - The samples.
 * @returns A new Float64Array (float64, so a later cast to float32 rounds only once).
 * @throws WingbeatsError `INVALID_ARGUMENT` when every sample is zero (a silent recording cannot be
 *   normalised) or a sample is not finite.
 * @example
 * normalisePeak([0.5, -2, 1]); // Float64Array [0.25, -1, 0.5]
 */
export function normalisePeak(signal: ArrayLike<number>): Float64Array {
  checkSignal('normalisePeak', signal);
  let peak = 0;
  for (let i = 0; i < signal.length; i++) {
    const a = Math.abs(signal[i]);
    if (!(a <= Number.MAX_VALUE)) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Argument 'signal' passed to 'normalisePeak' must be finite but sample ${i} is ${signal[i]}.`,
      );
    }
    if (a > peak) peak = a;
  }
  if (peak === 0) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Argument 'signal' passed to 'normalisePeak' must not be all zeros (a silent recording cannot be peak-normalised) but all ${signal.length} samples are 0.`,
    );
  }
  const out = new Float64Array(signal.length);
  for (let i = 0; i < signal.length; i++) out[i] = signal[i] / peak;
  return out;
}
