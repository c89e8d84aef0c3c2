/**
 * Explanations you can hear, for the whole recording at its own rate: the relevance of the model's window (a gain per
 * PSD bin, or per time-frequency cell of its spectrogram) mapped back onto the original recording in seconds and Hz,
 * so the two parts have the recording's rate and length and add up to it. Plain typed-array code.
 */
import FFT from 'fft.js';
import { argumentError, described } from '../util/errors.js';
import type { ListenableParts } from './listenable.js';
import type { FeatureSettings } from './presets.js';
import { checkInteger, checkPositive, checkSignal } from './validate.js';
import { hannPeriodic } from './window.js';

/** Where what the model never saw goes: `'ignored'` (gain 0, the default) or `'used'` (gain 1). */
export type UnseenPart = 'ignored' | 'used';

/** The choices of {@link UnseenPart}, for validation. */
export const UNSEEN_PARTS = ['ignored', 'used'] as const satisfies readonly UnseenPart[];

/** Options of {@link splitRecording}. */
export interface SplitRecordingOptions {
  /**
   * What the model never saw — samples outside its window and frequencies above its highest bin (for a recording at
   * a higher rate than the preset's, everything the resampling removed): `'ignored'` (default; the model cannot have
   * used it) or `'used'` (then a mask of all ones returns the recording).
   */
  unseen?: UnseenPart;
}

/** The two parts of a recording at its own rate, and where the model's window lies in it. */
export interface RecordingParts extends ListenableParts {
  /** The recording's rate (Hz), the rate of both parts. */
  sampleRate: number;
  /** The model's window in the recording: its first sample and the sample after its last (at `sampleRate`). */
  windowStart: number;
  windowEnd: number;
  /** The highest frequency (Hz) the model saw: its last bin. Above it, gains are the `unseen` gain. */
  maxHz: number;
}

function nextPowerOfTwo(n: number): number {
  let size = 4;
  while (size < n) size *= 2;
  return size;
}

/** `frame` (length fft.size) filtered by real gains `gainOf(k)` per one-sided bin k (zero phase), in place into `out`. */
function filterFrame(
  fft: FFT,
  frame: Float64Array,
  gainOf: (k: number) => number,
  spectrum: Float64Array,
  back: Float64Array,
): Float64Array {
  const size = fft.size;
  fft.realTransform(spectrum, frame);
  fft.completeSpectrum(spectrum);
  for (let j = 0; j < size; j++) {
    const g = gainOf(Math.min(j, size - j));
    spectrum[2 * j] *= g;
    spectrum[2 * j + 1] *= g;
  }
  fft.inverseTransform(back, spectrum);
  return back;
}

/** Linear interpolation of `values[offset + stride·i]` at fractional index `x` in [0, count − 1]. */
function lerp(values: ArrayLike<number>, x: number, count: number, offset = 0, stride = 1): number {
  const lo = Math.min(count - 1, Math.max(0, Math.floor(x)));
  const hi = Math.min(count - 1, lo + 1);
  const w = Math.min(1, Math.max(0, x - lo));
  return values[offset + stride * lo] * (1 - w) + values[offset + stride * hi] * w;
}

