/**
 * Chart of a 1-D (Welch power spectrum) explanation: the spectrum in dB over frequency, its points coloured by
 * the attribution, and a colour strip of the attribution along the same frequency axis.
 */
import type { TopLevelSpec } from 'vega-lite';
import { argumentError, described } from '../util/errors.js';
import { vegaColorScale } from './colormaps.js';
import { legendValues, resolveColorScale, type ColorOptions } from './color-domain.js';
import { VEGA_LITE_SCHEMA, chartConfig, explanationTitle, type ExplanationTitleParts } from './chart-theme.js';

/** Data of a PSD explanation chart. */
export interface PsdExplanationData extends ExplanationTitleParts {
  /** The spectrum, one value per frequency bin (dB unless `options.spectrumUnit` is `'power'`). */
  spectrum: ArrayLike<number>;
  /** Attribution or heatmap per bin (same length as `spectrum`). Without it only the spectrum is drawn. */
  attribution?: ArrayLike<number>;
  /** Frequency of each bin in Hz, ascending. Default: evenly spaced over [0, 4000] Hz. */
  frequencies?: ArrayLike<number>;
  /** Title; default built from `className`, `score` and `method`. */
  title?: string;
  /** Subtitle line (e.g. the recording's name). */
  subtitle?: string;
}

/** Options of {@link psdExplanationSpec}. */
export interface PsdChartOptions extends ColorOptions {
  /** Plot width in pixels (default 620). */
  width?: number;
  /** Height of the spectrum panel in pixels (default 240). */
  height?: number;
  /** `'db'` (default): `spectrum` is already in dB; `'power'`: converted with 10·log10. */
  spectrumUnit?: 'db' | 'power';
  /** Legend title of the colour scale (default `'Attribution'`). */
  attributionLabel?: string;
  /** Axis title of the spectrum (default `'Power (dB)'`; e.g. `'Input (model units)'` for an input of unknown make). */
  spectrumLabel?: string;
}

/** Evenly spaced frequencies over `[0, maxHz]` for `n` bins. */
export function linearFrequencies(n: number, maxHz = 4000): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n === 1 ? 0 : (maxHz * i) / (n - 1);
  return out;
}

/**
 * The Vega-Lite spec of a PSD explanation (render with `renderChartSvg`, `renderChartPng`, or vega-embed).
 *
 * @throws WingbeatsError (SHAPE_MISMATCH) when the arrays differ in length, (INVALID_ARGUMENT) for bad options.
 * @example psdExplanationSpec({ spectrum, attribution, className: 'Ae_aegypti', score: 0.93, method: 'saliency' })
 */
export function psdExplanationSpec(data: PsdExplanationData, options: PsdChartOptions = {}): TopLevelSpec {
  const fn = 'psdExplanationSpec';
  const n = data.spectrum?.length;
  if (typeof n !== 'number' || n < 2)
    throw argumentError(fn, 'data.spectrum', 'an array of at least 2 values', data.spectrum);
  if (data.attribution !== undefined && data.attribution?.length !== n) {
    throw argumentError(
      fn,
      'data.attribution',
      `of the spectrum's length ${n}`,
      described(`length ${data.attribution?.length}`),
      'SHAPE_MISMATCH',
    );
  }
  const frequencies = data.frequencies ?? linearFrequencies(n);
  if (frequencies.length !== n) {
    throw argumentError(
      fn,
      'data.frequencies',
      `of the spectrum's length ${n}`,
      described(`length ${frequencies.length}`),
      'SHAPE_MISMATCH',
    );
  }
  const attribution = data.attribution;
  const scale = resolveColorScale(attribution !== undefined ? [attribution] : [], options, fn);
  const toDb = options.spectrumUnit === 'power';
  const rows = [];
  for (let i = 0; i < n; i++) {
    const f = frequencies[i];
    const left = i > 0 ? (f + frequencies[i - 1]) / 2 : f - (frequencies[1] - frequencies[0]) / 2;
    const right = i < n - 1 ? (f + frequencies[i + 1]) / 2 : f + (frequencies[n - 1] - frequencies[n - 2]) / 2;
    const s = data.spectrum[i];
    const db = toDb ? 10 * Math.log10(Math.max(s, 1e-30)) : s;
    // neighbouring cells overlap by a fifth of a bin so that no hairline seams show between them
    const pad = (right - left) / 10;
    rows.push({
      f,
      f0: Math.max(left - pad, frequencies[0]),
      f1: Math.min(right + pad, frequencies[n - 1]),
      db: Number.isFinite(db) ? db : null,
      a: attribution !== undefined ? attribution[i] : 0,
    });
  }
  const xDomain = [frequencies[0], frequencies[n - 1]];
  const width = options.width ?? 620;
  const spectrumLabel = options.spectrumLabel ?? 'Power (dB)';
  const color = {
    field: 'a',
    type: 'quantitative' as const,
    scale: vegaColorScale(scale.colormap, scale.domain),
    legend: {
      type: 'gradient' as const,
      title: options.attributionLabel ?? 'Attribution',
      orient: 'right' as const,
      values: legendValues(scale.domain),
      format: '.2~g',
    },
  };
  const title = data.title ?? explanationTitle(data);
  const lineOnly = attribution === undefined;
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    title: data.subtitle !== undefined ? { text: title, subtitle: data.subtitle } : { text: title },
    data: { values: rows },
    spacing: 4,
    vconcat: [
      {
        width,
        height: options.height ?? 240,
        encoding: {
          x: {
            field: 'f',
            type: 'quantitative',
            scale: { domain: xDomain, nice: false },
            axis: lineOnly ? { title: 'Frequency (Hz)', tickCount: 9 } : { title: null, labels: false, ticks: false },
          },
          y: { field: 'db', type: 'quantitative', scale: { zero: false }, axis: { title: spectrumLabel } },
        },
        layer: [
          { mark: { type: 'line', color: lineOnly ? '#1f4e79' : '#4a4a4a', strokeWidth: 1.4, interpolate: 'linear' } },
          ...(lineOnly
            ? []
            : [
                {
                  mark: { type: 'point', filled: true, size: 34, stroke: '#333333', strokeWidth: 0.5, opacity: 1 },
                  encoding: {
                    color,
                    tooltip: [
                      { field: 'f', type: 'quantitative', title: 'Frequency (Hz)', format: '.0f' },
                      { field: 'db', type: 'quantitative', title: spectrumLabel, format: '.2f' },
                      {
                        field: 'a',
                        type: 'quantitative',
                        title: options.attributionLabel ?? 'Attribution',
                        format: '.3g',
                      },
                    ],
                  },
                },
              ]),
        ],
      },
      ...(lineOnly
        ? []
        : [
            {
              width,
              height: 22,
              mark: { type: 'rect' },
              encoding: {
                x: {
                  field: 'f0',
                  type: 'quantitative',
                  scale: { domain: xDomain, nice: false },
                  axis: { title: 'Frequency (Hz)', tickCount: 9 },
                },
                x2: { field: 'f1' },
                color,
              },
            },
          ]),
    ],
    resolve: { scale: { x: 'shared', color: 'shared' } },
  } as TopLevelSpec;
}
