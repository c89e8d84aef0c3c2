/**
 * The physical axes of a feature recipe's model input: the frequency in Hz of every frequency bin (in the order of
 * the input's frequency axis) and, for spectrograms, the time in seconds of every frame.
 */
import { melFilterbank } from './mel.js';
import {
  resolveFeatureSettings,
  spectrogramFrames,
  spectrogramLayout,
  type FeaturePresetName,
  type FeatureSettings,
} from './presets.js';

/** Axes of one model input. */
export interface FeatureAxes {
  /**
   * Centre frequency (Hz) of every frequency bin, in input order: ascending for a PSD (`[bins, 1]`), descending for a
   * spectrogram image, whose row 0 is the highest frequency (a `values: 'db'` recipe: as its `rowOrder` says).
   */
  frequencyHz: number[];
  /** Spectrograms: centre time (s) of every frame, from the start of the window the features were computed from. */
  timeS?: number[];
}

/**
 * Centre frequency (Hz) of every kept bin, ascending from DC: `k · sampleRate / fftLength`, or the centre of every mel
 * band for a `frequencyScale: 'mel'` recipe.
 */
export function featureFrequencies(preset: FeaturePresetName | FeatureSettings): number[] {
  const s = resolveFeatureSettings('featureFrequencies', preset);
  if (s.kind === 'spectrogram' && s.values === 'db' && s.frequencyScale === 'mel') {
    const bank = melFilterbank(s.sampleRate, s.fftLength, s.bins, { fmin: s.fmin, fmax: s.fmax, scale: s.melScale });
    return Array.from(bank.centreHz);
  }
  return Array.from({ length: s.bins }, (_, k) => (k * s.sampleRate) / s.fftLength);
}

/**
 * The axes of a preset's model input.
 *
 * @param preset - A preset name or {@link FeatureSettings}.
 * @returns {@link FeatureAxes}: `frequencyHz` for every bin; `timeS` (frame centre `(t·step + frameLength/2) / rate`)
 *   for every frame of a spectrogram.
 * @throws WingbeatsError `INVALID_ARGUMENT` for an unknown preset.
 * @example
 * featureAxes('potamitis-psd').frequencyHz.slice(0, 3);   // [0, 31.25, 62.5]
 * featureAxes('potamitis-spectrogram').timeS?.length;      // 113
 */
export function featureAxes(preset: FeaturePresetName | FeatureSettings): FeatureAxes {
  const s = resolveFeatureSettings('featureAxes', preset);
  const frequencies = featureFrequencies(s);
  if (s.kind === 'psd') return { frequencyHz: frequencies };
  const frames = spectrogramFrames(s);
  const centre = s.center === true ? 0 : s.frameLength / 2;
  return {
    frequencyHz: spectrogramLayout(s).rowOrder === 'high-first' ? frequencies.reverse() : frequencies,
    timeS: Array.from({ length: frames }, (_, t) => (t * s.frameStep + centre) / s.sampleRate),
  };
}