/**
 * Splits a whole recording, at its own rate, into what the model used and what it ignored, from gains on the model's
 * input grid. The model's window (`windowStart` … `windowStart + settings.windowLength` at the preset's rate) is mapped
 * to seconds of the recording, and PSD bin / spectrogram bin k to k·`settings.sampleRate`/`settings.fftLength` Hz, so a
 * recording at another rate than the preset's is split in the same seconds and Hz.
 * - PSD settings: `gains` holds one gain per bin. The window's samples are filtered by a zero-phase filter whose gain
 *   at f Hz is the gains linearly interpolated at f (the whole span transformed at once, zero-padded to a power of two ≥
 *   twice its length so the filter does not wrap around). Samples outside the window take the `unseen` gain.
 * - Spectrogram settings: `gains` holds bins × frames values, row-major, row 0 = bin 0 (DC); frame f is the model's
 *   frame starting at preset sample windowStart + f·frameStep. The recording's STFT is taken at its own rate with
 *   frames of the same duration (periodic Hann window of round(frameLength·r) samples, r = recording rate / preset
 *   rate, hop round(frameStep·r) but at most half a frame, FFT the next power of two), frames extended over both ends.
 *   Each frame whose centre lies in the model's window takes the gains bilinearly interpolated at its centre time and
 *   each bin's Hz (the first and last model frame held to the window's edges); frames centred outside take the
 *   `unseen` gain. The masked STFT keeps the original phase and is inverted by weighted overlap-add (Σ w·frame / Σ w²),
 *   so the used part fades in and out over one frame at the window's edges.
 * In both, frequencies above the model's last bin take the `unseen` gain. `ignored = recording − used` (float64, then
 * rounded once to float32), so the parts add up to the recording to float32 rounding; a mask of all ones with
 * `unseen: 'used'` returns the recording.
 *
 * @param samples - The recording (mono), at `sampleRate`.
 * @param sampleRate - Its rate in Hz.
 * @param gains - Gains in [0, 1] on the model's grid (e.g. from `relevanceMask`), bin 0 first.
 * @param settings - The feature settings the model's input was computed with.
 * @param windowStart - First sample of the model's window at `settings.sampleRate` (`Features.start`).
 * @param options - {@link SplitRecordingOptions}: `unseen` `'ignored'`.
 * @returns {@link RecordingParts}: `used`, `ignored` (the recording's length), the window's span and the highest Hz.
 * @throws WingbeatsError `INVALID_ARGUMENT` naming `samples`, `sampleRate`, `gains`, `windowStart` or `options.unseen`.
 * @example
 * const { used, ignored } = splitRecording(rec.samples, rec.sampleRate, relevanceMask(heatmap), features.settings, features.start);
 */
export function splitRecording(
  samples: ArrayLike<number>,
  sampleRate: number,
  gains: ArrayLike<number>,
  settings: FeatureSettings,
  windowStart: number,
  options: SplitRecordingOptions = {},
): RecordingParts {
  const fn = 'splitRecording';
  checkSignal(fn, samples);
  checkPositive(fn, 'sampleRate', sampleRate);
  checkInteger(fn, 'windowStart', windowStart, 0);
  const unseen = options.unseen ?? 'ignored';
  if (!UNSEEN_PARTS.includes(unseen)) throw argumentError(fn, 'options.unseen', "'ignored' or 'used'", unseen);
  const unseenGain = unseen === 'used' ? 1 : 0;
  const n = samples.length;
  const presetRate = settings.sampleRate;
  const ratio = sampleRate / presetRate;
  const windowStartHere = Math.min(n, Math.floor(windowStart * ratio));
  const windowEnd = Math.min(n, Math.ceil((windowStart + settings.windowLength) * ratio));
  const { bins, fftLength } = settings;
  const maxHz = ((bins - 1) * presetRate) / fftLength;
  // Fractional model bin of f Hz, or −1 above the last bin (the unseen gain).
  const modelBin = (hz: number): number => {
    const k = (hz * fftLength) / presetRate;
    return k <= bins - 1 + 1e-9 ? k : -1;
  };
  const used = new Float64Array(n);
  if (settings.kind === 'psd') {
    if (gains.length !== bins)
      throw argumentError(fn, 'gains', `${bins} gains (one per PSD bin)`, described(`${gains.length} values`));
    for (let t = 0; t < n; t++) used[t] = unseenGain * samples[t];
    const span = windowEnd - windowStartHere;
    if (span > 0) {
      const size = nextPowerOfTwo(2 * span);
      const fft = new FFT(size);
      const frame = new Float64Array(size);
      for (let t = 0; t < span; t++) frame[t] = samples[windowStartHere + t];
      const gainOf = (k: number): number => {
        const b = modelBin((k * sampleRate) / size);
        return b < 0 ? unseenGain : lerp(gains, b, bins);
      };
      const back = filterFrame(fft, frame, gainOf, new Float64Array(2 * size), new Float64Array(2 * size));
      for (let t = 0; t < span; t++) used[windowStartHere + t] = back[2 * t];
    }
  } else {
    const frames =
      settings.windowLength >= settings.frameLength
        ? Math.floor((settings.windowLength - settings.frameLength) / settings.frameStep) + 1
        : 0;
    if (gains.length !== bins * frames || frames < 1)
      throw argumentError(
        fn,
        'gains',
        `${bins} × ${frames} gains (bins × frames of the spectrogram)`,
        described(`${gains.length} values`),
      );
    const frameLength = Math.max(2, Math.round(settings.frameLength * ratio));
    const step = Math.max(1, Math.min(Math.round(settings.frameStep * ratio), Math.floor(frameLength / 2)));
    const size = nextPowerOfTwo(frameLength);
    const fft = new FFT(size);
    const window = hannPeriodic(frameLength);
    const frame = new Float64Array(size);
    const spectrum = new Float64Array(2 * size);
    const back = new Float64Array(2 * size);
    const weight = new Float64Array(n);
    const binOf = Float64Array.from({ length: size / 2 + 1 }, (_, k) => modelBin((k * sampleRate) / size));
    for (let f = -Math.ceil(frameLength / step); f <= Math.ceil(n / step); f++) {
      const start = f * step;
      const centre = start + frameLength / 2;
      const inside = centre >= windowStartHere && centre < windowEnd;
      // The model's frame index at this frame's centre (in preset samples).
      const column = (centre / ratio - windowStart - settings.frameLength / 2) / settings.frameStep;
      frame.fill(0);
      for (let i = 0; i < frameLength; i++) {
        const t = start + i;
        if (t >= 0 && t < n) frame[i] = window[i] * samples[t];
      }
      const gainOf = (k: number): number => {
        const b = binOf[k];
        if (!inside || b < 0) return unseenGain;
        const lo = Math.min(bins - 1, Math.floor(b));
        const hi = Math.min(bins - 1, lo + 1);
        const w = b - lo;
        return lerp(gains, column, frames, lo * frames) * (1 - w) + lerp(gains, column, frames, hi * frames) * w;
      };
      filterFrame(fft, frame, gainOf, spectrum, back);
      for (let i = 0; i < frameLength; i++) {
        const t = start + i;
        if (t < 0 || t >= n) continue;
        used[t] += window[i] * back[2 * i];
        weight[t] += window[i] * window[i];
      }
    }
    for (let t = 0; t < n; t++) used[t] /= weight[t];
  }
  return {
    used: Float32Array.from(used),
    ignored: Float32Array.from(samples, (v, t) => v - used[t]),
    sampleRate,
    windowStart: windowStartHere,
    windowEnd,
    maxHz,
  };
}

