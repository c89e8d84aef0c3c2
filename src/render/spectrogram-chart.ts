/**
 * Chart of a 2-D (spectrogram image) explanation: time (s) across, frequency (Hz) increasing upwards, either the
 * spectrogram and the attribution side by side or the attribution laid over a grey spectrogram with transparency.
 */
import type { TopLevelSpec } from 'vega-lite';
import { argumentError, described } from '../util/errors.js';
import { resolveColorScale, type ColorOptions } from './color-domain.js';
import { assertGrid, type Grid } from './grid.js';
import { VEGA_LITE_SCHEMA, chartConfig, explanationTitle, type ExplanationTitleParts } from './chart-theme.js';
import { cellEdges, rasterLayers, type RasterExtent } from './raster-layer.js';
import type { ColormapName } from './colormaps.js';

/** Data of a spectrogram explanation chart. */
export interface SpectrogramExplanationData extends ExplanationTitleParts {
  /** The spectrogram (channels already reduced, e.g. with `gridFromImage`): rows = frequencies, cols = frames. */
  spectrogram: Grid;
  /** The attribution or heatmap, same rows and cols. */
  attribution: Grid;
  /** Centre frequencies (Hz) of the lowest and the highest row. Default `[0, 4000]`. */
  frequencyRange?: readonly [number, number];
  /**
   * Centre frequency (Hz) of every row, from the lowest row to the highest (e.g. mel band centres); rows that are
   * not evenly spaced in Hz get an axis labelled at their own centres. Wins over `frequencyRange`.
   */
  frequencyHz?: ArrayLike<number>;
  /** Centre times (s) of the first and the last frame. Default: frame numbers `[0, cols - 1]`, axis "Time (frame)". */
  timeRange?: readonly [number, number];
  /** Title; default built from `className`, `score` and `method`. */
  title?: string;
  subtitle?: string;
}

/** Shared layout options of raster charts. */
export interface RasterChartOptions {
  /** Panel width in pixels (default 320). */
  width?: number;
  /** Panel height in pixels (default 240). */
  height?: number;
  /**
   * Which grid row is the highest frequency: `'high-first'` (default, the wingbeats input convention: row 0 is
   * the highest frequency) or `'low-first'` (row 0 is the lowest).
   */
  rowOrder?: 'high-first' | 'low-first';
}

/** Options of {@link spectrogramExplanationSpec}; `colormap`/`domain` are those of the attribution. */
export interface SpectrogramChartOptions extends ColorOptions, RasterChartOptions {
  /** `'side-by-side'` (default) or `'overlay'` (attribution over a grey spectrogram). */
  layout?: 'side-by-side' | 'overlay' | 'attribution-only';
  /** Largest opacity of the attribution in the overlay layout (default 0.85; weak values fade out). */
  opacity?: number;
  /** Colormap of the spectrogram in the side-by-side layout (default `'viridis'`). */
  spectrogramColormap?: ColormapName;
  /** Legend title of the spectrogram (default `'Input'`; in the overlay layout the grey input has a colour bar only when given). */
  spectrogramLabel?: string;
  /** Legend title of the attribution (default `'Attribution'`). */
  attributionLabel?: string;
}

/** Are these values (at least two) evenly spaced, to float rounding? */
function evenlySpaced(values: ArrayLike<number>): boolean {
  const step = (values[values.length - 1] - values[0]) / (values.length - 1);
  for (let i = 1; i < values.length; i++)
    if (Math.abs(values[i] - values[i - 1] - step) > 1e-6 * Math.abs(step) + 1e-9) return false;
  return true;
}

/** A frequency tick label: whole Hz, or kHz with one decimal from 10 kHz up. */
function hzLabel(hz: number): string {
  return hz >= 10000 ? `${(hz / 1000).toFixed(1)}k` : `${Math.round(hz)}`;
}

/**
 * The frequency axis of rows at uneven frequencies (mel bands): the rows are placed evenly (as the model sees them)
 * and about `ticks` of them are labelled with their own centre frequency in Hz.
 */
