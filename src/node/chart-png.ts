/**
 * Node-only: SVG → PNG with @resvg/resvg-js (system fonts), and chart spec → PNG. Never import from browser code.
 */
import { Resvg } from '@resvg/resvg-js';
import type { TopLevelSpec } from 'vega-lite';
import { WingbeatsError, argumentError } from '../util/errors.js';
import { renderChartSvg } from '../render/chart-svg.js';

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Pixel-density factor: the PNG is `scale ×` the SVG's width and height. Default 2 (sharp on screens and slides). */
  scale?: number;
  /** Font used for generic `sans-serif` and unknown families. Default `'DejaVu Sans'`. */
  fontFamily?: string;
  /** Background colour; default the SVG's own (charts have a white background). */
  background?: string;
}

/**
 * Rasterises an SVG document to PNG bytes.
 * @throws WingbeatsError (INVALID_ARGUMENT) for a bad scale or SVG that resvg cannot parse.
 */
export function svgToPng(svg: string, options: SvgToPngOptions = {}): Uint8Array {
  const scale = options.scale ?? 2;
  if (!(scale > 0) || !Number.isFinite(scale))
    throw argumentError('svgToPng', 'options.scale', 'a positive number', scale);
  const family = options.fontFamily ?? 'DejaVu Sans';
  try {
    const resvg = new Resvg(svg, {
      fitTo: { mode: 'zoom', value: scale },
      background: options.background,
      font: { loadSystemFonts: true, defaultFontFamily: family, sansSerifFamily: family },
      imageRendering: 1,
    });
    return new Uint8Array(resvg.render().asPng());
  } catch (error) {
    throw new WingbeatsError('INVALID_ARGUMENT', `SVG could not be rasterised: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Renders a Vega-Lite spec to PNG bytes (SVG via Vega, then resvg). */
export async function renderChartPng(spec: TopLevelSpec, options: SvgToPngOptions = {}): Promise<Uint8Array> {
  return svgToPng(await renderChartSvg(spec), options);
}
