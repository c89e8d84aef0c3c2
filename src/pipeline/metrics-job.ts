/** The `evaluate --metrics` job: explanation metrics of attribution methods → a typed document with plain readings. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import {
  ExplanationMetricName,
  MetricValue,
  explanationMetrics,
  explanationMetricsOf,
} from '../evaluation/explanation-metrics.js';
import type { PixelStatistics } from '../evaluation/pixel-statistics.js';
import type { CurveSummary } from '../evaluation/perturbation-curves.js';
import { requestOptions, type JobSettings, runsOn } from './explain-items.js';
import { withItemBatch, type InputItem } from './input-sources.js';
import { jsonFile, type OutputFile } from './output-files.js';
import { modelJson } from './result-json.js';

/** Settings of a metrics evaluation. */
export interface MetricsSettings extends JobSettings {
  methods: AttributionMethodName[];
  metrics: ExplanationMetricName[];
  /** Random orders of deletion, insertion and ROAD. */
  randomSeeds: number;
  /** Deletion and insertion: fraction of all positions in total and per step. */
  fraction: number;
  flipStep: number;
  perturbations: number;
  noiseStdev: number;
  normalize: boolean;
  radius: number;
  subsetFraction: number;
  statistics?: PixelStatistics | 'auto';
}

/** The `evaluate --metrics --json` document. */
export interface MetricsDocument {
  command: 'evaluate';
  model: Record<string, unknown>;
  head: string;
  warnings: string[];
  methods: AttributionMethodName[];
  metrics: ExplanationMetricName[];
  /** Per metric: what is good, against what, and the perturbation used. */
  reading: Record<string, string>;
  /** Per metric: `'lower'` or `'higher'` is better. */
  better: Record<string, string>;
  settings: {
    perturbations: number;
    noiseStdev: number;
    normalize: boolean;
    radius: number;
    subsetFraction: number;
    fraction: number;
    step: number;
    randomSeeds: number;
  };
  seed: number;
  scores: string;
  results: {
    input: string;
    head: string;
    target: number;
    targetName?: string;
    warnings: string[];
    /** `metrics[method][metric]`: a number, or a curve summary for deletion, insertion and ROAD. */
    metrics: Record<string, Record<string, MetricValue>>;
  }[];
}

/**
 * Every chosen metric of every chosen method on the items; returns the document and `evaluate.json`.
 * @example const { document } = await metricsJob(model, items, { methods: ['saliency'], metrics: ['deletion'], ... });
 */
export async function metricsJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: MetricsSettings,
): Promise<{ document: MetricsDocument; files: OutputFile[] }> {
  const result = await withItemBatch(items, settings.baselines, (x, baseline) =>
    explanationMetricsOf(runsOn(model, settings), x, {
      methods: settings.methods,
      metrics: settings.metrics,
      methodOptions: { ...settings.methodOptions, baseline },
      perturbations: settings.perturbations,
      noiseStdev: settings.noiseStdev,
      normalize: settings.normalize,
      radius: settings.radius,
      subsetFraction: settings.subsetFraction,
      fraction: settings.fraction,
      step: settings.flipStep,
      randomSeeds: settings.randomSeeds,
      statistics: settings.statistics ?? 'auto',
      seed: settings.seed,
      ...requestOptions(settings),
    }),
  );
  const head = model.outputNames[model.resolveOutput('evaluate', settings.output)];
  const document: MetricsDocument = {
    command: 'evaluate',
    model: modelJson(model, settings.output),
    head,
    warnings: [...new Set(items.flatMap((i) => i.warnings))],
    methods: settings.methods,
    metrics: result.metrics,
    reading: result.readings,
    better: Object.fromEntries(result.metrics.map((m) => [m, explanationMetrics[m].better])),
    settings: {
      perturbations: settings.perturbations,
      noiseStdev: settings.noiseStdev,
      normalize: settings.normalize,
      radius: settings.radius,
      subsetFraction: settings.subsetFraction,
      fraction: settings.fraction,
      step: settings.flipStep,
      randomSeeds: settings.randomSeeds,
    },
    seed: result.seed,
    scores: settings.scores ?? 'logits',
    results: result.results.map((r, i) => ({
      input: items[i].name,
      head,
      target: r.target,
      ...(r.targetName === undefined ? {} : { targetName: r.targetName }),
      warnings: items[i].warnings,
      metrics: r.metrics,
    })),
  };
  return { document, files: [jsonFile('evaluate.json', document)] };
}

function valueText(metric: ExplanationMetricName, value: MetricValue): string {
  const number = (v: number): string => (Number.isFinite(v) ? v.toPrecision(4) : 'n/a');
  if (typeof value === 'number') return number(value);
  const curve = value as CurveSummary;
  const better = curve.overRandom > 0 ? 'better' : 'no better';
  return `AUC ${number(curve.auc)} (random ${number(curve.random.mean)} ± ${number(curve.random.std)}: ${better} than random)`;
}

/** Per input and method, one line per metric with its value and which way is better; the readings at the end. */
export function metricsSummary(document: MetricsDocument): string {
  const lines = document.results.map((r) => {
    const methods = Object.entries(r.metrics).map(([method, values]) => {
      const metricLines = document.metrics.map(
        (m) => `    ${m}: ${valueText(m, values[m])} (${explanationMetrics[m].better} is better)`,
      );
      return `  ${method}\n${metricLines.join('\n')}`;
    });
    return `${r.input}: head '${r.head}', target ${r.targetName ?? r.target}\n${methods.join('\n')}\n`;
  });
  return `${lines.join('')}\n${document.metrics.map((m) => document.reading[m]).join('\n')}\n`;
}
