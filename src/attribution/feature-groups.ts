/**
 * Feature groups: the units an explanation is given over (frequency bands, time segments, time-frequency tiles, the
 * harmonics of each recording, or a user's mask). A group is a set of positions over the input's non-channel axes;
 * all channels of a position belong to its group (Captum's `feature_mask` broadcast over channels). No TensorFlow.js.
 */
import { WingbeatsError, argumentError, described } from '../util/errors.js';
import { estimateFundamental } from '../signal/fundamental-frequency.js';

/** One group of positions. */
export interface FeatureGroup {
  /** Display name ("band 3", "2f0", "below f0", or the mask's name). */
  name: string;
  /** Flat row-major positions over the non-channel axes. */
  positions: number[];
  /** Lowest and highest frequency (Hz) of its positions, where the first non-channel axis has frequencies. */
  lowHz?: number;
  highHz?: number;
}

/** A mask: a group index per position, nested in the input's non-channel shape (or flat), with optional names. */
export interface GroupMask {
  mask: unknown[];
  names?: readonly string[];
}

/**
 * The `groups` option: `'bands:N'`, `'time:N'`, `'tiles:FxT'`, `'harmonics'` or `'harmonics:TOL'` (TOL in Hz), or a
 * {@link GroupMask}.
 */
export type GroupsOption = string | GroupMask;

/** The groups of one example (harmonic groups follow each recording's f0). */
export interface ExampleGroups {
  groups: FeatureGroup[];
  /** `harmonics` only: the estimated fundamental frequency, Hz. */
  f0Hz?: number;
}

export { GROUPS_OPTION } from './method-specs.js';

const SPEC_HELP = "'bands:N', 'time:N', 'tiles:FxT', 'harmonics', 'harmonics:TOL' or a mask";

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** N contiguous runs of `length` indices: floor(length/N) each, the last takes the remainder. */
function runs(functionName: string, length: number, count: number, what: string): number[] {
  if (count > length)
    throw argumentError(functionName, 'groups', `at most ${length} ${what} (the axis' length)`, count);
  const each = Math.floor(length / count);
  return Array.from({ length }, (_, i) => Math.min(count - 1, Math.floor(i / each)));
}

function hzRange(group: FeatureGroup, spatial: readonly number[], frequencyHz: readonly number[] | undefined): void {
  if (frequencyHz === undefined || group.positions.length === 0) return;
  const inner = size(spatial.slice(1));
  let low = Infinity;
  let high = -Infinity;
  for (const p of group.positions) {
    const hz = frequencyHz[Math.floor(p / inner)];
    low = Math.min(low, hz);
    high = Math.max(high, hz);
  }
  group.lowHz = low;
  group.highHz = high;
}

/** Groups from a group index per flat position (indices 0..G−1, each used). */
function fromIndices(
  functionName: string,
  index: ArrayLike<number>,
  names: readonly string[] | undefined,
  defaultName: (g: number) => string,
): FeatureGroup[] {
  let count = 0;
  for (let p = 0; p < index.length; p++) count = Math.max(count, index[p] + 1);
  const groups = Array.from({ length: count }, (_, g): FeatureGroup => ({
    name: names?.[g] ?? defaultName(g),
    positions: [],
  }));
  for (let p = 0; p < index.length; p++) groups[index[p]].positions.push(p);
  const empty = groups.findIndex((g) => g.positions.length === 0);
  if (empty >= 0)
    throw argumentError(
      functionName,
      'groups',
      `group indices 0..${count - 1} each used by at least one position`,
      described(`no position in group ${empty}`),
    );
  return groups;
}

