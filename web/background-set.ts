/**
 * The background set of the SHAP methods with baselines from the data (gradient-shap, deeplift-shap) on the page:
 * several recordings, a .npy stack or a .json list of inputs, read like the model input (the page's preset) and handed
 * to the method as the CLI's `--background` is.
 */
import {
  attributionMethodNames,
  attributionMethods,
  nestArray,
  readInputSources,
  type AttributionMethodName,
  type ExplainableModel,
  type InputReadOptions,
  type InputSource,
} from '../src/index.js';
import { needsFile } from './method-controls.js';

/** The methods that need a background set (a file option without a default), in registry order. */
export const BACKGROUND_METHODS: AttributionMethodName[] = attributionMethodNames.filter(needsFile);

/** The one line under the background input: what it is for, or what was picked. */
export function backgroundHint(picked: readonly string[]): string {
  const titles = BACKGROUND_METHODS.map((name) => attributionMethods[name].title).join(' and ');
  if (picked.length === 0)
    return `${titles} need a background set: pick several recordings of the data (read with the feature preset), a .npy stack or a .json list of inputs.`;
  return `Background set: ${picked.length === 1 ? picked[0] : `${picked.length} files`}; ${titles} are in the method menu.`;
}

/** The background set's model inputs, read from `sources` as the model input is (`choices`: the page's preset, padding). */
export function readBackground(
  sources: readonly InputSource[],
  model: ExplainableModel,
  choices: InputReadOptions,
): { inputs: unknown[]; names: string[] } {
  const items = readInputSources(sources, model, { ...choices, option: 'Background set' });
  return { inputs: items.map((item) => nestArray(item.data, item.shape)), names: items.map((item) => item.name) };
}