/** The loudest sample a listening gain brings a recording or either part to (0.9 of full scale, as the report's players). */
export const LISTENING_PEAK = 0.9;

/**
 * One gain for a recording and its two parts, so that they can be compared by ear: the gain that brings the loudest
 * |sample| of the three to `peak` (default {@link LISTENING_PEAK} = 0.9 of full scale), so no part clips when played or
 * written as 16-bit PCM. Applied to both parts, `used·gain + ignored·gain = recording·gain`: the parts stay at their
 * loudness relative to each other and to the recording (peak-normalising each part on its own would not). 1 when all
 * three are silent.
 * @param recording - The recording (e.g. the samples given to {@link splitRecording}).
 * @param parts - Its parts (`used`, `ignored`).
 * @param peak - The loudest sample after the gain, in (0, 1] (default 0.9).
 * @throws WingbeatsError `INVALID_ARGUMENT` naming `peak` outside (0, 1] or a part of another length.
 * @example const gain = listeningGain(rec.samples, splitRecording(...)); // write used·gain and ignored·gain
 */
export function listeningGain(
  recording: ArrayLike<number>,
  parts: { used: ArrayLike<number>; ignored: ArrayLike<number> },
  peak = LISTENING_PEAK,
): number {
  const fn = 'listeningGain';
  if (!(peak > 0 && peak <= 1)) throw argumentError(fn, 'peak', 'a number in (0, 1]', peak);
  for (const name of ['used', 'ignored'] as const)
    if (parts[name].length !== recording.length)
      throw argumentError(
        fn,
        `parts.${name}`,
        `${recording.length} samples (the recording's length)`,
        described(`${parts[name].length} samples`),
      );
  let loudest = 0;
  for (const signal of [recording, parts.used, parts.ignored])
    for (let i = 0; i < signal.length; i++) loudest = Math.max(loudest, Math.abs(signal[i]));
  return loudest > 0 ? peak / loudest : 1;
}
