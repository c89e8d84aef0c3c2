/** Named feature recipes of the original wingbeats project, and the model input shape each one gives. */
import { argumentError, WingbeatsError } from '../util/errors.js';
import type { MelScale } from './mel.js';

/** Settings shared by every feature recipe. */
interface CommonFeatureSettings {
  /** Rate (Hz) the recording is resampled to. */
  readonly sampleRate: number;
  /** Samples per window at `sampleRate` (the signal the features are computed from). */
  readonly windowLength: number;
  /** `'peak'`: divide each window by its largest |x| (Potamitis); `'none'` (Keogh). */
  readonly normalisation: 'peak' | 'none';
}

/** A Welch-PSD recipe: input shape [bins, 1] of float32 dB values. */
export interface PsdFeatureSettings extends CommonFeatureSettings {
  readonly kind: 'psd';
  readonly segmentLength: number;
  readonly overlap: number;
  readonly fftLength: number;
  /** Bins kept from DC up. */
  readonly bins: number;
  /** Reference of 0 dB: a power (default 1, the models' plain `10·log10`) or `'max'` (the loudest bin). */
  readonly ref?: number | 'max';
  /** Keep only this many dB below the loudest bin (quieter bins clip); default no limit. */
  readonly topDb?: number;
}

/**
 * A spectrogram recipe: input shape [bins, frames, channels]. `values: 'image'` (default) is the wingbeats image (real
 * part of the STFT, |dB|, `x/127.5 − 1`, 3 channels, row 0 the highest bin); `values: 'db'` is the power (or
 * magnitude) spectrogram in dB against `ref`, over linear FFT bins or mel bands, as librosa computes log-mel inputs.
 */
export interface SpectrogramFeatureSettings extends CommonFeatureSettings {
  readonly kind: 'spectrogram';
  readonly frameLength: number;
  readonly frameStep: number;
  readonly fftLength: number;
  /** Rows of the input: FFT bins kept from DC up, or (`frequencyScale: 'mel'`) the number of mel bands. */
  readonly bins: number;
  /** `'image'` (default, the wingbeats recipe) or `'db'`; every field below is for `'db'` only. */
  readonly values?: 'image' | 'db';
  /** `'linear'` (default): FFT bins; `'mel'`: triangular mel bands ({@link melFilterbank}). */
  readonly frequencyScale?: 'linear' | 'mel';
  /** Mel bands: lowest edge in Hz (default 0). */
  readonly fmin?: number;
  /** Mel bands: highest edge in Hz (default sampleRate / 2). */
  readonly fmax?: number;
  /** Mel bands: `'slaney'` (default, librosa's) or `'htk'` formula. */
  readonly melScale?: MelScale;
  /** Mel bands: `'slaney'` area normalisation (default, librosa's) or `'none'` (peak 1). */
  readonly melNorm?: 'slaney' | 'none';
  /** 2 (default): power `|X|²`, 10·log10; 1: magnitude `|X|`, 20·log10. */
  readonly power?: 1 | 2;
  /** Reference of 0 dB: a number (default 1) or `'max'` (the loudest cell of the input). */
  readonly ref?: number | 'max';
  /** Keep only this many dB below the loudest cell (quieter cells clip); default no limit (librosa's is 80). */
  readonly topDb?: number;
  /** After dB: `'none'` (default), `'min-max'` to [0, 1] or `'z-score'` (mean 0, sd 1), per input. */
  readonly scaling?: 'none' | 'min-max' | 'z-score';
  /** Frames centred on `t·frameStep`, the signal padded with `frameLength / 2` zeros at both ends (librosa's `center=True`). Default false. */
  readonly center?: boolean;
  /** Channels of the input (the values repeated). Default 1. */
  readonly channels?: number;
  /** Row 0 is the lowest (`'low-first'`, default) or the highest (`'high-first'`) frequency. */
  readonly rowOrder?: 'low-first' | 'high-first';
}

/** Any feature recipe: a preset's settings or custom ones. */
export type FeatureSettings = PsdFeatureSettings | SpectrogramFeatureSettings;

/**
 * The presets, typed `as const` so the CLI and the web page derive their choices from it:
 * - `potamitis-psd`: 8 kHz, 5000 samples, peak-normalised, Welch 256/192, 129 bins → [129, 1];
 * - `potamitis-spectrogram`: the same signal, STFT 256 step 42 → [129, 113, 3];
 * - `keogh-psd`: 16 kHz, 1680 samples, not normalised, Welch 512/476, first 129 of 257 bins → [129, 1];
 * - `keogh-spectrogram`: the same signal, STFT 512 step 36, bins 0…128 → [129, 33, 3].
 */
