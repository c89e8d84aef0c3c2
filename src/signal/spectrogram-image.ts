/** The spectrogram "image" the wingbeats 2-D CNNs take: real-part STFT → dB → 3 channels in [-1, 1]. */
import { computeStftReal, type StftOptions } from './stft.js';

/** A model input in height × width × channels layout (row-major [freq][time][channel]). */
export interface SpectrogramImage {
  /** Row-major [bins][frames][3] float32; row 0 is the highest kept frequency. */
  data: Float32Array;
  /** [bins, frames, 3]. */
  shape: [number, number, number];
}

const F32_LN10 = Math.fround(Math.LN10);

/**
 * The spectrogram model input, every step as the upstream project computed it:
 * 1. `stftRealPart` (real part only, float32);
 * 2. `10·ln|re|/ln 10` in float32 (−∞ for exact zeros becomes 0), then its absolute value;
 * 3. transpose to [frequency][time], reverse the frequency axis (row 0 = highest bin);
 * 4. 3 identical channels and `x / 127.5 − 1` in float32 (Keras MobileNet preprocessing).
 * An all-zero frame therefore becomes exactly −1.
 *
 * @param signal - The samples (peak-normalised already for the Potamitis recipe).
 * @param options - {@link StftOptions}: frameLength 256, frameStep 42, fftLength = frameLength, all bins.
 * @returns {@link SpectrogramImage} of shape [bins, frames, 3].
 * @throws WingbeatsError `INVALID_ARGUMENT` for bad options or a signal shorter than one frame.
 * @example
 * const { data, shape } = spectrogramImage(samples8k, { frameLength: 256, frameStep: 42, bins: 129 }); // [129, 113, 3]
 */
export function spectrogramImage(signal: ArrayLike<number>, options: StftOptions = {}): SpectrogramImage {
  const { real, frames, bins } = computeStftReal('spectrogramImage', signal, options);
  const data = new Float32Array(bins * frames * 3);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < bins; k++) {
      const magnitude = Math.abs(real[t * bins + k]);
      let db = 0;
      if (magnitude !== 0) {
        const ln = Math.fround(Math.log(magnitude));
        db = Math.abs(Math.fround(Math.fround(10 * ln) / F32_LN10));
      }
      const value = Math.fround(Math.fround(db / 127.5) - 1);
      const at = ((bins - 1 - k) * frames + t) * 3;
      data[at] = value;
      data[at + 1] = value;
      data[at + 2] = value;
    }
  }
  return { data, shape: [bins, frames, 3] };
}

/**
 * The level in dB a spectrogram-image value encodes: `(v + 1) · 127.5`, i.e. `|10·log10|Re STFT||` (the inverse of
 * step 4 of {@link spectrogramImage}; the sign of the dB value was dropped by step 2 and cannot be recovered).
 *
 * @param values - Image values in model units ([−1, 1]).
 * @returns A new Float32Array of levels in dB.
 * @example spectrogramImageToDb([-1, -0.6]); // Float32Array [0, 51]
 */
export function spectrogramImageToDb(values: ArrayLike<number>): Float32Array {
  return Float32Array.from(values, (v) => (v + 1) * 127.5);
}

/** Legend title of a spectrogram image shown in dB by {@link spectrogramImageToDb}. */
export const SPECTROGRAM_DB_LABEL = '|level| (dB)';
