/**
 * Mel scale and triangular mel filterbanks, as librosa's `filters.mel` defines them (Slaney's Auditory Toolbox scale and
 * area normalisation by default, or the HTK formula). Plain code, no TensorFlow.js.
 */
import { argumentError } from '../util/errors.js';
import { checkFftLength, checkInteger } from './validate.js';

/** Which mel formula: `'slaney'` (linear below 1 kHz, logarithmic above; librosa's default) or `'htk'`. */
export type MelScale = 'slaney' | 'htk';

const SLANEY_BREAK_HZ = 1000;
const SLANEY_HZ_PER_MEL = 200 / 3;
const SLANEY_BREAK_MEL = 15; // 1000 Hz / (200/3 Hz per mel), exactly
const SLANEY_LOG_STEP = Math.log(6.4) / 27;

/** Hz → mel. HTK: `2595·log10(1 + f/700)`; Slaney: `3f/200` below 1 kHz, `15 + ln(f/1000)/(ln 6.4/27)` above. */
export function hzToMel(hz: number, scale: MelScale = 'slaney'): number {
  if (scale === 'htk') return 2595 * Math.log10(1 + hz / 700);
  return hz < SLANEY_BREAK_HZ
    ? hz / SLANEY_HZ_PER_MEL
    : SLANEY_BREAK_MEL + Math.log(hz / SLANEY_BREAK_HZ) / SLANEY_LOG_STEP;
}

/** Mel → Hz, the inverse of {@link hzToMel}. */
export function melToHz(mel: number, scale: MelScale = 'slaney'): number {
  if (scale === 'htk') return 700 * (10 ** (mel / 2595) - 1);
  return mel < SLANEY_BREAK_MEL
    ? mel * SLANEY_HZ_PER_MEL
    : SLANEY_BREAK_HZ * Math.exp(SLANEY_LOG_STEP * (mel - SLANEY_BREAK_MEL));
}

/** Options of {@link melFilterbank}. */
export interface MelFilterbankOptions {
  /** Lowest edge in Hz. Default 0. */
  fmin?: number;
  /** Highest edge in Hz. Default `sampleRate / 2`. */
  fmax?: number;
  /** Mel formula. Default `'slaney'`. */
  scale?: MelScale;
  /** `'slaney'` (default): each triangle divided by its width in Hz / 2 (constant energy per band); `'none'`: peak 1. */
  norm?: 'slaney' | 'none';
}

/** A mel filterbank: `weights` row-major [bands][fftLength / 2 + 1]. */
export interface MelFilterbank {
  weights: Float64Array;
  bands: number;
  /** FFT bins per band (`fftLength / 2 + 1`). */
  bins: number;
  /** Centre frequency (Hz) of every band, ascending. */
  centreHz: Float64Array;
}

/**
 * Triangular mel filters over the bins of a real FFT: `bands + 2` points evenly spaced in mel from `fmin` to `fmax`,
 * band `i` rising from point `i` to `i + 1` and falling to `i + 2` (weights `max(0, min(rise, fall))` at every bin
 * frequency `k·sampleRate/fftLength`), then Slaney's area normalisation `2 / (f[i+2] − f[i])` unless `norm: 'none'`.
 * The same definition as librosa's `filters.mel(sr, n_fft, n_mels, fmin, fmax, htk, norm)`.
 *
 * @param sampleRate - Hz.
 * @param fftLength - FFT length (a power of two).
 * @param bands - Number of mel bands (≥ 1).
 * @param options - {@link MelFilterbankOptions}: fmin 0, fmax sampleRate/2, scale 'slaney', norm 'slaney'.
 * @returns {@link MelFilterbank}.
 * @throws WingbeatsError `INVALID_ARGUMENT` for bad sizes or `0 ≤ fmin < fmax ≤ sampleRate / 2` not holding.
 * @example melFilterbank(22050, 2048, 128).weights.length; // 128 × 1025
 */
export function melFilterbank(
  sampleRate: number,
  fftLength: number,
  bands: number,
  options: MelFilterbankOptions = {},
): MelFilterbank {
  const fn = 'melFilterbank';
  if (!(sampleRate > 0) || !Number.isFinite(sampleRate))
    throw argumentError(fn, 'sampleRate', 'a finite number > 0', sampleRate);
  checkFftLength(fn, 'fftLength', fftLength);
  checkInteger(fn, 'bands', bands, 1);
  const fmin = options.fmin ?? 0;
  const fmax = options.fmax ?? sampleRate / 2;
  if (!(fmin >= 0) || !Number.isFinite(fmin)) throw argumentError(fn, 'options.fmin', 'a finite number >= 0', fmin);
  if (!(fmax > fmin) || !(fmax <= sampleRate / 2))
    throw argumentError(fn, 'options.fmax', `a number in (fmin, sampleRate / 2] = (${fmin}, ${sampleRate / 2}]`, fmax);
  const scale = options.scale ?? 'slaney';
  if (scale !== 'slaney' && scale !== 'htk') throw argumentError(fn, 'options.scale', "'slaney' or 'htk'", scale);
  const norm = options.norm ?? 'slaney';
  if (norm !== 'slaney' && norm !== 'none') throw argumentError(fn, 'options.norm', "'slaney' or 'none'", norm);

  const bins = fftLength / 2 + 1;
  const low = hzToMel(fmin, scale);
  const high = hzToMel(fmax, scale);
  const points = Float64Array.from({ length: bands + 2 }, (_, i) =>
    melToHz(low + ((high - low) * i) / (bands + 1), scale),
  );
  const weights = new Float64Array(bands * bins);
  for (let b = 0; b < bands; b++) {
    const [left, centre, right] = [points[b], points[b + 1], points[b + 2]];
    const area = norm === 'slaney' ? 2 / (right - left) : 1;
    for (let k = 0; k < bins; k++) {
      const f = (k * sampleRate) / fftLength;
      const rise = (f - left) / (centre - left);
      const fall = (right - f) / (right - centre);
      weights[b * bins + k] = Math.max(0, Math.min(rise, fall)) * area;
    }
  }
  return { weights, bands, bins, centreHz: points.slice(1, bands + 1) };
}