export const FEATURE_PRESETS = {
  'potamitis-psd': {
    kind: 'psd',
    description: 'Potamitis PSD: 8 kHz, 5000 samples, peak-normalised, Welch 256/192, 10*log10, 129 bins -> [129, 1]',
    sampleRate: 8000,
    windowLength: 5000,
    normalisation: 'peak',
    segmentLength: 256,
    overlap: 192,
    fftLength: 256,
    bins: 129,
  },
  'potamitis-spectrogram': {
    kind: 'spectrogram',
    description: 'Potamitis spectrogram: 8 kHz, 5000 samples, peak-normalised, STFT 256 step 42 -> [129, 113, 3]',
    sampleRate: 8000,
    windowLength: 5000,
    normalisation: 'peak',
    frameLength: 256,
    frameStep: 42,
    fftLength: 256,
    bins: 129,
  },
  'keogh-psd': {
    kind: 'psd',
    description:
      'Keogh PSD: 16 kHz, 1680 samples around the loudest part, no normalisation, Welch 512/476, first 129 bins -> [129, 1]',
    sampleRate: 16000,
    windowLength: 1680,
    normalisation: 'none',
    segmentLength: 512,
    overlap: 476,
    fftLength: 512,
    bins: 129,
  },
  'keogh-spectrogram': {
    kind: 'spectrogram',
    description:
      'Keogh spectrogram: 16 kHz, 1680 samples, no normalisation, STFT 512 step 36, bins 0..128 -> [129, 33, 3]',
    sampleRate: 16000,
    windowLength: 1680,
    normalisation: 'none',
    frameLength: 512,
    frameStep: 36,
    fftLength: 512,
    bins: 129,
  },
} as const satisfies Record<string, FeatureSettings & { readonly description: string }>;

/** Name of a preset. */
export type FeaturePresetName = keyof typeof FEATURE_PRESETS;

/** The preset names, in registry order. */
export const FEATURE_PRESET_NAMES = Object.keys(FEATURE_PRESETS) as FeaturePresetName[];

/** True when `name` is a preset name. */
export function isFeaturePresetName(name: unknown): name is FeaturePresetName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(FEATURE_PRESETS, name);
}

/**
 * The model input shape (without batch axis) a recipe produces from one window.
 *
 * @param settings - A preset name or {@link FeatureSettings}.
 * @returns `[bins, 1]` for a PSD, `[bins, frames, 3]` for a spectrogram.
 * @throws WingbeatsError `INVALID_ARGUMENT` for an unknown preset name.
 * @example
 * featureShape('potamitis-spectrogram'); // [129, 113, 3]
 */
export function featureShape(settings: FeaturePresetName | FeatureSettings): number[] {
  const s = resolveFeatureSettings('featureShape', settings);
  if (s.kind === 'psd') return [s.bins, 1];
  return [s.bins, spectrogramFrames(s), spectrogramLayout(s).channels];
}

/** Frames of a spectrogram recipe over one window (`center`: `1 + ⌊windowLength / frameStep⌋`). */
export function spectrogramFrames(s: SpectrogramFeatureSettings): number {
  if (s.center === true) return Math.floor(s.windowLength / s.frameStep) + 1;
  return s.windowLength >= s.frameLength ? Math.floor((s.windowLength - s.frameLength) / s.frameStep) + 1 : 0;
}

/** Channels and row order of a spectrogram recipe's input (the image: 3 channels, highest frequency first). */
export function spectrogramLayout(s: SpectrogramFeatureSettings): {
  channels: number;
  rowOrder: 'low-first' | 'high-first';
} {
  if (s.values !== 'db') return { channels: 3, rowOrder: 'high-first' };
  return { channels: s.channels ?? 1, rowOrder: s.rowOrder ?? 'low-first' };
}

/** Looks a preset up by name, or passes custom settings through (internal helper, exported for the CLI). */
export function resolveFeatureSettings(fn: string, settings: FeaturePresetName | FeatureSettings): FeatureSettings {
  if (typeof settings === 'string') {
    if (!isFeaturePresetName(settings)) {
      throw argumentError(fn, 'preset', `one of ${FEATURE_PRESET_NAMES.join(', ')} or a settings object`, settings);
    }
    return FEATURE_PRESETS[settings];
  }
  if (
    settings === null ||
    typeof settings !== 'object' ||
    (settings.kind !== 'psd' && settings.kind !== 'spectrogram')
  ) {
    throw argumentError(fn, 'preset', `a preset name or settings with kind 'psd' or 'spectrogram'`, settings);
  }
  return settings;
}

/**
 * The default preset for a model input shape: [129, 1] (or [129]) → `potamitis-psd`,
 * [129, 113, 3] → `potamitis-spectrogram`, [129, 33, 3] → `keogh-spectrogram`. A leading batch axis
 * (`null` or −1, as in `model.inputs[0].shape`) is ignored. A Keogh PSD model has the same [129, 1] input
 * as a Potamitis one: choose `keogh-psd` explicitly for it.
 *
 * @param shape - The model's input shape, with or without the batch axis.
 * @returns The preset name.
 * @throws WingbeatsError `SHAPE_MISMATCH` when no preset produces that shape.
 * @example
 * presetForInputShape([null, 129, 113, 3]); // 'potamitis-spectrogram'
 */
export function presetForInputShape(shape: readonly (number | null)[]): FeaturePresetName {
  const dims = shape.length > 0 && (shape[0] === null || shape[0] === -1) ? shape.slice(1) : shape;
  const key = dims.join(',');
  if (key === '129' || key === '129,1') return 'potamitis-psd';
  for (const name of FEATURE_PRESET_NAMES) {
    if (featureShape(name).join(',') === key) return name;
  }
  throw new WingbeatsError(
    'SHAPE_MISMATCH',
    `No feature preset produces a model input of shape [${shape.join(',')}]: the presets give ${FEATURE_PRESET_NAMES.map((n) => `${n} [${featureShape(n).join(',')}]`).join(', ')}. ` +
      `Pass the input as .npy/.json in the model's layout, or give your own feature settings (on the command line: --features FILE.json).`,
  );
}
