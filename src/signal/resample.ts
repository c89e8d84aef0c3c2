/** Rational polyphase resampling with an anti-aliasing FIR (scipy.signal.resample_poly defaults). */
import { argumentError, described } from '../util/errors.js';
import { kaiserSymmetric } from './window.js';
import { checkInteger, checkPositive, checkSignal } from './validate.js';

/** Greatest common divisor of two non-negative integers. */
function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** The resampling filter of {@link resamplePoly}, exposed for inspection and tests. */
export interface ResampleFilter {
  /** Reduced factors (divided by their gcd). */
  up: number;
  down: number;
  /** Filter taps at the upsampled rate, length `2·halfLength + 1`, DC gain `up`. */
  taps: Float64Array;
  halfLength: number;
}

const filterCache = new Map<string, ResampleFilter>();

/**
 * Largest reduced resampling factor (the filter has `20·factor + 1` taps: 1 M taps, 8 MB, at this bound). Rates whose
 * ratio does not reduce below it (e.g. 999983 Hz → 8000 Hz) are refused instead of designing a giant filter.
 */
export const MAX_RESAMPLE_FACTOR = 50_000;

/**
 * Designs scipy's `resample_poly` filter: `firwin(2·10·max(up,down)+1, 1/max(up,down), window=('kaiser', 5.0))`
 * (windowed sinc, cutoff at the lower of the two Nyquist frequencies, DC gain normalised to 1) times `up`.
 *
 * @param up - Upsampling factor (positive integer).
 * @param down - Downsampling factor (positive integer).
 * @returns {@link ResampleFilter} for the factors reduced by their gcd (cached; do not modify `taps`).
 * @throws WingbeatsError `INVALID_ARGUMENT` if a factor is not a positive integer.
 * @example
 * resampleFilter(80, 441).taps.length; // 8821
 */
export function resampleFilter(up: number, down: number): ResampleFilter {
  checkInteger('resampleFilter', 'up', up, 1);
  checkInteger('resampleFilter', 'down', down, 1);
  const g = gcd(up, down);
  up /= g;
  down /= g;
  if (Math.max(up, down) > MAX_RESAMPLE_FACTOR) {
    throw argumentError(
      'resampleFilter',
      'up/down',
      `factors that reduce to at most ${MAX_RESAMPLE_FACTOR} (resample the recording to a standard rate such as 44100 or 48000 Hz first)`,
      described(`${up}/${down}`),
    );
  }
  const key = `${up}/${down}`;
  const cached = filterCache.get(key);
  if (cached) return cached;
  const maxRate = Math.max(up, down);
  const halfLength = 10 * maxRate;
  const length = 2 * halfLength + 1;
  const cutoff = 1 / maxRate;
  const window = kaiserSymmetric(length, 5.0);
  const taps = new Float64Array(length);
  let sum = 0;
  for (let n = 0; n < length; n++) {
    const x = cutoff * (n - halfLength);
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    taps[n] = cutoff * sinc * window[n];
    sum += taps[n];
  }
  for (let n = 0; n < length; n++) taps[n] = (taps[n] / sum) * up;
  const filter: ResampleFilter = { up, down, taps, halfLength };
  filterCache.set(key, filter);
  return filter;
}

/**
 * Resamples by the rational factor `up/down` like `scipy.signal.resample_poly(x, up, down)` with its defaults:
 * zero-stuff by `up`, low-pass with {@link resampleFilter}, keep every `down`-th sample, zero padding at the
 * edges, delay compensated so output sample j sits at input time `j·down/up`; output length `ceil(n·up/down)`.
 * Only the needed outputs are computed (polyphase), in float64.
 *
 * Frequency response (measured on the filter, as a fraction of the lower of the two Nyquist frequencies —
 * the output Nyquist when downsampling): flat within 0.1 dB up to 0.85 of it, −6 dB at it; attenuation
 * at least 50 dB beyond 1.16, 54 dB beyond 1.2 and 60 dB beyond 1.35 of it (about 70 dB at 1.5): Kaiser β = 5.
 * For 44.1 kHz → 8 kHz: passband 0–3.4 kHz, a 6 kHz tone (aliasing to 2 kHz) is attenuated by about 70 dB.
 *
 * @param signal - Input samples.
 * @param up - Upsampling factor (positive integer).
 * @param down - Downsampling factor (positive integer).
 * @returns A new Float64Array of `ceil(n·up/down)` samples (a copy when up/down reduces to 1).
 * @throws WingbeatsError `INVALID_ARGUMENT` for non-integer or non-positive factors.
 * @example
 * const y = resamplePoly(x44k, 80, 441); // 44.1 kHz → 8 kHz
 */
export function resamplePoly(signal: ArrayLike<number>, up: number, down: number): Float64Array {
  checkSignal('resamplePoly', signal);
  checkInteger('resamplePoly', 'up', up, 1);
  checkInteger('resamplePoly', 'down', down, 1);
  const { up: u, down: d, taps, halfLength } = resampleFilter(up, down);
  const n = signal.length;
  if (u === 1 && d === 1) return Float64Array.from(signal);
  const outLength = Math.ceil((n * u) / d);
  const out = new Float64Array(outLength);
  const x = signal instanceof Float64Array ? signal : Float64Array.from(signal);
  const tapCount = taps.length;
  for (let j = 0; j < outLength; j++) {
    // Upsampled-domain position of output j, relative to the filter's first tap.
    const t = j * d + halfLength;
    const phase = t % u;
    let k = (t - phase) / u; // newest input sample touching this output
    let tap = phase;
    if (k >= n) {
      const skip = k - (n - 1);
      k = n - 1;
      tap += skip * u;
    }
    let acc = 0;
    for (; tap < tapCount && k >= 0; tap += u, k--) acc += taps[tap] * x[k];
    out[j] = acc;
  }
  return out;
}

/**
 * Resamples from one sampling rate to another with {@link resamplePoly} (factors `to/g`, `from/g` with
 * g = gcd(from, to)); rates must be integers in Hz.
 *
 * @param signal - Input samples at `fromRate`.
 * @param fromRate - Input rate in Hz (positive integer).
 * @param toRate - Output rate in Hz (positive integer).
 * @returns A new Float64Array at `toRate` (a float64 copy when the rates are equal).
 * @throws WingbeatsError `INVALID_ARGUMENT` for non-integer or non-positive rates.
 * @example
 * resampleTo(samples, 44100, 8000); // up 80, down 441
 */
export function resampleTo(signal: ArrayLike<number>, fromRate: number, toRate: number): Float64Array {
  checkPositive('resampleTo', 'fromRate', fromRate);
  checkPositive('resampleTo', 'toRate', toRate);
  if (!Number.isInteger(fromRate)) throw argumentError('resampleTo', 'fromRate', 'an integer number of Hz', fromRate);
  if (!Number.isInteger(toRate)) throw argumentError('resampleTo', 'toRate', 'an integer number of Hz', toRate);
  const g = gcd(fromRate, toRate);
  if (Math.max(fromRate, toRate) / g > MAX_RESAMPLE_FACTOR) {
    throw argumentError(
      'resampleTo',
      'fromRate',
      `a rate whose ratio to ${toRate} Hz reduces to factors of at most ${MAX_RESAMPLE_FACTOR} (resample the recording to a standard rate such as 44100 or 48000 Hz first)`,
      fromRate,
    );
  }
  return resamplePoly(signal, toRate / g, fromRate / g);
}
