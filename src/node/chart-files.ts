/**
 * Node-only: writes a chart as SVG / PNG / Vega-Lite JSON files and a report as an HTML file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { WingbeatsError, argumentError } from '../util/errors.js';
import { renderChartSvg } from '../render/chart-svg.js';
import { svgToPng, type SvgToPngOptions } from './chart-png.js';
import { renderReport, type ReportData } from '../render/html-report.js';

/** File formats of a chart: the SVG picture, a PNG picture, and the Vega-Lite spec (for vega-embed / the editor). */
export type ChartFileFormat = 'svg' | 'png' | 'json';

/** Options of {@link writeChartFiles}. */
export interface WriteChartOptions extends SvgToPngOptions {
  /** Formats to write (default `['svg', 'png']`). */
  formats?: readonly ChartFileFormat[];
}

async function write(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  } catch (error) {
    throw new WingbeatsError('IO', `Could not write '${path}': ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Writes `basePath.svg`, `basePath.png` and/or `basePath.vl.json`; returns the paths written.
 * @throws WingbeatsError (IO) when a file cannot be written, (INVALID_ARGUMENT) for an unknown format.
 */
export async function writeChartFiles(
  spec: TopLevelSpec,
  basePath: string,
  options: WriteChartOptions = {},
): Promise<string[]> {
  const formats = options.formats ?? ['svg', 'png'];
  for (const f of formats)
    if (f !== 'svg' && f !== 'png' && f !== 'json')
      throw argumentError('writeChartFiles', 'options.formats', "a list of 'svg', 'png', 'json'", f);
  const written: string[] = [];
  if (formats.includes('json')) {
    await write(`${basePath}.vl.json`, `${JSON.stringify(spec)}\n`);
    written.push(`${basePath}.vl.json`);
  }
  if (formats.includes('svg') || formats.includes('png')) {
    const svg = await renderChartSvg(spec);
    if (formats.includes('svg')) {
      await write(`${basePath}.svg`, svg);
      written.push(`${basePath}.svg`);
    }
    if (formats.includes('png')) {
      await write(`${basePath}.png`, svgToPng(svg, options));
      written.push(`${basePath}.png`);
    }
  }
  return written;
}

/** Writes the self-contained HTML report to `path` (directories created). */
export async function writeReportFile(report: ReportData, path: string): Promise<void> {
  await write(path, renderReport(report));
}
