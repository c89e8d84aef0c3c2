/** A warning for a recording resampled up from a rate too low to fill the frequency range a feature recipe covers. */
import { featureFrequencies } from './feature-axes.js';
import { resolveFeatureSettings, type FeaturePresetName, type FeatureSettings } from './presets.js';

/** The words every upsampling warning holds (how tables and summaries recognise the warning). */
export const UPSAMPLING_WARNING_MARK = 'resampled up to';

/**
 * The warning line when `sourceRate`'s Nyquist frequency (`sourceRate / 2`) lies below the highest frequency the
 * recipe's features cover: the bins above it hold no signal (only resampling noise), something the model never saw in
 * training. Undefined otherwise.
 *
 * @param name - The recording's name, for the message.
 * @param sourceRate - The recording's sample rate (Hz).
 * @param preset - A preset name or {@link FeatureSettings}.
 * @example
 * upsamplingWarning('a.wav', 4000, 'potamitis-psd');
 * // "'a.wav' was recorded at 4000 Hz and resampled up to 8000 Hz: it holds nothing above 2000 Hz, so 64 of the 129 frequency bins (2000–4000 Hz) of the model input are empty ..."
 */
export function upsamplingWarning(
  name: string,
  sourceRate: number,
  preset: FeaturePresetName | FeatureSettings,
): string | undefined {
  const settings = resolveFeatureSettings('upsamplingWarning', preset);
  const nyquist = sourceRate / 2;
  const frequencies = featureFrequencies(settings);
  const empty = frequencies.filter((f) => f > nyquist).length;
  if (sourceRate >= settings.sampleRate || empty === 0) return undefined;
  const top = Math.max(...frequencies);
  return (
    `'${name}' was recorded at ${sourceRate} Hz and ${UPSAMPLING_WARNING_MARK} ${settings.sampleRate} Hz: it holds nothing above ${nyquist} Hz, ` +
    `so ${empty} of the ${frequencies.length} frequency bins (${nyquist}–${top} Hz) of the model input are empty, unlike the training data. ` +
    'Predictions and explanations of such recordings are unreliable.'
  );
}
