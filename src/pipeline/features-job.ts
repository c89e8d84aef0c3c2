/** The `features` job: the model input(s) a recording turns into → the `features --json` document and its files. */
import { featuresFromRecording, type Features } from '../signal/features.js';
import type { FeaturePresetName } from '../signal/presets.js';
import type { WavRecording } from '../signal/wav.js';
import { encodeNpy } from '../io/npy.js';
import type { WindowChoice } from './input-sources.js';
import { nestArray } from './json-values.js';
import { jsonFile, type OutputFile } from './output-files.js';

/** The JSON document of one window: `{preset, sampleRate, shape, start, features}` (features nested in input layout). */
export function windowJson(f: Features): Record<string, unknown> {
  return {
    preset: f.preset,
    sampleRate: f.sampleRate,
    shape: f.shape,
    start: f.start,
    features: nestArray(f.data, f.shape),
  };
}

/**
 * Features of `recording` by `preset`: one window (`'loudest'`, `'first'`) or all; returns the windows, the document
 * (one window's JSON, or an array for `'all'`) and the files `features.json` and `features.npy`.
 * @example const { document } = featuresJob(recording, 'potamitis-psd', { windows: 'loudest' });
 */
export function featuresJob(
  recording: WavRecording,
  preset: FeaturePresetName,
  options: { windows?: WindowChoice; pad?: boolean } = {},
): { windows: Features[]; document: unknown; files: OutputFile[] } {
  const result = featuresFromRecording(recording, preset, {
    windows: options.windows ?? 'loudest',
    pad: options.pad === true,
  });
  const windows = Array.isArray(result) ? result : [result];
  const document = Array.isArray(result) ? windows.map(windowJson) : windowJson(result);
  const shape = Array.isArray(result) ? [windows.length, ...(windows[0]?.shape ?? [])] : result.shape;
  const data = new Float32Array(windows.reduce((n, f) => n + f.data.length, 0));
  windows.forEach((f, i) => data.set(f.data, i * f.data.length));
  return {
    windows,
    document,
    files: [jsonFile('features.json', document), { name: 'features.npy', bytes: encodeNpy(data, shape) }],
  };
}
