/**
 * Harmonic profiles: an example's relevance along frequency re-read on an f0-normalised axis (harmonic number
 * h = f / f0, with f0 estimated from the example's own spectrum), so examples of one species whose wingbeat
 * frequencies differ can be averaged harmonic by harmonic. Universal, no TensorFlow.js.
 */
import { estimateFundamental } from '../signal/fundamental-frequency.js';
import type { HeatmapAxis } from './axis.js';

/** Highest harmonic number of the profiles. */
export const MAX_HARMONIC = 10;

/** Step of the harmonic-number grid. */
export const HARMONIC_GRID_STEP = 0.05;

/** The harmonic numbers of a profile: 0, 0.05, …, {@link MAX_HARMONIC}. */
export function harmonicGrid(): number[] {
  const steps = Math.round(MAX_HARMONIC / HARMONIC_GRID_STEP);
  return Array.from({ length: steps + 1 }, (_, i) => Number((i * HARMONIC_GRID_STEP).toFixed(10)));
}

/** One example's harmonic profile. */
export interface ExampleHarmonicProfile {
  /** Its fundamental frequency (Hz), from `estimateFundamental` on its spectrum. */
  f0Hz: number;
  /** Relevance at each harmonic number of {@link harmonicGrid}; NaN above the top of the frequency axis. */
  profile: Float64Array;
}

function frequencyAxis(axis: HeatmapAxis): readonly number[] | undefined {
  return axis.kind === 'psd' ? axis.hz : axis.kind === 'spectrogram' ? axis.rowHz : undefined;
}

/** Mean per frequency row of a flat array whose first axis is frequency (`rows` rows). */
function alongFrequency(values: ArrayLike<number>, rows: number): Float64Array {
  const inner = values.length / rows;
  return Float64Array.from({ length: rows }, (_, r) => {
    let sum = 0;
    for (let j = 0; j < inner; j++) sum += values[r * inner + j];
    return sum / inner;
  });
}

/**
 * f0 (Hz) of one example from its model input read as levels in dB — a PSD's bins, a spectrogram image's mean per row
 * over time and channels (the same reading as the `harmonics` groups) — by `estimateFundamental`. Undefined when the
 * axis is not a frequency axis, the input does not fit it, or no f0 stands out of the spectrum.
 * @example exampleFundamental(row.input, summary.axis) // 602.1
 */
export function exampleFundamental(input: ArrayLike<number>, axis: HeatmapAxis): number | undefined {
  const hz = frequencyAxis(axis);
  if (hz === undefined || input.length === 0 || input.length % hz.length !== 0) return undefined;
  const f0 = estimateFundamental(alongFrequency(input, hz.length), hz);
  return f0 !== undefined && f0 > 0 ? f0 : undefined;
}

/**
 * A heatmap along frequency (a PSD's bins; a spectrogram's mean per row over time) linearly interpolated at h·f0 Hz for
 * every harmonic number h of {@link harmonicGrid}; NaN where h·f0 lies above the top of the axis (or below its first
 * bin). Throws nothing; a heatmap that does not fit the axis gives all NaN.
 * @example harmonicProfile(row.heatmap, summary.axis, 600)[20] // relevance at f0 (h = 1)
 */
export function harmonicProfile(heatmap: ArrayLike<number>, axis: HeatmapAxis, f0Hz: number): Float64Array {
  const grid = harmonicGrid();
  const hz = frequencyAxis(axis);
  if (hz === undefined || heatmap.length === 0 || heatmap.length % hz.length !== 0 || !(f0Hz > 0))
    return new Float64Array(grid.length).fill(Number.NaN);
  const rows = hz.length;
  const relevance = alongFrequency(heatmap, rows);
  // Ascending frequency for interpolation (spectrogram rows run from the highest bin down).
  const descending = hz[rows - 1] < hz[0];
  const at = (i: number): number => (descending ? rows - 1 - i : i);
  const low = hz[at(0)];
  const binHz = (hz[at(rows - 1)] - low) / (rows - 1);
  return Float64Array.from(grid, (h) => {
    const position = (h * f0Hz - low) / binHz;
    if (position < -1e-9 || position > rows - 1 + 1e-9) return Number.NaN;
    const i = Math.max(0, Math.min(rows - 2, Math.floor(position)));
    const w = Math.min(1, Math.max(0, position - i));
    return relevance[at(i)] * (1 - w) + relevance[at(i + 1)] * w;
  });
}

/**
 * The harmonic profile of one example: {@link exampleFundamental} of its input, then {@link harmonicProfile} of its
 * heatmap at that f0. Undefined when no f0 is found.
 * @example exampleHarmonicProfile(row.input, row.heatmap, summary.axis)?.profile[20] // relevance at f0
 */
export function exampleHarmonicProfile(
  input: ArrayLike<number>,
  heatmap: ArrayLike<number>,
  axis: HeatmapAxis,
): ExampleHarmonicProfile | undefined {
  const f0Hz = exampleFundamental(input, axis);
  return f0Hz === undefined ? undefined : { f0Hz, profile: harmonicProfile(heatmap, axis, f0Hz) };
}
