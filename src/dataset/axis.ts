/**
 * What each heatmap position means physically: the frequency in Hz of a PSD bin, or the frequency and time of a
 * spectrogram cell, from the feature preset the inputs came from. Universal.
 */
import { FEATURE_PRESETS, type FeaturePresetName } from '../signal/presets.js';

/** Frequencies (and times) of a heatmap's positions; `kind: 'index'` when they are not known. */
export type HeatmapAxis =
  | { kind: 'psd'; preset: FeaturePresetName; hz: number[]; binHz: number }
  | { kind: 'spectrogram'; preset: FeaturePresetName; rowHz: number[]; frameSeconds: number[]; binHz: number }
  | { kind: 'index' };

/**
 * The axis of a heatmap of shape `heatmapShape` made from inputs of `preset`. PSD bin i is at i·rate/fft Hz; spectrogram
 * rows follow the wingbeats convention (row 0 is the highest frequency) and frame c is centred at
 * (frameLength/2 + c·step)/rate s. Shapes that do not fit the preset give `{kind: 'index'}`.
 */
export function heatmapAxis(preset: FeaturePresetName | undefined, heatmapShape: readonly number[]): HeatmapAxis {
  if (preset === undefined) return { kind: 'index' };
  const settings = FEATURE_PRESETS[preset];
  const binHz = settings.sampleRate / settings.fftLength;
  if (settings.kind === 'psd' && heatmapShape[0] === settings.bins && heatmapShape.slice(1).every((d) => d === 1)) {
    return { kind: 'psd', preset, binHz, hz: Array.from({ length: settings.bins }, (_, i) => i * binHz) };
  }
  if (settings.kind === 'spectrogram' && heatmapShape.length === 2 && heatmapShape[0] === settings.bins) {
    const frames = heatmapShape[1];
    return {
      kind: 'spectrogram',
      preset,
      binHz,
      rowHz: Array.from({ length: settings.bins }, (_, r) => (settings.bins - 1 - r) * binHz),
      frameSeconds: Array.from(
        { length: frames },
        (_, c) => (settings.frameLength / 2 + c * settings.frameStep) / settings.sampleRate,
      ),
    };
  }
  return { kind: 'index' };
}

/** One of the strongest positions of a mean heatmap, with its frequency band (and time) where known. */
export interface TopRegion {
  /** Flat position in the heatmap. */
  position: number;
  /** Mean heatmap value there. */
  value: number;
  /** Centre frequency (Hz) and the band the bin covers. */
  hz?: number;
  lowHz?: number;
  highHz?: number;
  /** Spectrograms: the frame's centre time (s). */
  seconds?: number;
}

/** The `count` largest positions of `values` (ties by position), described with {@link heatmapAxis}. */
export function topRegions(values: ArrayLike<number>, axis: HeatmapAxis, count: number): TopRegion[] {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, count).map((position) => {
    const region: TopRegion = { position, value: values[position] };
    if (axis.kind === 'psd') {
      const hz = axis.hz[position];
      Object.assign(region, { hz, lowHz: Math.max(0, hz - axis.binHz / 2), highHz: hz + axis.binHz / 2 });
    } else if (axis.kind === 'spectrogram') {
      const frames = axis.frameSeconds.length;
      const hz = axis.rowHz[Math.floor(position / frames)];
      Object.assign(region, {
        hz,
        lowHz: Math.max(0, hz - axis.binHz / 2),
        highHz: hz + axis.binHz / 2,
        seconds: axis.frameSeconds[position % frames],
      });
    }
    return region;
  });
}
