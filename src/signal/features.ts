/** From a decoded recording to the model input of a feature recipe (resample, window, normalise, PSD or image). */
import { argumentError, described, WingbeatsError } from '../util/errors.js';
import { loudestWindowStart } from './crop.js';
import { normalisePeak } from './normalise.js';
import { featureShape, resolveFeatureSettings, type FeaturePresetName, type FeatureSettings } from './presets.js';
import { toDecibels } from './decibels.js';
import { logSpectrogram } from './log-spectrogram.js';
import { resampleTo } from './resample.js';
import { spectrogramImage } from './spectrogram-image.js';
import { checkInteger, checkPositive, checkSignal } from './validate.js';
import { powerToDb, welchPsd } from './welch.js';

/** The part of a recording {@link featuresFromRecording} needs (a {@link WavRecording} fits). */
export interface RecordingLike {
  samples: ArrayLike<number>;
  sampleRate: number;
  /** Used in error messages. */
  name?: string;
}

/** Options of {@link featuresFromRecording}. */
export interface FeaturesOptions {
  /**
   * Which window(s) of a recording longer than the preset's `windowLength`: `'loudest'` (default) the
   * window with the highest RMS; `'first'` the first samples; `'all'` every consecutive non-overlapping window
   * from the start (a shorter tail is dropped).
   */
  windows?: 'loudest' | 'first' | 'all';
  /** Zero-pad a recording shorter than `windowLength` at its end instead of refusing it. Default false. */
  pad?: boolean;
}

/** One model input computed from one window of a recording. */
export interface Features {
  /** Preset name, or `'custom'` for custom settings. */
  preset: FeaturePresetName | 'custom';
  /** The recipe used. */
  settings: FeatureSettings;
  /** Rate (Hz) of the signal the features were computed from. */
  sampleRate: number;
  /** Model input shape without batch axis: [bins, 1] or [bins, frames, 3]. */
  shape: number[];
  /** Row-major float32 values in `shape` (for images [freq][time][channel], row 0 = highest frequency). */
  data: Float32Array;
  /** First sample of the window, at `sampleRate`. */
  start: number;
  /** `start / sampleRate`, seconds from the start of the recording. */
  startSeconds: number;
  /** Zeros appended because the recording was shorter than the window. */
  paddedSamples: number;
}

/**
 * Turns a recording into the model input of a preset (or custom settings), the way the original project did:
 * resample to the preset rate ({@link resampleTo}, scipy `resample_poly`), take the window(s) of
 * `windowLength` samples (the loudest by default), divide by the peak if the recipe says so, cast to float32,
 * then Welch PSD in dB ({@link welchPsd}, `powerToDb`, or `toDecibels` with the recipe's `ref`/`topDb`), the
 * spectrogram image ({@link spectrogramImage}) or, for `values: 'db'` recipes, the (mel) spectrogram in dB
 * ({@link logSpectrogram}).
 *
 * @param recording - Samples and sampling rate (e.g. from `decodeWav`/`readWavFile`).
 * @param preset - A preset name (`potamitis-psd`, `potamitis-spectrogram`, `keogh-psd`, `keogh-spectrogram`) or
 *   {@link FeatureSettings}, e.g. `{ ...FEATURE_PRESETS['keogh-psd'], windowLength: 2000 }`.
 * @param options - {@link FeaturesOptions}: `windows` `'loudest'` (default) | `'first'` | `'all'`, `pad` false.
 * @returns One {@link Features} (an array of them for `windows: 'all'`).
 * @throws WingbeatsError `INVALID_ARGUMENT` for an unknown preset, bad settings, a recording shorter than the
 *   window (unless `pad`), or a silent window (all zeros: its dB values would be −∞).
 * @example
 * const rec = await readWavFile('aedes.wav');
 * const { data, shape } = featuresFromRecording(rec, 'potamitis-psd'); // shape [129, 1]
 * const all = featuresFromRecording(rec, 'keogh-spectrogram', { windows: 'all' }); // Features[]
 */
