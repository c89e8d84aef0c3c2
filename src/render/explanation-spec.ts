/**
 * The picture of one explanation: a PSD line with the attribution along frequency, or a spectrogram heatmap.
 * Universal: the CLI, the HTML report and the web page draw the same spec.
 */
import type { TopLevelSpec } from 'vega-lite';
import { psdExplanationSpec, linearFrequencies } from './psd-chart.js';
import { spectrogramExplanationSpec } from './spectrogram-chart.js';
import { gridFromImage } from './grid.js';
import {
  FEATURE_PRESETS,
  isFeaturePresetName,
  spectrogramLayout,
  type FeaturePresetName,
  type FeatureSettings,
} from '../signal/presets.js';
import { SPECTROGRAM_DB_LABEL, spectrogramImageToDb } from '../signal/spectrogram-image.js';
import { featureFrequencies } from '../signal/feature-axes.js';

/** How an input was made: a preset's name or the (custom, `--features`) settings themselves. */
export type FeatureRecipe = FeaturePresetName | FeatureSettings;

/** The settings of a recipe (a preset's by name), or undefined for none or an unknown name. */
function recipeSettings(recipe: FeatureRecipe | undefined): FeatureSettings | undefined {
  if (recipe === undefined) return undefined;
  if (typeof recipe === 'string') return isFeaturePresetName(recipe) ? FEATURE_PRESETS[recipe] : undefined;
  return recipe;
}

/** What a picture shows. */
export interface ExplanationPicture {
  /** The model input (row-major) and its shape without batch axis. */
  input: ArrayLike<number>;
  shape: readonly number[];
  /** Signed attributions (input's shape) and the [0,1] heatmap (non-channel axes). */
  attributions: ArrayLike<number>;
  heatmap: ArrayLike<number>;
  /** Whether the method's attributions carry a sign worth showing (diverging colours). */
  signed: boolean;
  method: string;
  className?: string;
  score?: number;
  scoreLabel?: string;
  subtitle?: string;
  /** The preset or custom settings the input came from (for its time and frequency axes and its levels in dB). */
  preset?: FeatureRecipe;
  /**
   * Spectrograms: `'side-by-side'` (default: input and attribution) or `'attribution-only'` (one large panel, for
   * pages that show the input once elsewhere).
   */
  layout?: 'side-by-side' | 'attribution-only';
  /** Size of a panel in px (spectrograms: 320 × 240, 640 × 360 for `'attribution-only'`; spectra: 620 wide). */
  width?: number;
  height?: number;
}

/**
 * Centre times (s) of the first and last of `frames` spectrogram frames of a spectrogram recipe (its own hop and frame
 * length; frames centred on `t·step` for `center: true`); undefined otherwise.
 */
export function presetTimeRange(preset: FeatureRecipe | undefined, frames: number): [number, number] | undefined {
  const settings = recipeSettings(preset);
  if (settings === undefined || settings.kind !== 'spectrogram') return undefined;
  const centre = settings.center === true ? 0 : settings.frameLength / 2;
  return [centre / settings.sampleRate, (centre + (frames - 1) * settings.frameStep) / settings.sampleRate];
}

/**
 * Centre frequency (Hz) of every one of `bins` frequency bins of a recipe, ascending from the lowest (its own FFT
 * length and rate, or its mel band centres); undefined without a recipe or when it gives another number of bins.
 */
export function recipeFrequencies(preset: FeatureRecipe | undefined, bins: number): number[] | undefined {
  const settings = recipeSettings(preset);
  if (settings === undefined) return undefined;
  const frequencies = featureFrequencies(settings);
  return frequencies.length === bins ? frequencies : undefined;
}

/** Which row of a recipe's spectrogram input is its highest frequency (`'high-first'` for presets and no recipe). */
export function recipeRowOrder(preset: FeatureRecipe | undefined): 'high-first' | 'low-first' {
  const settings = recipeSettings(preset);
  return settings?.kind === 'spectrogram' ? spectrogramLayout(settings).rowOrder : 'high-first';
}

/**
 * How a picture shows its model input: a recipe's input in dB (a spectrogram image converted back with
 * {@link spectrogramImageToDb}; a `values: 'db'` recipe's as it is, unless scaled after dB), any other input as it is,
 * labelled "model units".
 */