function flattenMask(functionName: string, mask: unknown, spatial: readonly number[]): number[] {
  const out: number[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else out.push(value as number);
  };
  walk(mask);
  const expected = size(spatial);
  if (out.length !== expected)
    throw argumentError(
      functionName,
      'groups',
      `a mask with one group index per position of the non-channel shape [${spatial.join(',')}] (${expected} values)`,
      described(`${out.length} values`),
      'SHAPE_MISMATCH',
    );
  const bad = out.find((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 0);
  if (bad !== undefined)
    throw argumentError(functionName, 'groups', 'a mask of non-negative integer group indices', bad);
  return out;
}

/** Harmonic groups of one example from its f0: below f0, f0, 2f0, ... (± tolerance), and the bins between them. */
function harmonicGroups(
  functionName: string,
  spatial: readonly number[],
  frequencyHz: readonly number[],
  f0: number,
  toleranceHz: number,
): FeatureGroup[] {
  if (toleranceHz >= f0 / 2)
    throw argumentError(
      functionName,
      'groups',
      `a harmonic tolerance below f0/2 = ${(f0 / 2).toFixed(1)} Hz (harmonic bands would overlap)`,
      toleranceHz,
    );
  const rows = spatial[0];
  const binHz = Math.abs(frequencyHz[1] - frequencyHz[0]);
  const top = Math.max(...frequencyHz.slice(0, rows));
  const label = new Array<number>(rows).fill(-1); // -1 between, -2 below f0, k ≥ 1 harmonic k
  const harmonics = Math.floor((top + binHz / 2) / f0);
  for (let r = 0; r < rows; r++) {
    const hz = frequencyHz[r];
    const k = Math.round(hz / f0);
    if (k >= 1 && k <= harmonics && Math.abs(hz - k * f0) <= toleranceHz) label[r] = k;
    else if (hz < f0 - toleranceHz) label[r] = -2;
  }
  for (let k = 1; k <= harmonics; k++) {
    if (label.includes(k)) continue;
    let nearest = 0;
    for (let r = 1; r < rows; r++)
      if (Math.abs(frequencyHz[r] - k * f0) < Math.abs(frequencyHz[nearest] - k * f0)) nearest = r;
    label[nearest] = k;
  }
  const order = [-2, ...Array.from({ length: harmonics }, (_, i) => i + 1), -1].filter((l) => label.includes(l));
  const inner = size(spatial.slice(1));
  return order.map((l) => ({
    name: l === -2 ? 'below f0' : l === -1 ? 'between harmonics' : l === 1 ? 'f0' : `${l}f0`,
    positions: label.flatMap((value, r) => (value === l ? Array.from({ length: inner }, (_, j) => r * inner + j) : [])),
  }));
}

/** The mean level per index of the first non-channel axis (over the other axes and channels) of one example. */
function frequencyProfile(data: Float32Array, spatial: readonly number[], channels: number): Float64Array {
  const inner = size(spatial.slice(1)) * channels;
  return Float64Array.from({ length: spatial[0] }, (_, r) => {
    let sum = 0;
    for (let j = 0; j < inner; j++) sum += data[r * inner + j];
    return sum / inner;
  });
}

/**
 * Resolves the `groups` option for every example of a batch.
 *
 * - `bands:N`: N contiguous runs of the first non-channel axis (frequency for a PSD or spectrogram), floor(L/N)
 *   indices each, the last taking the remainder; for 2-D inputs every time step of a row is in the row's band.
 * - `time:N`: the same along the second non-channel axis (time of a spectrogram).
 * - `tiles:FxT`: F bands × T time segments (row-major: tile f·T + t).
 * - `harmonics[:TOL]`: per example, f0 from the mean level per frequency index (the input read as dB; see
 *   `estimateFundamental` for the method), then 'below f0', 'f0', '2f0', ... (every bin within TOL Hz of k·f0, at least
 *   the nearest bin; TOL defaults to one bin width, at most f0/4) and 'between harmonics' (the rest). Needs `frequencyHz`.
 * - a {@link GroupMask}: a group index per position (nested in the non-channel shape, or flat), names optional.
 *
 * `frequencyHz` gives the Hz of each index of the first non-channel axis (for Hz ranges and harmonics).
 * @throws WingbeatsError INVALID_ARGUMENT naming `groups` for an unknown spec, counts that do not fit the input, a
 *   mask of the wrong shape or with an unused index, harmonics without frequencies or with no f0 found.
 * @example resolveGroups('shapley', 'bands:8', [129], data, 1, 1, hz)[0].groups.length // 8
 */
export function resolveGroups(
  functionName: string,
  option: GroupsOption,
  spatial: readonly number[],
  data: Float32Array,
  batch: number,
  channels: number,
  frequencyHz?: readonly number[],
): ExampleGroups[] {
  const same = (groups: FeatureGroup[]): ExampleGroups[] => {
    groups.forEach((g) => hzRange(g, spatial, frequencyHz));
    return Array.from({ length: batch }, () => ({ groups }));
  };
  if (frequencyHz !== undefined && frequencyHz.length !== spatial[0])
    throw argumentError(
      functionName,
      'frequencyHz',
      `one frequency per index of the first non-channel axis (${spatial[0]})`,
      described(`${frequencyHz.length} values`),
    );
  if (typeof option === 'object' && option !== null && Array.isArray(option.mask)) {
    const index = flattenMask(functionName, option.mask, spatial);
    return same(fromIndices(functionName, index, option.names, (g) => `group ${g}`));
  }
  if (typeof option !== 'string') throw argumentError(functionName, 'groups', SPEC_HELP, option);
  const text = option.trim();
  const counted = /^(bands|time):(\d+)$/.exec(text);
  const tiles = /^tiles:(\d+)[x×](\d+)$/.exec(text);
  const harmonics = /^harmonics(?::(\d+(?:\.\d+)?))?$/.exec(text);
  const inner = size(spatial.slice(1));
  if (counted !== null) {
    const count = Number(counted[2]);
    if (count < 1) throw argumentError(functionName, 'groups', 'a count ≥ 1', option);
    if (counted[1] === 'bands') {
      const band = runs(functionName, spatial[0], count, 'bands');
      const index = Array.from({ length: size(spatial) }, (_, p) => band[Math.floor(p / inner)]);
      return same(fromIndices(functionName, index, undefined, (g) => `band ${g}`));
    }
    if (spatial.length < 2)
      throw argumentError(functionName, 'groups', "'time:N' on inputs with a time axis (2-D)", option);
    const segment = runs(functionName, spatial[1], count, 'time segments');
    const index = Array.from(
      { length: size(spatial) },
      (_, p) => segment[Math.floor(p / size(spatial.slice(2))) % spatial[1]],
    );
    return same(fromIndices(functionName, index, undefined, (g) => `time ${g}`));
  }
  if (tiles !== null) {
    if (spatial.length < 2)
      throw argumentError(functionName, 'groups', "'tiles:FxT' on inputs with a time axis (2-D)", option);
    const [f, t] = [Number(tiles[1]), Number(tiles[2])];
    if (f < 1 || t < 1) throw argumentError(functionName, 'groups', 'tile counts ≥ 1', option);
    const band = runs(functionName, spatial[0], f, 'bands');
    const segment = runs(functionName, spatial[1], t, 'time segments');
    const rest = size(spatial.slice(2));
    const index = Array.from(
      { length: size(spatial) },
      (_, p) => band[Math.floor(p / inner)] * t + segment[Math.floor(p / rest) % spatial[1]],
    );
    return same(fromIndices(functionName, index, undefined, (g) => `tile ${Math.floor(g / t)},${g % t}`));
  }
  if (harmonics !== null) {
    if (frequencyHz === undefined || spatial[0] < 4)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Argument 'groups' passed to '${functionName}' is 'harmonics', which needs the frequency of each bin: give 'frequencyHz' (the command line takes it from the feature preset).`,
      );
    const binHz = Math.abs(frequencyHz[1] - frequencyHz[0]);
    const perExample = size(spatial) * channels;
    return Array.from({ length: batch }, (_, e) => {
      const profile = frequencyProfile(data.subarray(e * perExample, (e + 1) * perExample), spatial, channels);
      const f0 = estimateFundamental(profile, frequencyHz);
      if (f0 === undefined)
        throw argumentError(
          functionName,
          'groups',
          `'harmonics' on a spectrum with a fundamental frequency`,
          described(`example ${e}: no bin stands out of the noise floor, so no f0`),
        );
      const tolerance = harmonics[1] === undefined ? Math.min(binHz, f0 / 4) : Number(harmonics[1]);
      const groups = harmonicGroups(functionName, spatial, frequencyHz, f0, tolerance);
      groups.forEach((g) => hzRange(g, spatial, frequencyHz));
      return { groups, f0Hz: f0 };
    });
  }
  throw argumentError(functionName, 'groups', SPEC_HELP, option);
}

/** Each position alone (all channels together): the groups when none are given. */
export function positionGroups(spatial: readonly number[], batch: number): ExampleGroups[] {
  const groups = Array.from({ length: size(spatial) }, (_, p): FeatureGroup => ({
    name: `position ${p}`,
    positions: [p],
  }));
  return Array.from({ length: batch }, () => ({ groups }));
}

/**
 * A {@link GroupMask} from parsed JSON: a bare array of group indices (nested in the non-channel shape, or flat), or
 * `{"mask": [...], "names": [...]}`. The shape is checked against the input later, by {@link resolveGroups}.
 * @throws WingbeatsError INVALID_ARGUMENT naming `label` when the value is neither.
 * @example groupMaskFromJson({ mask: [0, 0, 1], names: ['low', 'high'] }, "Option '--groups' file 'm.json'")
 */
export function groupMaskFromJson(value: unknown, label: string): GroupMask {
  if (Array.isArray(value)) return { mask: value };
  if (value !== null && typeof value === 'object' && Array.isArray((value as GroupMask).mask)) {
    const { mask, names } = value as GroupMask;
    if (names !== undefined && !(Array.isArray(names) && names.every((n) => typeof n === 'string')))
      throw new WingbeatsError('INVALID_ARGUMENT', `${label}: 'names' must be an array of strings.`);
    return names === undefined ? { mask } : { mask, names };
  }
  throw new WingbeatsError(
    'INVALID_ARGUMENT',
    `${label} must hold an array of group indices (one per position) or {"mask": [...], "names": [...]}.`,
  );
}
