/**
 * Explanations you can hear: a recording split into what the model used and what it ignored, by a mask built from an
 * explanation's relevance. Spectrogram models: a time-frequency mask on the recording's STFT (original phase, periodic
 * Hann window, weighted overlap-add inversion). PSD models: a zero-phase filter whose gain per frequency follows the
 * relevance. `ignored = signal − used`, so the two parts add up to the recording. Plain typed-array code.
 */
import FFT from 'fft.js';
import { argumentError, described } from '../util/errors.js';
import { hannPeriodic } from './window.js';

/** How relevance becomes a gain in [0, 1]: `'hard'` (1 on the top share, 0 elsewhere) or `'soft'` (see {@link relevanceMask}). */
export type MaskMapping = 'hard' | 'soft';

/** The mappings, for validation and command-line choices. */
export const MASK_MAPPINGS = ['hard', 'soft'] as const satisfies readonly MaskMapping[];

/** Options of {@link relevanceMask}. */
export interface RelevanceMaskOptions {
  /** `'hard'` (default) or `'soft'`. */
  mapping?: MaskMapping;
  /** Share of the positions counted as used: the most relevant `share` of them (default 0.2). */
  share?: number;
}

/** The two parts of a recording. */
export interface ListenableParts {
  /** What the model used: the masked recording. */
  used: Float32Array;
  /** What it ignored: `signal − used`. */
  ignored: Float32Array;
}

/**
 * Gains in [0, 1] from relevance (e.g. a heatmap in [0, 1]): with the threshold t = the relevance of the
 * ⌈share·n⌉-th most relevant position, `'hard'` gives 1 where relevance ≥ t and 0 elsewhere; `'soft'` gives
 * min(1, max(0, relevance) / t), so the top share passes whole and the rest in proportion to its relevance.
 * Throws INVALID_ARGUMENT naming `share` or `mapping`.
 * @example relevanceMask([0.1, 0.9, 0.5, 0.2], { share: 0.25 }) // [0, 1, 0, 0]
 */
export function relevanceMask(relevance: ArrayLike<number>, options: RelevanceMaskOptions = {}): Float32Array {
  const mapping = options.mapping ?? 'hard';
  if (!MASK_MAPPINGS.includes(mapping)) throw argumentError('relevanceMask', 'mapping', "'hard' or 'soft'", mapping);
  const share = options.share ?? 0.2;
  if (typeof share !== 'number' || !(share > 0 && share <= 1))
    throw argumentError('relevanceMask', 'share', 'a number in (0, 1]', share);
  const n = relevance.length;
  if (n === 0) throw argumentError('relevanceMask', 'relevance', 'at least one value', described('none'));
  const sorted = Float64Array.from(relevance).sort().reverse();
  const threshold = sorted[Math.max(0, Math.ceil(share * n) - 1)];
  return Float32Array.from(relevance, (r) => {
    if (mapping === 'hard') return r >= threshold ? 1 : 0;
    return threshold > 0 ? Math.min(1, Math.max(0, r) / threshold) : r >= threshold ? 1 : 0;
  });
}

function nextPowerOfTwo(n: number): number {
  let size = 4;
  while (size < n) size *= 2;
  return size;
}

/** Interleaved complex spectrum of a real frame (zero-padded to `fft.size`), full length. */
function forward(fft: FFT, frame: Float64Array): number[] {
  const out = fft.createComplexArray() as number[];
  fft.realTransform(out, Array.from(frame));
  fft.completeSpectrum(out);
  return out;
}

/** Real part of the inverse FFT of an interleaved complex spectrum. */
function inverseReal(fft: FFT, spectrum: number[]): Float64Array {
  const out = fft.createComplexArray() as number[];
  fft.inverseTransform(out, spectrum);
  return Float64Array.from({ length: out.length / 2 }, (_, i) => out[2 * i]);
}

/** Gain at spectrum bin j of an FFT of `size` from `gains` over bins 0..gains.length−1 of an FFT of `gainFft` (linear, held at the ends). */
function gainAt(gains: ArrayLike<number>, gainFft: number, j: number, size: number): number {
  const k = Math.min(j, size - j) * (gainFft / size);
  const last = gains.length - 1;
  if (k >= last) return gains[last];
  const lo = Math.floor(k);
  return gains[lo] + (k - lo) * (gains[lo + 1] - gains[lo]);
}

function parts(signal: ArrayLike<number>, used: Float64Array): ListenableParts {
  return {
    used: Float32Array.from(used),
    ignored: Float32Array.from(signal, (v, i) => v - used[i]),
  };
}