function rowFrequencyAxis(frequencyHz: ArrayLike<number>, ticks = 8): { domain: [number, number]; y: object } {
  const rows = frequencyHz.length;
  const values = [...new Set(Array.from({ length: ticks }, (_, k) => Math.round((k * (rows - 1)) / (ticks - 1))))];
  const labels = Object.fromEntries(values.map((row) => [row, hzLabel(frequencyHz[row])]));
  const domain = cellEdges(0, rows - 1, rows);
  return {
    domain,
    y: {
      scale: { domain, nice: false, zero: false },
      axis: { title: 'Frequency (Hz)', values, labelExpr: `${JSON.stringify(labels)}[datum.value]` },
    },
  };
}

/**
 * Axes (extent and encodings) of a time × frequency raster. `frequencyHz` (every row's centre, lowest row first), when
 * given, wins over `frequencyRange`: evenly spaced rows get a plain Hz axis over their range, uneven ones (mel bands)
 * an axis labelled at the rows' own centres.
 */
export function timeFrequencyAxes(
  grid: Grid,
  frequencyRange: readonly [number, number] = [0, 4000],
  timeRange?: readonly [number, number],
  frequencyHz?: ArrayLike<number>,
): { extent: RasterExtent; x: object; y: object } {
  const x =
    timeRange === undefined ? cellEdges(0, grid.cols - 1, grid.cols) : cellEdges(timeRange[0], timeRange[1], grid.cols);
  const xAxis = {
    scale: { domain: x, nice: false, zero: false },
    axis: { title: timeRange === undefined ? 'Time (frame)' : 'Time (s)', tickCount: 6 },
  };
  if (frequencyHz !== undefined && frequencyHz.length === grid.rows && grid.rows > 1 && !evenlySpaced(frequencyHz)) {
    const rowAxis = rowFrequencyAxis(frequencyHz);
    return { extent: { x, y: rowAxis.domain }, x: xAxis, y: rowAxis.y };
  }
  const [f0, f1] =
    frequencyHz !== undefined && frequencyHz.length === grid.rows && grid.rows > 1
      ? [frequencyHz[0], frequencyHz[grid.rows - 1]]
      : frequencyRange;
  const y = cellEdges(f0, f1, grid.rows);
  return {
    extent: { x, y },
    x: xAxis,
    y: { scale: { domain: y, nice: false, zero: false }, axis: { title: 'Frequency (Hz)', tickCount: 8 } },
  };
}

function checkRange(fn: string, name: string, range: readonly [number, number] | undefined): void {
  if (range === undefined) return;
  if (
    !Array.isArray(range) ||
    range.length !== 2 ||
    !Number.isFinite(range[0]) ||
    !Number.isFinite(range[1]) ||
    !(range[1] > range[0])
  ) {
    throw argumentError(fn, name, 'two finite numbers [first, last] with first < last', range);
  }
}

/** Puts shared axis encodings onto the first layer of a panel. */
export function withAxes(layers: object[], axes: { x: object; y: object }): object[] {
  const [first, ...rest] = layers as { encoding: { x: object; y: object } }[];
  return [
    {
      ...first,
      encoding: { ...first.encoding, x: { ...first.encoding.x, ...axes.x }, y: { ...first.encoding.y, ...axes.y } },
    },
    ...rest,
  ];
}

/**
 * The Vega-Lite spec of a spectrogram explanation.
 *
 * @throws WingbeatsError (SHAPE_MISMATCH) when the grids differ in shape, (INVALID_ARGUMENT) for bad ranges/options.
 * @example spectrogramExplanationSpec({ spectrogram: gridFromImage(x, [129, 113, 3]), attribution, timeRange: [0, 0.62] })
 */