export function inputLevels(
  input: ArrayLike<number>,
  preset: FeatureRecipe | undefined,
): { values: ArrayLike<number>; label: string } {
  const settings = recipeSettings(preset);
  if (settings?.kind === 'psd') return { values: input, label: 'Power (dB)' };
  if (settings?.kind === 'spectrogram') {
    if (settings.values !== 'db') return { values: spectrogramImageToDb(input), label: SPECTROGRAM_DB_LABEL };
    if ((settings.scaling ?? 'none') === 'none') return { values: input, label: 'Level (dB)' };
    return { values: input, label: `Level (dB, ${settings.scaling} scaled)` };
  }
  return { values: input, label: 'Input (model units)' };
}

/** Is this input layout a 1-D spectrum (`[n]` or `[n, 1]`)? */
export function isSpectrumShape(shape: readonly number[]): boolean {
  return shape.length === 1 || (shape.length === 2 && shape[1] === 1);
}

/**
 * The Vega-Lite spec of an explanation picture: {@link psdExplanationSpec} for 1-D inputs (`[n]`, `[n, 1]`; signed
 * methods show the attributions, unsigned ones the heatmap), {@link spectrogramExplanationSpec} for 2-D/3-D ones
 * (input channels averaged, signed attributions summed over channels). The frequency and time axes come from the
 * recipe in `preset` (a preset or custom settings: its bins' frequencies, mel band centres, hop), else 0–4000 Hz and
 * frame numbers; the input is shown in dB when the recipe says how it was made ({@link inputLevels}), else in model
 * units, and its label says which.
 *
 * @returns A Vega-Lite spec (render it with `renderChartSvg`).
 * @throws WingbeatsError (SHAPE_MISMATCH) when the arrays do not fit `shape`.
 * @example
 * const svg = await renderChartSvg(explanationSpec({ input, shape: [129, 1], attributions, heatmap, signed: true, method: 'gradients' }));
 */
export function explanationSpec(picture: ExplanationPicture): TopLevelSpec {
  const titleParts = {
    className: picture.className,
    score: picture.score,
    scoreLabel: picture.scoreLabel,
    method: picture.method,
    subtitle: picture.subtitle,
  };
  if (isSpectrumShape(picture.shape) || picture.shape.length === 2) {
    // 1-D inputs with several channels ([n, c]): the input averaged and the attributions summed over channels.
    const n = picture.shape[0];
    const channels = picture.shape.length === 2 ? picture.shape[1] : 1;
    const overChannels = (values: ArrayLike<number>, mean: boolean): ArrayLike<number> =>
      channels === 1
        ? values
        : Float32Array.from(
            { length: n },
            (_, i) =>
              Array.from({ length: channels }, (_, c) => values[i * channels + c]).reduce((a, b) => a + b, 0) /
              (mean ? channels : 1),
          );
    return psdExplanationSpec(
      {
        ...titleParts,
        spectrum: overChannels(picture.input, true),
        attribution: picture.signed ? overChannels(picture.attributions, false) : picture.heatmap,
        frequencies: recipeFrequencies(picture.preset, n) ?? linearFrequencies(n, 4000),
      },
      {
        attributionLabel: picture.signed ? 'Attribution' : 'Relevance',
        spectrumLabel: inputLevels([], picture.preset).label,
        width: picture.width,
        height: picture.height,
      },
    );
  }
  const image = gridFromImage(picture.input, picture.shape, { channels: 'mean' });
  const levels = inputLevels(image.values, picture.preset);
  const spectrogram = { ...image, values: Float32Array.from(levels.values) };
  const attribution = picture.signed
    ? gridFromImage(picture.attributions, picture.shape, { channels: 'sum' })
    : gridFromImage(picture.heatmap, picture.shape.slice(0, 2));
  const timeRange = presetTimeRange(picture.preset, picture.shape[1]);
  const frequencyHz = recipeFrequencies(picture.preset, picture.shape[0]);
  return spectrogramExplanationSpec(
    { ...titleParts, spectrogram, attribution, frequencyRange: [0, 4000], frequencyHz, timeRange },
    {
      attributionLabel: picture.signed ? 'Attribution' : 'Relevance',
      spectrogramLabel: levels.label,
      rowOrder: recipeRowOrder(picture.preset),
      layout: picture.layout ?? 'side-by-side',
      width: picture.width ?? (picture.layout === 'attribution-only' ? 640 : undefined),
      height: picture.height ?? (picture.layout === 'attribution-only' ? 360 : undefined),
    },
  );
}
