/**
 * Renders a Vega-Lite spec to an SVG string with Vega's headless path (`renderer: 'none'` + `view.toSVG()`):
 * no canvas, no DOM, the same code in Node and in the browser.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { WingbeatsError, safeMessageText } from '../util/errors.js';

/** Options of {@link renderChartSvg}. */
export interface RenderSvgOptions {
  /** Scale factor of the SVG's width/height attributes (the drawing is vector). Default 1. */
  scale?: number;
  /** Receives Vega / Vega-Lite warnings (default: dropped). */
  onWarning?: (message: string) => void;
}

/** Advance widths in em of DejaVu Sans (the PNGs' font; browsers' Helvetica is a little narrower), by character class. */
function characterWidth(c: string): number {
  if (c === ' ' || /[.,:;'|!iIjlft()[\]{}\/\-]/.test(c)) return 0.34;
  if (/[mwMW%@]/.test(c)) return 0.92;
  if (/[0-9]/.test(c)) return 0.64;
  if (/[A-Z]/.test(c)) return 0.72;
  return 0.6;
}

/**
 * Text width for Vega's layout when no canvas can measure it (Node, workers): Vega's own guess is 0.8 em per character,
 * which reserves a third more room than labels take and leaves wide empty margins beside legends and axes. Estimated per
 * character instead (bold text 8 % wider); a canvas, where one exists, still measures.
 */
function estimateTextWidth(item: { text?: unknown; fontSize?: number; fontWeight?: unknown }, text?: unknown): number {
  const value = text ?? item.text;
  const lines = Array.isArray(value) ? value.map(String) : [String(value ?? '')];
  const size = typeof item.fontSize === 'number' ? item.fontSize : 11;
  const weight = item.fontWeight === 'bold' || Number(item.fontWeight) >= 600 ? 1.08 : 1;
  let widest = 0;
  for (const line of lines) {
    let em = 0;
    for (const c of line) em += characterWidth(c);
    widest = Math.max(widest, em);
  }
  return Math.ceil(widest * size * weight);
}

function useTextEstimate(): void {
  // Vega exports textMetrics at run time; its typings do not declare it.
  const metrics = (vega as unknown as { textMetrics: { width: unknown; estimateWidth: unknown } }).textMetrics;
  if (metrics.width === metrics.estimateWidth) metrics.width = estimateTextWidth;
}

function quietLogger(onWarning?: (message: string) => void) {
  let level = 2;
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: readonly unknown[]) {
      throw new WingbeatsError('INVALID_ARGUMENT', `Chart could not be rendered: ${args.map(String).join(' ')}`);
    },
    warn(...args: readonly unknown[]) {
      onWarning?.(args.map(String).join(' '));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/** Compiles a Vega-Lite spec to a Vega spec (throws WingbeatsError on an invalid spec). */
export function compileChart(spec: TopLevelSpec, options: { onWarning?: (message: string) => void } = {}): vega.Spec {
  try {
    return compile(spec, { logger: quietLogger(options.onWarning) as never }).spec;
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError('INVALID_ARGUMENT', `Chart spec could not be compiled: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Starts the ids of chart definitions (gradients, clip paths) from zero again. Called at the start of a document, so
 * its charts' SVG is the same whatever the process drew before; ids stay unique within the document.
 */
export function restartChartIds(): void {
  vega.resetSVGDefIds();
}

/**
 * Renders a Vega-Lite spec to a standalone SVG document string.
 *
 * @throws WingbeatsError (INVALID_ARGUMENT) when the spec does not compile or render.
 * @example const svg = await renderChartSvg(psdExplanationSpec(data));
 */
export async function renderChartSvg(spec: TopLevelSpec, options: RenderSvgOptions = {}): Promise<string> {
  const vgSpec = compileChart(spec, options);
  useTextEstimate();
  const view = new vega.View(vega.parse(vgSpec), {
    renderer: 'none',
    logger: quietLogger(options.onWarning) as never,
  });
  try {
    // Names (recordings, classes) reach titles and labels: control characters are not XML, so they are written as
    // visible escapes, and a valid input is never refused for its name.
    return safeMessageText(await view.toSVG(options.scale ?? 1), Number.POSITIVE_INFINITY);
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError('INVALID_ARGUMENT', `Chart could not be rendered: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    view.finalize();
  }
}
