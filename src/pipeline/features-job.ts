/** The `features` job: the model input(s) a recording turns into → the `features --json` document and its files. */
import { featuresFromRecording, type Features } from '../signal/features.js';
import type { FeaturePresetName, FeatureSettings } from '../signal/presets.js';
import type { WavRecording } from '../signal/wav.js';
import { encodeNpy } from '../io/npy.js';
import type { WindowChoice } from './input-sources.js';
import { nestArray } from './json-values.js';
import { jsonFile, type OutputFile } from './output-files.js';
import { featureAxes } from '../signal/feature-axes.js';
import { upsamplingWarning } from '../signal/upsampling-warning.js';

/**
 * The JSON document of one window: `{name, preset, sampleRate, shape, start, axes, warnings, features}` (features nested
 * in input layout; `axes` the frequency of every bin and time of every frame; `warnings` e.g. a recording resampled up
 * from a low rate).
 */
export function windowJson(f: Features, name?: string, warnings: string[] = []): Record<string, unknown> {
  return {
    ...(name === undefined ? {} : { name }),
    preset: f.preset,
    sampleRate: f.sampleRate,
    shape: f.shape,
    start: f.start,
    // Custom settings are written with the features, so the document says how they were made.
    ...(f.preset === 'custom' ? { settings: f.settings } : { axes: featureAxes(f.preset) }),
    warnings,
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
  preset: FeaturePresetName | FeatureSettings,
  options: { windows?: WindowChoice; pad?: boolean; name?: string; fileBase?: string } = {},
): { windows: Features[]; document: unknown; warnings: string[]; files: OutputFile[] } {
  const result = featuresFromRecording(recording, preset, {
    windows: options.windows ?? 'loudest',
    pad: options.pad === true,
  });
  const windows = Array.isArray(result) ? result : [result];
  const name = options.name ?? recording.name ?? 'recording';
  const warnings = [upsamplingWarning(name, recording.sampleRate, preset)].filter((w): w is string => w !== undefined);
  const document = Array.isArray(result)
    ? windows.map((f) => windowJson(f, name, warnings))
    : windowJson(result, name, warnings);
  const base = options.fileBase ?? 'features';
  const shape = Array.isArray(result) ? [windows.length, ...(windows[0]?.shape ?? [])] : result.shape;
  const data = new Float32Array(windows.reduce((n, f) => n + f.data.length, 0));
  windows.forEach((f, i) => data.set(f.data, i * f.data.length));
  return {
    windows,
    document,
    warnings,
    files: [jsonFile(`${base}.json`, document), { name: `${base}.npy`, bytes: encodeNpy(data, shape) }],
  };
}
