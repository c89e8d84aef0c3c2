/** A ranking of the frequency bands an explanation marks as most important, in Hz. */
import { argumentError } from '../util/errors.js';

/** One ranked band. */
export interface FrequencyBand {
  /** Lower and upper edge (Hz): the outer bin centres ∓ half a bin width. */
  lowHz: number;
  highHz: number;
  /** Share of the whole explanation's relevance inside the band (0–1). */
  share: number;
}

/**
 * Ranks frequency bands by relevance: sums the heatmap over time (spectrograms), keeps the `bins` most relevant
 * frequency bins, joins neighbouring ones into bands, and orders the bands by their share of the total relevance.
 *
 * @param heatmap - Row-major heatmap (non-negative, e.g. the [0,1] heatmap), `[frequency]` or `[frequency, time]`.
 * @param frequencyHz - Centre frequency of every row of the heatmap, in row order (ascending or descending).
 * @param options - `bins`: how many top bins form the bands (default 8); `top`: bands returned (default 5).
 * @returns The bands, most relevant first.
 * @throws WingbeatsError `SHAPE_MISMATCH` when the heatmap size is not a multiple of the number of frequencies.
 * @example
 * rankFrequencyBands(heatmap, featureAxes('potamitis-psd').frequencyHz)[0]; // { lowHz: 484.4, highHz: 546.9, share: 0.12 }
 */
export function rankFrequencyBands(
  heatmap: ArrayLike<number>,
  frequencyHz: readonly number[],
  options: { bins?: number; top?: number } = {},
): FrequencyBand[] {
  const rows = frequencyHz.length;
  if (rows === 0 || heatmap.length % rows !== 0) {
    throw argumentError(
      'rankFrequencyBands',
      'heatmap',
      `a multiple of ${rows} values (one row per frequency)`,
      heatmap,
      'SHAPE_MISMATCH',
    );
  }
  const columns = heatmap.length / rows;
  const perRow = Array.from({ length: rows }, (_, r) => {
    let sum = 0;
    for (let c = 0; c < columns; c++) sum += Math.abs(heatmap[r * columns + c]);
    return sum;
  });
  const total = perRow.reduce((a, b) => a + b, 0);
  if (total === 0) return [];
  const order = perRow.map((_, r) => r).sort((a, b) => perRow[b] - perRow[a] || a - b);
  const kept = new Set(order.slice(0, Math.min(options.bins ?? 8, rows)));
  const step = rows > 1 ? Math.abs(frequencyHz[1] - frequencyHz[0]) : 0;
  const bands: FrequencyBand[] = [];
  for (let r = 0; r < rows; r++) {
    if (!kept.has(r) || kept.has(r - 1)) continue;
    let end = r;
    let sum = 0;
    while (kept.has(end)) sum += perRow[end++];
    const edges = [frequencyHz[r], frequencyHz[end - 1]];
    bands.push({
      lowHz: Math.max(0, Math.min(...edges) - step / 2),
      highHz: Math.max(...edges) + step / 2,
      share: sum / total,
    });
  }
  return bands.sort((a, b) => b.share - a.share).slice(0, options.top ?? 5);
}

/** One line naming the bands, e.g. "484–547 Hz (12 %), 1 000–1 063 Hz (6 %)". */
export function formatFrequencyBands(bands: readonly FrequencyBand[]): string {
  return bands
    .map((b) => `${Math.round(b.lowHz)}–${Math.round(b.highHz)} Hz (${(100 * b.share).toFixed(0)} %)`)
    .join(', ');
}
