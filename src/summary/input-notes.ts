/**
 * What a reader should know about one model input before trusting its explanation: warnings (a recording resampled
 * up from a low rate, values far from the training data) and the physical axes of the input. Universal: the command
 * line and the web page attach the same notes to their results.
 */
import type { ExplainableModel } from '../execution/explainable-model.js';
import {
  INPUT_RANGE_WARNING_MARK,
  inputRangeSource,
  inputRangeWarnings,
  type TrainingInputStatistics,
} from '../execution/input-range.js';
import { FORCED_PRESET_WARNING_MARK } from '../models/preset-check.js';
import { featureAxes, type FeatureAxes } from '../signal/feature-axes.js';
import { featureShape, FEATURE_PRESETS, type FeaturePresetName } from '../signal/presets.js';
import { UPSAMPLING_WARNING_MARK, upsamplingWarning } from '../signal/upsampling-warning.js';

/** One model input to annotate. */
export interface NotedInput {
  /** Its name in messages. */
  name: string;
  /** Row-major values in the model's input shape. */
  data: ArrayLike<number>;
  /** The sample rate of the recording it was computed from, if it came from one. */
  sourceRate?: number;
}

/** Notes on one input. */
export interface InputNotes {
  /** Warnings, each one line; empty when all is well. */
  warnings: string[];
  /** Frequency (Hz) of every bin and time (s) of every frame, when the input's preset is known and fits its shape. */
  axes?: FeatureAxes;
  /** What the input's range was checked against ({@link inputRangeSource}); absent: it could not be checked. */
  rangeCheckedAgainst?: string;
}

/** What results say when an input's range could not be checked. */
export const RANGE_NOT_CHECKED =
  'not checked: the model has no input batch norm to read its training statistics from; give a statistics file of training inputs (wingbeats-xai stats, then --stats FILE)';

/**
 * Notes on an input of `model`: {@link upsamplingWarning} for a recording, the input-range warning from the model's
 * first batch norm ({@link inputRangeWarnings}, values in dB for PSD presets), and the preset's {@link featureAxes}.
 *
 * @param model - The model the input is given to.
 * @param input - {@link NotedInput}.
 * @param preset - The preset the input was (or would be) computed with; no axes without it.
 * @param statistics - Training statistics to check the range against instead of the model's input batch norm.
 * @returns {@link InputNotes}.
 * @example
 * inputNotes(model, { name: 'a.wav', data: psd, sourceRate: 44100 }, 'potamitis-psd').warnings;
 */
export function inputNotes(
  model: ExplainableModel,
  input: NotedInput,
  preset?: FeaturePresetName,
  statistics?: TrainingInputStatistics,
): InputNotes {
  const warnings: string[] = [];
  if (input.sourceRate !== undefined && preset !== undefined) {
    const resampled = upsamplingWarning(input.name, input.sourceRate, preset);
    if (resampled !== undefined) warnings.push(resampled);
  }
  const unit = preset !== undefined && FEATURE_PRESETS[preset].kind === 'psd' ? 'dB' : '';
  warnings.push(...inputRangeWarnings(model, [input], { unit, statistics }));
  const rangeCheckedAgainst = inputRangeSource(model, statistics);
  const shape = (model.inputShape ?? []).map((d) => d ?? -1);
  const fits =
    preset !== undefined &&
    (featureShape(preset).join(',') === shape.join(',') ||
      (shape.length === 1 && shape[0] === featureShape(preset)[0]));
  return {
    warnings,
    ...(fits ? { axes: featureAxes(preset) } : {}),
    ...(rangeCheckedAgainst === undefined ? {} : { rangeCheckedAgainst }),
  };
}

/** What an input warning is about: far outside the training range, resampled up from a low rate, a forced preset. */
export type InputWarningKind = 'out-of-range' | 'resampled-up' | 'forced-preset' | 'other';

/**
 * The kind of a warning line made by {@link inputNotes} or the preset check (recognised by the words its maker puts in
 * every such line), for counting warnings in tables and summaries.
 *
 * @example warningKind(inputNotes(model, input, 'potamitis-psd').warnings[0]); // 'out-of-range'
 */
export function warningKind(warning: string): InputWarningKind {
  if (warning.includes(INPUT_RANGE_WARNING_MARK)) return 'out-of-range';
  if (warning.includes(UPSAMPLING_WARNING_MARK)) return 'resampled-up';
  if (warning.includes(FORCED_PRESET_WARNING_MARK)) return 'forced-preset';
  return 'other';
}
