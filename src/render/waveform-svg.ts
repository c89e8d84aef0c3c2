/**
 * A small inline SVG of a recording's waveform (min–max envelope per pixel column), for reports. Plain string
 * building, no chart library: it is a thumbnail, not a chart.
 */
import { argumentError } from '../util/errors.js';

/** Options of {@link waveformSvg}. */
export interface WaveformSvgOptions {
  /** Width in pixels (default 320). */
  width?: number;
  /** Height in pixels (default 56). */
  height?: number;
  /** Sample rate in Hz; when given, the duration is written under the trace. */
  sampleRate?: number;
  /** Stroke colour (default `#34495e`). */
  color?: string;
}

/**
 * An `<svg>` element string of the waveform. Samples are scaled by their largest magnitude.
 * @throws WingbeatsError (INVALID_ARGUMENT) for an empty sample array or bad sizes.
 */
export function waveformSvg(samples: ArrayLike<number>, options: WaveformSvgOptions = {}): string {
  const fn = 'waveformSvg';
  if (samples === null || typeof samples !== 'object' || typeof samples.length !== 'number' || samples.length === 0) {
    throw argumentError(fn, 'samples', 'a non-empty array of numbers', samples);
  }
  const width = options.width ?? 320;
  const height = options.height ?? 56;
  if (!(width >= 8) || !(height >= 8))
    throw argumentError(fn, 'options.width/height', 'numbers >= 8', width < 8 ? width : height);
  const color = /^#[0-9a-fA-F]{3,8}$/.test(options.color ?? '') ? (options.color as string) : '#34495e';
  const labelHeight = options.sampleRate !== undefined ? 14 : 0;
  const plotHeight = height - labelHeight;
  let peak = 0;
  for (let i = 0; i < samples.length; i++) if (Number.isFinite(samples[i])) peak = Math.max(peak, Math.abs(samples[i]));
  peak ||= 1;
  const columns = Math.min(Math.floor(width), samples.length);
  const mid = plotHeight / 2;
  const half = mid - 1;
  const top: string[] = [];
  const bottom: string[] = [];
  for (let c = 0; c < columns; c++) {
    const start = Math.floor((c * samples.length) / columns);
    const end = Math.max(start + 1, Math.floor(((c + 1) * samples.length) / columns));
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = start; i < end; i++) {
      const v = samples[i];
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    if (lo > hi) lo = hi = 0;
    const x = columns === 1 ? width / 2 : (c * width) / (columns - 1);
    top.push(`${x.toFixed(1)},${(mid - (hi / peak) * half).toFixed(1)}`);
    bottom.push(`${x.toFixed(1)},${(mid - (lo / peak) * half).toFixed(1)}`);
  }
  const points = [...top, ...bottom.reverse()].join(' ');
  let label = '';
  if (options.sampleRate !== undefined && options.sampleRate > 0) {
    const seconds = samples.length / options.sampleRate;
    label = `<text x="0" y="${height - 2}" font-size="11" fill="#666" font-family="sans-serif">${samples.length} samples · ${seconds.toFixed(3)} s at ${options.sampleRate} Hz</text>`;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="waveform">` +
    `<line x1="0" y1="${mid}" x2="${width}" y2="${mid}" stroke="#ddd" stroke-width="1"/>` +
    `<polygon points="${points}" fill="${color}" fill-opacity="0.35" stroke="${color}" stroke-width="0.8" stroke-linejoin="round"/>` +
    label +
    `</svg>`
  );
}
