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
 * Renders a Vega-Lite spec to a standalone SVG document string.
 *
 * @throws WingbeatsError (INVALID_ARGUMENT) when the spec does not compile or render.
 * @example const svg = await renderChartSvg(psdExplanationSpec(data));
 */
export async function renderChartSvg(spec: TopLevelSpec, options: RenderSvgOptions = {}): Promise<string> {
  const vgSpec = compileChart(spec, options);
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
