/** The caption of one explanation picture, one text for the HTML report and the web page. */
import { attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import { isSpectrumShape } from '../render/explanation-spec.js';
import { formatFrequencyBands, type FrequencyBand } from '../summary/frequency-bands.js';

/** What a caption says about one explained input. */
export interface CaptionFacts {
  /** The model input's shape (a spectrum [bins, 1] or a spectrogram image). */
  shape: readonly number[];
  /** The completeness gap of methods that have one. */
  delta?: number;
  /** The gap relative to |f(x) − f(baseline)|. */
  relativeGap?: number;
  /** The most relevant frequency bands, when they are to be named. */
  bands?: readonly FrequencyBand[];
}

/**
 * What the colours mean, the baseline (zeros: 0 dB for a spectrum, mid-grey for a spectrogram image) and the
 * completeness gap, and the top frequency bands.
 * @example explanationCaptionText('saliency', { shape: [129, 1] })
 */
export function explanationCaptionText(method: AttributionMethodName, facts: CaptionFacts): string {
  const { title, summary, signed } = attributionMethods[method];
  const scale = signed
    ? 'Colours: the signed attribution on a diverging scale (red for the class, blue against it, white 0).'
    : 'Relevance 0–1 is normalised per example (its largest value is 1): it ranks positions within this input, not across inputs.';
  const relative = facts.relativeGap;
  // The SHAP methods with baselines from the data take theirs from the background set, never zeros.
  const fromBackground = (attributionMethods[method].options as readonly { name: string }[]).some(
    (o) => o.name === 'background',
  );
  const gap =
    facts.delta === undefined
      ? ''
      : fromBackground
        ? ` Baselines: the inputs of the background set (f(baseline): the mean score over them). Completeness gap ${facts.delta.toExponential(1)}${relative === undefined ? '' : `, ${(100 * relative).toPrecision(2)} % of |f(x) − f(baseline)|`}.`
        : ` Baseline: zeros (${isSpectrumShape(facts.shape) ? '0 dB for a spectrum: louder than any recording' : 'mid-grey for a spectrogram image: |level| 127.5 dB'}; the data set's mean, from a stats file given as --baseline on the command line, is a more neutral reference). Completeness gap ${facts.delta.toExponential(1)}${relative === undefined ? '' : `, ${(100 * relative).toPrecision(2)} % of |f(x) − f(baseline)|`}.`;
  const bands = facts.bands ?? [];
  return `${title}: ${summary}. ${scale}${gap}${bands.length === 0 ? '' : ` Most relevant: ${formatFrequencyBands(bands)}.`}`;
}
