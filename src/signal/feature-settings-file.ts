/**
 * Custom feature settings from a JSON document (`--features FILE.json` on the command line): a Welch-PSD or
 * spectrogram recipe for a model whose input no preset gives. Plain code, no TensorFlow.js.
 *
 * ```json
 * { "kind": "psd", "sampleRate": 8000, "windowLength": 4000, "segmentLength": 128, "overlap": 64,
 *   "fftLength": 128, "bins": 65, "normalisation": "peak" }
 * { "extends": "potamitis-spectrogram", "frameStep": 32 }
 * ```
 * Aliases: `nFft` for `fftLength`, `hop` for `frameStep` (spectrograms), `window` for `windowLength`.
 */
import { WingbeatsError } from '../util/errors.js';
import { didYouMean } from '../util/nearest-name.js';
import {
  FEATURE_PRESETS,
  FEATURE_PRESET_NAMES,
  isFeaturePresetName,
  type FeatureSettings,
  type PsdFeatureSettings,
  type SpectrogramFeatureSettings,
} from './presets.js';

const COMMON = ['sampleRate', 'windowLength', 'normalisation'] as const;
const PSD_FIELDS = [...COMMON, 'segmentLength', 'overlap', 'fftLength', 'bins'] as const;
const SPECTROGRAM_FIELDS = [...COMMON, 'frameLength', 'frameStep', 'fftLength', 'bins'] as const;
const ALIASES: Record<string, string> = {
  nFft: 'fftLength',
  n_fft: 'fftLength',
  hop: 'frameStep',
  window: 'windowLength',
};
/** Largest value of any length or rate (a recipe beyond it is a mistake, not a model input). */
const MAX_VALUE = 10_000_000;

/**
 * Checks a parsed JSON value as feature settings and returns them (a preset named by `extends` fills the fields not
 * given).
 * @param value - The parsed JSON document.
 * @param what - Names the source in messages (e.g. `"The --features file 'whale.json'"`).
 * @throws WingbeatsError `INVALID_ARGUMENT` naming the field, what was expected and what came.
 * @example parseFeatureSettings({ extends: 'potamitis-psd', bins: 65, fftLength: 128, segmentLength: 128, overlap: 64 }, 'x')
 */
export function parseFeatureSettings(value: unknown, what: string): FeatureSettings {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new WingbeatsError('INVALID_ARGUMENT', `${what} must hold a JSON object of feature settings.`);
  const given: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) given[ALIASES[key] ?? key] = v;
  let base: Partial<FeatureSettings> = {};
  if (given.extends !== undefined) {
    const name = given.extends;
    if (typeof name !== 'string' || !isFeaturePresetName(name))
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `${what}: 'extends' must be one of ${FEATURE_PRESET_NAMES.join(', ')} but got ${JSON.stringify(name)}.${typeof name === 'string' ? didYouMean(name, FEATURE_PRESET_NAMES) : ''}`,
      );
    const { description: _description, ...preset } = FEATURE_PRESETS[name];
    base = preset;
  }
  const merged: Record<string, unknown> = { ...base, ...given };
  delete merged.extends;
  const kind = merged.kind;
  if (kind !== 'psd' && kind !== 'spectrogram')
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${what}: 'kind' must be 'psd' or 'spectrogram' (or give 'extends' with a preset name) but got ${JSON.stringify(kind)}.`,
    );
  const fields: readonly string[] = kind === 'psd' ? PSD_FIELDS : SPECTROGRAM_FIELDS;
  for (const key of Object.keys(merged)) {
    if (key === 'kind' || fields.includes(key)) continue;
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${what}: '${key}' is not a setting of a ${kind} recipe (${fields.join(', ')}).${didYouMean(key, fields)}`,
    );
  }
  for (const key of fields) {
    const v = merged[key];
    if (key === 'normalisation') {
      if (v !== 'peak' && v !== 'none')
        throw new WingbeatsError(
          'INVALID_ARGUMENT',
          `${what}: 'normalisation' must be 'peak' or 'none' but got ${JSON.stringify(v)}.`,
        );
      continue;
    }
    const min = key === 'overlap' ? 0 : 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_VALUE)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `${what}: '${key}' must be an integer in [${min}, ${MAX_VALUE}] but got ${v === undefined ? 'nothing' : JSON.stringify(v)}.`,
      );
  }
  const fft = merged.fftLength as number;
  const frame = (kind === 'psd' ? merged.segmentLength : merged.frameLength) as number;
  const frameName = kind === 'psd' ? 'segmentLength' : 'frameLength';
  if (fft < frame)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${what}: 'fftLength' (${fft}) must be at least '${frameName}' (${frame}).`,
    );
  if ((merged.bins as number) > fft / 2 + 1)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${what}: 'bins' must be at most fftLength / 2 + 1 = ${fft / 2 + 1} but got ${merged.bins as number}.`,
    );
  if (kind === 'psd' && (merged.overlap as number) >= frame)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${what}: 'overlap' (${merged.overlap as number}) must be less than 'segmentLength' (${frame}).`,
    );
  if ((merged.windowLength as number) < frame)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${what}: 'windowLength' (${merged.windowLength as number}) must be at least '${frameName}' (${frame}).`,
    );
  return kind === 'psd' ? (merged as unknown as PsdFeatureSettings) : (merged as unknown as SpectrogramFeatureSettings);
}