export function spectrogramExplanationSpec(
  data: SpectrogramExplanationData,
  options: SpectrogramChartOptions = {},
): TopLevelSpec {
  const fn = 'spectrogramExplanationSpec';
  assertGrid(data.spectrogram, fn, 'data.spectrogram');
  assertGrid(data.attribution, fn, 'data.attribution');
  if (data.spectrogram.rows !== data.attribution.rows || data.spectrogram.cols !== data.attribution.cols) {
    throw argumentError(
      fn,
      'data.attribution',
      `of the spectrogram's shape ${data.spectrogram.rows} × ${data.spectrogram.cols}`,
      described(`${data.attribution.rows} × ${data.attribution.cols}`),
      'SHAPE_MISMATCH',
    );
  }
  checkRange(fn, 'data.frequencyRange', data.frequencyRange);
  checkRange(fn, 'data.timeRange', data.timeRange);
  const layout = options.layout ?? 'side-by-side';
  if (layout !== 'side-by-side' && layout !== 'overlay' && layout !== 'attribution-only')
    throw argumentError(fn, 'options.layout', "'side-by-side', 'overlay' or 'attribution-only'", layout);
  const opacity = options.opacity ?? 0.85;
  if (!(opacity >= 0 && opacity <= 1)) throw argumentError(fn, 'options.opacity', 'a number in [0, 1]', opacity);
  const axes = timeFrequencyAxes(data.spectrogram, data.frequencyRange, data.timeRange, data.frequencyHz);
  const attributionScale = resolveColorScale([data.attribution.values], options, fn);
  const inputScale = resolveColorScale(
    [data.spectrogram.values],
    {
      colormap: layout === 'overlay' ? 'gray' : (options.spectrogramColormap ?? 'viridis'),
    },
    fn,
  );
  const width = options.width ?? 320;
  const height = options.height ?? 240;
  const rowOrder = options.rowOrder;
  const attributionLabel = options.attributionLabel ?? 'Attribution';
  const title = data.title ?? explanationTitle(data);
  const head = {
    $schema: VEGA_LITE_SCHEMA,
    config: chartConfig(),
    title: data.subtitle !== undefined ? { text: title, subtitle: data.subtitle } : { text: title },
  };
  if (layout === 'attribution-only') {
    // The input is shown once elsewhere (e.g. once per recording in a report): one large attribution panel.
    return {
      ...head,
      width,
      height,
      layer: withAxes(
        rasterLayers(data.attribution, attributionScale, axes.extent, {
          legendTitle: attributionLabel,
          rowOrder,
          legendField: 'attribution',
        }),
        axes,
      ),
    } as TopLevelSpec;
  }
  if (layout === 'overlay') {
    return {
      ...head,
      width,
      height,
      layer: withAxes(
        [
          // The grey input gets its own colour bar when it is labelled (e.g. in dB), beside the attribution's.
          ...rasterLayers(data.spectrogram, inputScale, axes.extent, {
            legendTitle: options.spectrogramLabel ?? null,
            rowOrder,
            legendField: 'input',
          }),
          ...rasterLayers(data.attribution, attributionScale, axes.extent, {
            opacity,
            fadeLow: true,
            legendTitle: attributionLabel,
            rowOrder,
            legendField: 'attribution',
          }),
        ],
        axes,
      ),
      ...(options.spectrogramLabel === undefined
        ? {}
        : {
            resolve: { scale: { color: 'independent' } },
            // Two colour bars stacked beside the panel, each half as long, so the picture is no taller than the panel.
            config: {
              ...head.config,
              legend: { ...head.config.legend, gradientLength: Math.max(40, Math.floor(height / 2) - 32) },
            },
          }),
    } as TopLevelSpec;
  }
  return {
    ...head,
    hconcat: [
      {
        width,
        height,
        title: { text: 'Input', fontSize: 12, fontWeight: 500 },
        layer: withAxes(
          rasterLayers(data.spectrogram, inputScale, axes.extent, {
            legendTitle: options.spectrogramLabel ?? 'Input',
            rowOrder,
            legendField: 'input',
          }),
          axes,
        ),
      },
      {
        width,
        height,
        title: { text: attributionLabel, fontSize: 12, fontWeight: 500 },
        layer: withAxes(
          rasterLayers(data.attribution, attributionScale, axes.extent, {
            legendTitle: attributionLabel,
            rowOrder,
            legendField: 'attribution',
          }),
          axes,
        ),
      },
    ],
    resolve: { scale: { color: 'independent', x: 'independent', y: 'independent' }, legend: { color: 'independent' } },
  } as TopLevelSpec;
}