export function featuresFromRecording(
  recording: RecordingLike,
  preset: FeaturePresetName | FeatureSettings,
  options?: FeaturesOptions & { windows?: 'loudest' | 'first' },
): Features;
export function featuresFromRecording(
  recording: RecordingLike,
  preset: FeaturePresetName | FeatureSettings,
  options: FeaturesOptions & { windows: 'all' },
): Features[];
export function featuresFromRecording(
  recording: RecordingLike,
  preset: FeaturePresetName | FeatureSettings,
  options?: FeaturesOptions,
): Features | Features[];
export function featuresFromRecording(
  recording: RecordingLike,
  preset: FeaturePresetName | FeatureSettings,
  options: FeaturesOptions = {},
): Features | Features[] {
  const fn = 'featuresFromRecording';
  if (recording === null || typeof recording !== 'object')
    throw argumentError(fn, 'recording', 'an object with samples and sampleRate', recording);
  checkSignal(fn, recording.samples);
  checkPositive(fn, 'recording.sampleRate', recording.sampleRate);
  const settings = resolveFeatureSettings(fn, preset);
  checkInteger(fn, 'settings.windowLength', settings.windowLength, 2);
  const windows = options.windows ?? 'loudest';
  if (!['loudest', 'first', 'all'].includes(windows))
    throw argumentError(fn, 'options.windows', "'loudest', 'first' or 'all'", windows);
  const label = recording.name !== undefined ? `Recording '${recording.name}'` : 'The recording';

  const signal = resampleTo(recording.samples, recording.sampleRate, settings.sampleRate);
  const length = settings.windowLength;
  let padded = signal;
  if (signal.length < length) {
    if (options.pad !== true) {
      const rate = settings.sampleRate;
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `${label} is too short for ${presetLabel(preset)}: ${signal.length} samples at ${rate} Hz (${(signal.length / rate).toFixed(3)} s) ` +
          `after resampling, but a window needs ${length} (${(length / rate).toFixed(3)} s). Pass pad: true (CLI: --pad) to zero-pad it.`,
      );
    }
    padded = new Float64Array(length);
    padded.set(signal);
  }

  let starts: number[];
  if (windows === 'all') starts = Array.from({ length: Math.floor(padded.length / length) }, (_, i) => i * length);
  else if (windows === 'first') starts = [0];
  else starts = [loudestWindowStart(padded, length)];

  const valuesPerWindow = featureValueCount(settings);
  if (starts.length * valuesPerWindow > MAX_FEATURE_VALUES) {
    throw new WingbeatsError(
      'LIMIT_EXCEEDED',
      `${label} gives ${starts.length} windows of ${valuesPerWindow} values for ${presetLabel(preset)} ` +
        `(${((starts.length * valuesPerWindow * 4) / 2 ** 20).toFixed(0)} MB as float32), more than the limit of ${MAX_FEATURE_VALUES} values; ` +
        "take one window ('loudest' or 'first') or cut the recording into shorter files.",
    );
  }
  const results = starts.map((start) => {
    const window = padded.subarray(start, start + length);
    const features = featuresFromSignal(window, settings, label, start);
    const name: FeaturePresetName | 'custom' = typeof preset === 'string' ? preset : 'custom';
    return {
      preset: name,
      settings,
      sampleRate: settings.sampleRate,
      shape: features.shape,
      data: features.data,
      start,
      startSeconds: start / settings.sampleRate,
      paddedSamples: Math.max(0, start + length - signal.length),
    };
  });
  return windows === 'all' ? results : results[0];
}

/** Most feature values one call may produce (2^24 ≈ 16.8 M: 64 MB as float32, several times that as JSON). */
export const MAX_FEATURE_VALUES = 2 ** 24;

/** Values in one window's features (PSD: bins; spectrogram: bins × frames × 3). */
function featureValueCount(settings: FeatureSettings): number {
  return featureShape(settings).reduce((a, b) => a * Math.max(b, 1), 1);
}

function presetLabel(preset: FeaturePresetName | FeatureSettings): string {
  return typeof preset === 'string' ? `preset '${preset}'` : 'these feature settings';
}

/**
 * Features of one window already at the recipe's rate: normalise (if the recipe says so), cast to float32, then
 * PSD dB or spectrogram image. Used by {@link featuresFromRecording}; useful for signals that are not recordings.
 *
 * @param signal - The window (any length ≥ one segment/frame; the recipe's `windowLength` gives its model shape).
 * @param preset - Preset name or {@link FeatureSettings}.
 * @returns `{ data, shape }` in the model's input layout.
 * @throws WingbeatsError `INVALID_ARGUMENT` for a silent window or bad settings.
 * @example
 * const { data, shape } = computeFeatures(window5000, 'potamitis-psd'); // [129, 1]
 */
export function computeFeatures(
  signal: ArrayLike<number>,
  preset: FeaturePresetName | FeatureSettings,
): { data: Float32Array; shape: number[] } {
  checkSignal('computeFeatures', signal);
  const settings = resolveFeatureSettings('computeFeatures', preset);
  return featuresFromSignal(signal, settings, 'The signal', 0);
}

function featuresFromSignal(
  window: ArrayLike<number>,
  settings: FeatureSettings,
  label: string,
  start: number,
): { data: Float32Array; shape: number[] } {
  let peak = 0;
  for (let i = 0; i < window.length; i++) peak = Math.max(peak, Math.abs(window[i]));
  if (peak === 0) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${label} is silent in the window starting at sample ${start} (all ${window.length} samples are 0), so its features would be -Infinity dB.`,
    );
  }
  if (!Number.isFinite(peak))
    throw argumentError('computeFeatures', 'signal', 'finite', described('a non-finite sample'));
  // The models saw float32 signals: peak-normalise in float64, then round once to float32.
  const x = Float32Array.from(settings.normalisation === 'peak' ? normalisePeak(window) : window);
  if (settings.kind === 'psd') {
    const { psd } = welchPsd(x, settings.sampleRate, {
      segmentLength: settings.segmentLength,
      overlap: settings.overlap,
      fftLength: settings.fftLength,
      bins: settings.bins,
    });
    const db =
      settings.ref === undefined && settings.topDb === undefined
        ? powerToDb(psd)
        : Float32Array.from(toDecibels(psd, { ref: settings.ref, topDb: settings.topDb, amin: Number.MIN_VALUE }));
    return { data: db, shape: [settings.bins, 1] };
  }
  if (settings.values === 'db') return logSpectrogram(x, settings);
  const image = spectrogramImage(x, {
    frameLength: settings.frameLength,
    frameStep: settings.frameStep,
    fftLength: settings.fftLength,
    bins: settings.bins,
  });
  return { data: image.data, shape: image.shape };
}
