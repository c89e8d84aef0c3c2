/** Welch power spectral density (scipy.signal.welch with the settings the wingbeats models were trained on). */
import { realFftPlan } from './fft.js';
import { hannPeriodic } from './window.js';
import { argumentError } from '../util/errors.js';
import { checkFftLength, checkInteger, checkLength, checkPositive, checkSignal } from './validate.js';

/** Options of {@link welchPsd}. */
export interface WelchOptions {
  /** Samples per segment. Default 256. */
  segmentLength?: number;
  /** Samples shared by consecutive segments (< segmentLength). Default `segmentLength * 3 / 4` rounded down. */
  overlap?: number;
  /** FFT length, a power of two ≥ segmentLength (zero padding). Default `segmentLength`. */
  fftLength?: number;
  /** Number of one-sided bins to keep, from DC up. Default all `fftLength / 2 + 1`. */
  bins?: number;
}

/** Result of {@link welchPsd}. */
export interface WelchResult {
  /** Bin frequencies in Hz, `k · sampleRate / fftLength`. */
  frequencies: Float64Array;
  /** One-sided power spectral density in (signal units)²/Hz, float64. */
  psd: Float64Array;
  /** Number of segments averaged. */
  segments: number;
  /** Samples at the end that no segment covered. */
  unusedTailSamples: number;
}

/**
 * Welch PSD: segments of `segmentLength` every `segmentLength − overlap` samples (no end padding), each
 * with its mean removed (detrend 'constant'), multiplied by a periodic Hann window and transformed;
 * periodogram `|X|² / (fs·Σw²)` (density scaling), bins 1…N/2−1 doubled (one-sided), mean over segments.
 * Equal to `scipy.signal.welch(x, fs, 'hann', nperseg, noverlap, nfft)` to float64 round-off. Computed in float64.
 * Method: P. D. Welch, "The use of fast Fourier transform for the estimation of power spectra", IEEE Trans.
 * Audio Electroacoustics 15(2), 1967.
 *
 * @param signal - The samples (read as float64).
 * @param sampleRate - fs in Hz.
 * @param options - {@link WelchOptions}: segmentLength 256, overlap 3/4 of it, fftLength = segmentLength, all bins.
 * @returns {@link WelchResult} with float64 `psd` and `frequencies`.
 * @throws WingbeatsError `INVALID_ARGUMENT` for bad options or a signal shorter than one segment.
 * @example
 * const { psd } = welchPsd(samples, 8000, { segmentLength: 256, overlap: 192 }); // 129 bins
 */
export function welchPsd(signal: ArrayLike<number>, sampleRate: number, options: WelchOptions = {}): WelchResult {
  const fn = 'welchPsd';
  checkSignal(fn, signal);
  checkPositive(fn, 'sampleRate', sampleRate);
  const segmentLength = checkInteger(fn, 'options.segmentLength', options.segmentLength ?? 256, 2);
  const overlap = checkInteger(fn, 'options.overlap', options.overlap ?? Math.floor((segmentLength * 3) / 4), 0);
  if (overlap >= segmentLength)
    throw argumentError(fn, 'options.overlap', `< segmentLength (${segmentLength})`, overlap);
  const fftLength = checkFftLength(fn, 'options.fftLength', options.fftLength ?? segmentLength);
  if (fftLength < segmentLength)
    throw argumentError(fn, 'options.fftLength', `>= segmentLength (${segmentLength})`, fftLength);
  const half = fftLength / 2;
  const bins = checkInteger(fn, 'options.bins', options.bins ?? half + 1, 1);
  if (bins > half + 1) throw argumentError(fn, 'options.bins', `<= fftLength / 2 + 1 (${half + 1})`, bins);
  checkLength(fn, signal, segmentLength, 'one Welch segment');

  const step = segmentLength - overlap;
  const segments = Math.floor((signal.length - segmentLength) / step) + 1;
  const window = hannPeriodic(segmentLength);
  let windowPower = 0;
  for (let i = 0; i < segmentLength; i++) windowPower += window[i] * window[i];
  const plan = realFftPlan(fftLength);
  const frame = new Float64Array(fftLength);
  const sum = new Float64Array(bins);

  for (let s = 0; s < segments; s++) {
    const start = s * step;
    let mean = 0;
    for (let i = 0; i < segmentLength; i++) mean += signal[start + i];
    mean /= segmentLength;
    for (let i = 0; i < segmentLength; i++) frame[i] = (signal[start + i] - mean) * window[i];
    const spectrum = plan.transform(frame);
    for (let k = 0; k < bins; k++) {
      const re = spectrum[2 * k];
      const im = spectrum[2 * k + 1];
      sum[k] += re * re + im * im;
    }
  }

  const scale = 1 / (sampleRate * windowPower * segments);
  const psd = new Float64Array(bins);
  const frequencies = new Float64Array(bins);
  for (let k = 0; k < bins; k++) {
    psd[k] = sum[k] * scale * (k === 0 || k === half ? 1 : 2);
    frequencies[k] = (k * sampleRate) / fftLength;
  }
  return { frequencies, psd, segments, unusedTailSamples: signal.length - ((segments - 1) * step + segmentLength) };
}

/**
 * Power to decibels as the models saw it: `10·log10(p)` computed in float64, then cast to float32.
 * Zero power gives −Infinity.
 *
 * @param power - Power values (e.g. {@link WelchResult.psd}).
 * @returns A new Float32Array of the same length.
 * @example
 * powerToDb(Float64Array.of(1, 0.01)); // Float32Array [0, -20]
 */
export function powerToDb(power: ArrayLike<number>): Float32Array {
  const out = new Float32Array(power.length);
  for (let i = 0; i < power.length; i++) out[i] = 10 * Math.log10(power[i]);
  return out;
}
