/**
 * Custom feature settings from a JSON document (`--features FILE.json` on the command line): a Welch-PSD or
 * spectrogram recipe for a model whose input no preset gives. Plain code, no TensorFlow.js.
 *
 * ```json
 * { "kind": "psd", "sampleRate": 8000, "windowLength": 4000, "segmentLength": 128, "overlap": 64,
 *   "fftLength": 128, "bins": 65, "normalisation": "peak" }
 * { "extends": "potamitis-spectrogram", "frameStep": 32 }
 * { "kind": "spectrogram", "values": "db", "frequencyScale": "mel", "sampleRate": 22050, "windowLength": 80000,
 *   "frameLength": 2048, "frameStep": 512, "fftLength": 2048, "bins": 128, "fmin": 0, "fmax": 11025,
 *   "ref": "max", "topDb": 80, "center": true, "normalisation": "none" }
 * ```
 * Aliases (librosa's names too): `nFft`/`n_fft` for `fftLength`, `hop`/`hop_length` for `frameStep`,
 * `win_length` for `frameLength`, `window` for `windowLength`, `sr` for `sampleRate`, `top_db` for `topDb`,
 * `n_mels`/`nMels`/`melBands` for `bins` (and then `frequencyScale` `'mel'`, `values` `'db'` unless given).
 */
import { WingbeatsError } from '../util/errors.js';
import { didYouMean } from '../util/nearest-name.js';
import {
  FEATURE_PRESETS,
  FEATURE_PRESET_NAMES,
  isFeaturePresetName,
  type FeaturePresetName,
  type FeatureSettings,
  type PsdFeatureSettings,
  type SpectrogramFeatureSettings,
} from './presets.js';

