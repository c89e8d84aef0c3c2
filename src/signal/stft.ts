/** Short-time Fourier transform, keeping only the real part (what the wingbeats spectrogram models saw). */
import { argumentError } from '../util/errors.js';
import { realFftPlan } from './fft.js';
import { hannPeriodic } from './window.js';
import { checkFftLength, checkInteger, checkLength, checkSignal } from './validate.js';

/** Options of {@link stftRealPart}. */
export interface StftOptions {
  /** Samples per frame. Default 256. */
  frameLength?: number;
  /** Samples between frame starts. Default 42 (TensorFlow's `256 − (256 − 256//6)` of the Potamitis recipe). */
  frameStep?: number;
  /** FFT length, a power of two ≥ frameLength. Default `frameLength`. */
  fftLength?: number;
  /** Bins kept from DC up. Default all `fftLength / 2 + 1`. */
  bins?: number;
}

/** Result of {@link stftRealPart}: a [frames][bins] row-major matrix. */
export interface StftRealResult {
  /** Real parts, float32 (cast from a float64 FFT), row-major [frame][bin], bin 0 = DC. */
  real: Float32Array;
  frames: number;
  bins: number;
}

/** Resolved STFT settings (internal). */
interface StftSettings {
  frameLength: number;
  frameStep: number;
  fftLength: number;
  bins: number;
  frames: number;
}

/** Validates STFT options for a signal of `length` samples. */
function resolveStft(fn: string, length: number, options: StftOptions): StftSettings {
  const frameLength = checkInteger(fn, 'options.frameLength', options.frameLength ?? 256, 2);
  const frameStep = checkInteger(fn, 'options.frameStep', options.frameStep ?? 42, 1);
  const fftLength = checkFftLength(fn, 'options.fftLength', options.fftLength ?? frameLength);
  if (fftLength < frameLength)
    throw argumentError(fn, 'options.fftLength', `>= frameLength (${frameLength})`, fftLength);
  const bins = checkInteger(fn, 'options.bins', options.bins ?? fftLength / 2 + 1, 1);
  if (bins > fftLength / 2 + 1)
    throw argumentError(fn, 'options.bins', `<= fftLength / 2 + 1 (${fftLength / 2 + 1})`, bins);
  const frames = length >= frameLength ? Math.floor((length - frameLength) / frameStep) + 1 : 0;
  return { frameLength, frameStep, fftLength, bins, frames };
}

/**
 * STFT without scaling or end padding (frames that do not fit are dropped), periodic Hann window, FFT in
 * float64, keeping only the REAL part of each bin cast to float32 — TensorFlow's `tf.signal.stft` followed
 * by a complex-to-float cast, as in the upstream wingbeats project.
 *
 * @param signal - The samples (read as float64).
 * @param options - {@link StftOptions}: frameLength 256, frameStep 42, fftLength = frameLength, all bins.
 * @returns {@link StftRealResult}, [frames][bins].
 * @throws WingbeatsError `INVALID_ARGUMENT` for bad options or a signal shorter than one frame.
 * @example
 * const { real, frames, bins } = stftRealPart(samples, { frameLength: 256, frameStep: 42 }); // 113 × 129 for 5000 samples
 */
export function stftRealPart(signal: ArrayLike<number>, options: StftOptions = {}): StftRealResult {
  return computeStftReal('stftRealPart', signal, options);
}

/** {@link stftRealPart} with the calling function's name in error messages (internal). */
export function computeStftReal(fn: string, signal: ArrayLike<number>, options: StftOptions): StftRealResult {
  let real = new Float32Array(0);
  const { frames, bins } = eachStftFrame(fn, signal, options, (t, spectrum, s) => {
    if (t === 0) real = new Float32Array(s.frames * s.bins);
    for (let k = 0; k < s.bins; k++) real[t * s.bins + k] = spectrum[2 * k];
  });
  return { real, frames, bins };
}

/**
 * The framing both STFTs share: checks, periodic Hann window, one real FFT per frame that fits; `visit` gets each
 * frame's interleaved spectrum (re, im) in order. Returns the resolved settings.
 */
function eachStftFrame(
  fn: string,
  signal: ArrayLike<number>,
  options: StftOptions,
  visit: (t: number, spectrum: Float64Array, s: { frames: number; bins: number }) => void,
): { frames: number; bins: number } {
  checkSignal(fn, signal);
  const s = resolveStft(fn, signal.length, options);
  checkLength(fn, signal, s.frameLength, 'one STFT frame');
  const window = hannPeriodic(s.frameLength);
  const plan = realFftPlan(s.fftLength);
  const frame = new Float64Array(s.fftLength);
  for (let t = 0; t < s.frames; t++) {
    const start = t * s.frameStep;
    for (let i = 0; i < s.frameLength; i++) frame[i] = signal[start + i] * window[i];
    visit(t, plan.transform(frame), s);
  }
  return { frames: s.frames, bins: s.bins };
}

/** Result of {@link stftPower}: a [frames][bins] row-major matrix of |X|² (float64). */
export interface StftPowerResult {
  power: Float64Array;
  frames: number;
  bins: number;
}

/**
 * Power STFT `|X|²` with the same framing as {@link stftRealPart} (periodic Hann window, no scaling, frames that do not
 * fit dropped; a window shorter than the FFT is zero-padded at its end, which leaves magnitudes unchanged).
 *
 * @param signal - The samples (read as float64).
 * @param options - {@link StftOptions}: frameLength 256, frameStep 42, fftLength = frameLength, all bins.
 * @returns {@link StftPowerResult}, [frames][bins].
 * @throws WingbeatsError `INVALID_ARGUMENT` for bad options or a signal shorter than one frame.
 * @example stftPower(samples, { frameLength: 2048, frameStep: 512 }).bins; // 1025
 */
export function stftPower(signal: ArrayLike<number>, options: StftOptions = {}): StftPowerResult {
  let power = new Float64Array(0);
  const { frames, bins } = eachStftFrame('stftPower', signal, options, (t, spectrum, s) => {
    if (t === 0) power = new Float64Array(s.frames * s.bins);
    for (let k = 0; k < s.bins; k++) power[t * s.bins + k] = spectrum[2 * k] ** 2 + spectrum[2 * k + 1] ** 2;
  });
  return { power, frames, bins };
}
