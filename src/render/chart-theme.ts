/**
 * The look shared by every chart (fonts, title, axes) and the standard explanation title, so the CLI, the HTML
 * report and the browser page draw the same pictures.
 */
import type { Config } from 'vega-lite';

/** Font stack of every chart (DejaVu Sans is what a bare Linux box has; browsers pick the first they know). */
export const CHART_FONT = 'Helvetica Neue, Helvetica, Arial, DejaVu Sans, sans-serif';

/** Vega-Lite schema URL written into specs (an identifier only: nothing is fetched from it). */
/** Colour-blind-safe line colours (Okabe & Ito, 2008), yellow left out, black last; one per method in line charts. */
export const LINE_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#56B4E9', '#E69F00', '#000000'];

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Vega-Lite `config` of every chart. */
export function chartConfig(): Config {
  return {
    font: CHART_FONT,
    background: 'white',
    padding: 8,
    view: { stroke: '#c8c8c8' },
    title: { fontSize: 14, fontWeight: 600, anchor: 'start', offset: 10, subtitleFontSize: 11, subtitleColor: '#555' },
    axis: {
      labelFontSize: 11,
      titleFontSize: 12,
      titleFontWeight: 500,
      gridColor: '#ececec',
      domainColor: '#888',
      tickColor: '#888',
      labelColor: '#333',
      titleColor: '#222',
    },
    legend: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 500, gradientLength: 160, gradientThickness: 12 },
    header: { labelFontSize: 12, titleFontSize: 12 },
    concat: { spacing: 18 },
  };
}

/** Parts of an explanation title. */
export interface ExplanationTitleParts {
  /** Target class name (or label). */
  className?: string;
  /** Score of the target class (probability or logit). */
  score?: number;
  /** Symbol of the score, default `'p'` (use `'logit'` for logits). */
  scoreLabel?: string;
  /** Attribution method name. */
  method?: string;
}

/** Formats a score with 2 significant decimals (`0.93`, `0.0042`, `12.3`). */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return String(score);
  const a = Math.abs(score);
  if (a !== 0 && a < 0.01) return score.toExponential(1);
  if (a >= 100) return score.toFixed(0);
  if (a >= 10) return score.toFixed(1);
  return score.toFixed(2);
}

/** "Ae_aegypti — p = 0.93 — saliency" (parts that are missing are left out). */
export function explanationTitle(parts: ExplanationTitleParts): string {
  const out: string[] = [];
  if (parts.className !== undefined && parts.className !== '') out.push(parts.className);
  if (parts.score !== undefined) out.push(`${parts.scoreLabel ?? 'p'} = ${formatScore(parts.score)}`);
  if (parts.method !== undefined && parts.method !== '') out.push(parts.method);
  return out.join(' — ');
}