const COMMON = ['sampleRate', 'windowLength', 'normalisation'] as const;
const PSD_FIELDS = [...COMMON, 'segmentLength', 'overlap', 'fftLength', 'bins', 'ref', 'topDb'] as const;
/** Fields of a spectrogram recipe with `values: 'db'` only. */
const DB_FIELDS = [
  'frequencyScale',
  'fmin',
  'fmax',
  'melScale',
  'melNorm',
  'power',
  'ref',
  'topDb',
  'scaling',
  'center',
  'channels',
  'rowOrder',
] as const;
const SPECTROGRAM_FIELDS = [
  ...COMMON,
  'frameLength',
  'frameStep',
  'fftLength',
  'bins',
  'values',
  ...DB_FIELDS,
] as const;
/** Fields holding a whole number, and their smallest value. */
const INTEGERS: Record<string, number> = {
  sampleRate: 1,
  windowLength: 1,
  segmentLength: 1,
  overlap: 0,
  fftLength: 4,
  bins: 1,
  frameLength: 1,
  frameStep: 1,
  channels: 1,
};
/** Fields holding one of a few words (or numbers). */
const CHOICES: Record<string, readonly unknown[]> = {
  normalisation: ['peak', 'none'],
  values: ['image', 'db'],
  frequencyScale: ['linear', 'mel'],
  melScale: ['slaney', 'htk'],
  melNorm: ['slaney', 'none'],
  power: [1, 2],
  scaling: ['none', 'min-max', 'z-score'],
  center: [true, false],
  rowOrder: ['low-first', 'high-first'],
};
const ALIASES: Record<string, string> = {
  nFft: 'fftLength',
  n_fft: 'fftLength',
  hop: 'frameStep',
  hop_length: 'frameStep',
  win_length: 'frameLength',
  window: 'windowLength',
  sr: 'sampleRate',
  top_db: 'topDb',
  n_mels: 'bins',
  nMels: 'bins',
  melBands: 'bins',
};
const MEL_ALIASES = new Set(['n_mels', 'nMels', 'melBands']);
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
  const fail = (message: string): never => {
    throw new WingbeatsError('INVALID_ARGUMENT', `${what}: ${message}`);
  };
  const given: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = ALIASES[key] ?? key;
    if (name in given) fail(`'${key}' and another name of '${name}' are both given; keep one.`);
    given[name] = v;
  }
  if (Object.keys(value).some((key) => MEL_ALIASES.has(key))) {
    given.frequencyScale ??= 'mel';
    given.values ??= 'db';
  }
  let base: Partial<FeatureSettings> = {};
  if (given.extends !== undefined) {
    const name = given.extends;
    if (typeof name !== 'string' || !isFeaturePresetName(name))
      fail(
        `'extends' must be one of ${FEATURE_PRESET_NAMES.join(', ')} but got ${JSON.stringify(name)}.${typeof name === 'string' ? didYouMean(name, FEATURE_PRESET_NAMES) : ''}`,
      );
    const { description: _description, ...preset } = FEATURE_PRESETS[name as FeaturePresetName];
    base = preset;
  }
  const merged: Record<string, unknown> = { ...base, ...given };
  delete merged.extends;
  const kind = merged.kind;
  if (kind !== 'psd' && kind !== 'spectrogram')
    fail(
      `'kind' must be 'psd' or 'spectrogram' (or give 'extends' with a preset name) but got ${JSON.stringify(kind)}.`,
    );
  const fields: readonly string[] = kind === 'psd' ? PSD_FIELDS : SPECTROGRAM_FIELDS;
  for (const key of Object.keys(merged)) {
    if (key === 'kind' || fields.includes(key)) continue;
    fail(`'${key}' is not a setting of a ${kind as string} recipe (${fields.join(', ')}).${didYouMean(key, fields)}`);
  }
  const db = kind === 'spectrogram' && merged.values === 'db';
  if (kind === 'spectrogram' && !db)
    for (const key of DB_FIELDS)
      if (merged[key] !== undefined)
        fail(
          `'${key}' is a setting of a spectrogram in dB: add "values": "db" (the default 'image' is the wingbeats image).`,
        );
  const required = fields.filter((key) => !(DB_FIELDS as readonly string[]).includes(key) && key !== 'values');
  for (const key of fields) {
    const v = merged[key];
    if (v === undefined && !required.includes(key)) continue;
    const choices = CHOICES[key];
    if (choices !== undefined) {
      if (!choices.includes(v))
        fail(
          `'${key}' must be ${choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c))).join(' or ')} but got ${v === undefined ? 'nothing' : JSON.stringify(v)}.`,
        );
      continue;
    }
    if (key === 'ref') {
      if (v !== 'max' && (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)))
        fail(`'ref' must be "max" or a number > 0 (the level of 0 dB) but got ${JSON.stringify(v)}.`);
      continue;
    }
    if (key === 'topDb' || key === 'fmin' || key === 'fmax') {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > MAX_VALUE)
        fail(`'${key}' must be a number in [0, ${MAX_VALUE}] but got ${JSON.stringify(v)}.`);
      continue;
    }
    const min = INTEGERS[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_VALUE)
      fail(
        `'${key}' must be an integer in [${min}, ${MAX_VALUE}] but got ${v === undefined ? 'nothing' : JSON.stringify(v)}.`,
      );
  }
  const fft = merged.fftLength as number;
  if ((fft & (fft - 1)) !== 0) fail(`'fftLength' must be a power of two (256, 512, 1024, ...) but got ${fft}.`);
  const frame = (kind === 'psd' ? merged.segmentLength : merged.frameLength) as number;
  const frameName = kind === 'psd' ? 'segmentLength' : 'frameLength';
  if (fft < frame) fail(`'fftLength' (${fft}) must be at least '${frameName}' (${frame}).`);
  const mel = db && merged.frequencyScale === 'mel';
  if (!mel && (merged.bins as number) > fft / 2 + 1)
    fail(`'bins' must be at most fftLength / 2 + 1 = ${fft / 2 + 1} but got ${merged.bins as number}.`);
  if (kind === 'psd' && (merged.overlap as number) >= frame)
    fail(`'overlap' (${merged.overlap as number}) must be less than 'segmentLength' (${frame}).`);
  if (merged.center === true) {
    if (frame % 2 !== 0) fail(`'frameLength' must be even with "center": true but got ${frame}.`);
  } else if ((merged.windowLength as number) < frame)
    fail(`'windowLength' (${merged.windowLength as number}) must be at least '${frameName}' (${frame}).`);
  if (db && !mel)
    for (const key of ['fmin', 'fmax', 'melScale', 'melNorm'])
      if (merged[key] !== undefined) fail(`'${key}' is a setting of mel bands: add "frequencyScale": "mel".`);
  if (mel) {
    const nyquist = (merged.sampleRate as number) / 2;
    const fmin = (merged.fmin as number | undefined) ?? 0;
    const fmax = (merged.fmax as number | undefined) ?? nyquist;
    if (fmax > nyquist) fail(`'fmax' must be at most sampleRate / 2 = ${nyquist} but got ${fmax}.`);
    if (!(fmin < fmax)) fail(`'fmin' (${fmin}) must be less than 'fmax' (${fmax}).`);
  }
  return kind === 'psd' ? (merged as unknown as PsdFeatureSettings) : (merged as unknown as SpectrogramFeatureSettings);
}