/**
 * PSD models: a zero-phase filter. The gain at frequency f follows `gains` (one per PSD bin, bin k at k/`fftLength` of
 * the sampling rate, linearly interpolated, the last bin's gain held above it); the whole signal is transformed at once
 * (zero-padded to a power of two ≥ 2× its length, so the filter does not wrap around onto it), multiplied by the real
 * gains and transformed back. Returns `used` and `ignored = signal − used`; gains of 1 return the signal.
 * @example const { used, ignored } = splitByPsdGains(window, relevanceMask(heatmap), 256);
 */
export function splitByPsdGains(
  signal: ArrayLike<number>,
  gains: ArrayLike<number>,
  fftLength: number,
): ListenableParts {
  if (signal.length === 0) throw argumentError('splitByPsdGains', 'signal', 'at least one sample', described('none'));
  if (gains.length < 2 || gains.length > fftLength / 2 + 1)
    throw argumentError('splitByPsdGains', 'gains', `2 to ${fftLength / 2 + 1} gains (bins of the PSD)`, gains.length);
  const size = nextPowerOfTwo(2 * signal.length);
  const fft = new FFT(size);
  const padded = new Float64Array(size);
  padded.set(Float64Array.from(signal));
  const spectrum = forward(fft, padded);
  for (let j = 0; j < size; j++) {
    const g = gainAt(gains, fftLength, j, size);
    spectrum[2 * j] *= g;
    spectrum[2 * j + 1] *= g;
  }
  return parts(signal, inverseReal(fft, spectrum).subarray(0, signal.length));
}

/** STFT settings of {@link splitBySpectrogramMask} (those of the spectrogram preset). */
export interface MaskStftSettings {
  frameLength: number;
  frameStep: number;
  fftLength: number;
}

/**
 * Spectrogram models: a time-frequency mask. `mask` is `bins × frames`, row-major, row 0 = bin 0 (DC) — frame f is the
 * preset's frame starting at sample f·frameStep, bin k at k/fftLength of the sampling rate; bins above the mask take its
 * last row, frames before and after it its first and last column. The signal's STFT (periodic Hann window, frames
 * extended over both ends so every sample is covered) is multiplied by the mask, keeping the original phase, and
 * inverted by weighted overlap-add (Σ w·frame / Σ w²). Returns `used` and `ignored = signal − used`; an all-ones mask
 * returns the signal.
 * @example const { used } = splitBySpectrogramMask(window, mask, 129, 113, { frameLength: 256, frameStep: 42, fftLength: 256 });
 */
export function splitBySpectrogramMask(
  signal: ArrayLike<number>,
  mask: ArrayLike<number>,
  bins: number,
  frames: number,
  settings: MaskStftSettings,
): ListenableParts {
  const { frameLength, frameStep, fftLength } = settings;
  if (mask.length !== bins * frames || bins < 1 || frames < 1)
    throw argumentError(
      'splitBySpectrogramMask',
      'mask',
      `${bins} × ${frames} gains`,
      described(`${mask.length} values`),
    );
  if (bins > fftLength / 2 + 1)
    throw argumentError('splitBySpectrogramMask', 'bins', `at most fftLength / 2 + 1 (${fftLength / 2 + 1})`, bins);
  const n = signal.length;
  const before = Math.ceil(frameLength / frameStep);
  const first = -before;
  const last = Math.ceil(n / frameStep);
  const window = hannPeriodic(frameLength);
  const fft = new FFT(fftLength);
  const sum = new Float64Array(n);
  const weight = new Float64Array(n);
  const frame = new Float64Array(fftLength);
  for (let f = first; f <= last; f++) {
    const start = f * frameStep;
    frame.fill(0);
    for (let i = 0; i < frameLength; i++) {
      const t = start + i;
      if (t >= 0 && t < n) frame[i] = window[i] * signal[t];
    }
    const spectrum = forward(fft, frame);
    const column = Math.min(frames - 1, Math.max(0, f));
    for (let j = 0; j < fftLength; j++) {
      const k = Math.min(Math.min(j, fftLength - j), bins - 1);
      const g = mask[k * frames + column];
      spectrum[2 * j] *= g;
      spectrum[2 * j + 1] *= g;
    }
    const back = inverseReal(fft, spectrum);
    for (let i = 0; i < frameLength; i++) {
      const t = start + i;
      if (t < 0 || t >= n) continue;
      sum[t] += window[i] * back[i];
      weight[t] += window[i] * window[i];
    }
  }
  return parts(
    signal,
    sum.map((s, t) => s / weight[t]),
  );
}
