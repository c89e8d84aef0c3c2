/** Choosing a fixed-length window of a longer recording (the Keogh "around the loudest frame" crop). */
import { argumentError, described } from '../util/errors.js';
import { checkInteger, checkSignal } from './validate.js';

/**
 * Start of the window of `length` samples with the highest RMS (equivalently, the largest energy Σx²);
 * the earliest one on ties. This is the definition used for "cut around the loudest part": it centres the
 * window on where the insect is loudest without depending on a separate frame size. O(n) running sum.
 *
 * @param signal - The samples.
 * @param length - Window length in samples (1 … signal.length).
 * @returns The start index s, so the window is `signal[s … s + length − 1]`.
 * @throws WingbeatsError `INVALID_ARGUMENT` when `length` is not an integer in [1, signal.length].
 * @example
 * loudestWindowStart([0, 0, 3, 4, 0], 2); // 2
 */
export function loudestWindowStart(signal: ArrayLike<number>, length: number): number {
  checkSignal('loudestWindowStart', signal);
  checkInteger('loudestWindowStart', 'length', length, 1);
  if (length > signal.length) {
    throw argumentError(
      'loudestWindowStart',
      'length',
      `<= the signal length (${signal.length})`,
      described(String(length)),
    );
  }
  let energy = 0;
  for (let i = 0; i < length; i++) energy += signal[i] * signal[i];
  let best = energy;
  let bestStart = 0;
  // Re-summing every 4096 steps keeps the running sum's round-off from drifting on long recordings.
  for (let s = 1; s + length <= signal.length; s++) {
    if (s % 4096 === 0) {
      energy = 0;
      for (let i = s; i < s + length; i++) energy += signal[i] * signal[i];
    } else {
      const out = signal[s - 1];
      const inn = signal[s + length - 1];
      energy += inn * inn - out * out;
    }
    if (energy > best * (1 + 1e-12)) {
      best = energy;
      bestStart = s;
    }
  }
  return bestStart;
}
