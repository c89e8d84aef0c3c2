/** The `uncertainty` job: explanations under Monte-Carlo dropout → quantile, mean and std maps as a typed document and charts. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import { attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import type { FeatureAxes } from '../signal/feature-axes.js';
import {
  mcDropoutExplanations,
  type McDropoutExample,
  type SampleSpread,
} from '../uncertainty/mc-dropout-explanations.js';
import { quantileMaps, type QuantileMethod } from '../uncertainty/quantile-maps.js';
import { heatmapRowSpec } from '../render/heatmap-row-chart.js';
import type { Grid } from '../render/grid.js';
import { requestOptions, type JobSettings, runsOn } from './explain-items.js';
import { withItemBatch, type InputItem } from './input-sources.js';
import { nestArray } from './json-values.js';
import { jsonFile, type OutputFile } from './output-files.js';
import { modelJson } from './result-json.js';

/** Settings of an uncertainty run. */
export interface UncertaintySettings extends JobSettings {
  method: AttributionMethodName;
  /** Monte-Carlo samples. */
  samples: number;
  quantiles: number[];
  quantileMethod: QuantileMethod;
  /** Include every sample's heatmap in the document. */
  keepSamples?: boolean;
}

/** One input of the `uncertainty --json` document (maps nested in the heatmap's shape). */
export interface UncertaintyResult {
  input: string;
  /** The explained head. */
  head: string;
  /** Warnings about the input. */
  warnings: string[];
  /** Frequency (Hz) of every bin and time (s) of every frame, when known. */
  axes?: FeatureAxes;
  target: number;
  targetName?: string;
  quantiles: number[];
  quantileMaps: unknown[];
  mean: unknown;
  std: unknown;
  predictions: SampleSpread;
  probabilities?: SampleSpread;
  samples?: unknown[];
}

/** The `uncertainty --json` document. */
export interface UncertaintyDocument {
  command: 'uncertainty';
  model: Record<string, unknown>;
  /** The explained head. */
  head: string;
  /** Every distinct warning about the inputs. */
  warnings: string[];
  method: AttributionMethodName;
  /** What the maps summarise: `'heatmap'` (relevance 0–1) or `'signed'` (attributions summed over channels). */
  maps: 'heatmap' | 'signed';
  samples: number;
  seed: number;
  scores: string;
  quantileMethod: QuantileMethod;
  heatmapShape: number[];
  /** The engines that ran the passes (`'onnx'`, `'tfjs'` or `'onnx+tfjs'`). */
  engine: string;
  results: UncertaintyResult[];
}

function quantileTitle(q: number): string {
  return q === 0.5 ? 'median (q50)' : `q${Math.round(q * 1000) / 10}`;
}

function charts(
  document: UncertaintyDocument,
  examples: McDropoutExample[],
  maps: Float64Array[][],
  items: InputItem[],
): OutputFile[] {
  const shape = document.heatmapShape;
  const grid = (values: ArrayLike<number>): Grid =>
    shape.length >= 2
      ? { values, rows: shape[0], cols: shape.slice(1).reduce((a, b) => a * b, 1) }
      : { values, rows: 1, cols: shape[0] };
  const signed = document.maps === 'signed';
  return examples.flatMap((example, i): OutputFile[] => {
    const suffix = examples.length === 1 ? '' : `-${i}`;
    const subtitle = `target ${example.targetName ?? example.target}; ${document.samples} samples, ${document.quantileMethod} quantiles`;
    const axes = items[i].axes;
    // The input's own axes (the recipe's bins, mel band centres, hop): rows of a 2-D input at their centres.
    const lowFirst = axes !== undefined && axes.frequencyHz[0] < axes.frequencyHz[axes.frequencyHz.length - 1];
    const ranges = {
      ...(axes === undefined
        ? {}
        : { frequencyRange: [Math.min(...axes.frequencyHz), Math.max(...axes.frequencyHz)] as [number, number] }),
      ...(axes === undefined || shape.length < 2
        ? {}
        : { frequencyHz: lowFirst ? axes.frequencyHz : [...axes.frequencyHz].reverse() }),
      ...(axes?.timeS === undefined
        ? {}
        : { timeRange: [axes.timeS[0], axes.timeS[axes.timeS.length - 1]] as [number, number] }),
    };
    const maxStd = Math.max(...example.std, 0);
    const panels = [
      ...document.results[i].quantiles.map((q, k) => ({ title: quantileTitle(q), grid: grid(maps[i][k]) })),
      { title: 'mean', grid: grid(example.mean) },
    ];
    return [
      {
        name: `quantile-maps${suffix}`,
        chart: () =>
          heatmapRowSpec(
            {
              panels,
              title: `${document.method} under Monte-Carlo dropout: ${items[i].name}`,
              subtitle: `${subtitle}${signed ? '; signed attributions summed over channels (red for the class, blue against it)' : '; relevance 0–1 per sample'}`,
              ...ranges,
            },
            { legendTitle: signed ? 'Attribution' : 'Relevance', rowOrder: lowFirst ? 'low-first' : 'high-first' },
          ),
      },
      // The standard deviation gets its own colour scale from 0 to its largest value (it is much smaller than the
      // maps), and a panel as large as its title, so the picture has no empty space.
      {
        name: `std-map${suffix}`,
        chart: () =>
          heatmapRowSpec(
            {
              panels: [{ title: 'std', grid: grid(example.std) }],
              title: `Std over ${document.samples} samples: ${items[i].name}`,
              subtitle,
              ...ranges,
            },
            {
              legendTitle: 'Std',
              rowOrder: lowFirst ? 'low-first' : 'high-first',
              domain: [0, maxStd > 0 ? maxStd : 1],
              width: shape.length >= 2 ? 520 : 620,
              height: shape.length >= 2 ? 300 : undefined,
            },
          ),
      },
    ];
  });
}

/**
 * Runs `settings.method` under Monte-Carlo dropout on every item and summarises the heatmaps; returns the document and
 * the files (`uncertainty.json`, per input `quantile-maps[-i]` and `std-map[-i]` charts).
 * @example const { document } = await uncertaintyJob(model, items, { method: 'saliency', samples: 100, quantiles: [0.5], quantileMethod: 'exact', seed: 0 });
 */
export async function uncertaintyJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: UncertaintySettings,
): Promise<{ document: UncertaintyDocument; files: OutputFile[] }> {
  // Signed methods keep their sign: quantiles of the attributions summed over channels, on a diverging scale.
  const maps = attributionMethods[settings.method].signed ? 'signed' : 'heatmap';
  const mc = await withItemBatch(items, settings.baselines, (x, baseline) =>
    mcDropoutExplanations(runsOn(model, settings), x, {
      methodOptions: { ...settings.methodOptions, baseline },
      method: settings.method,
      samples: settings.samples,
      seed: settings.seed,
      keepSamples: true,
      maps,
      ...requestOptions(settings),
    }),
  );
  const shape = mc.heatmapShape;
  const nest = (values: ArrayLike<number>): unknown => nestArray(values, shape);
  const summaries = mc.examples.map((example) =>
    quantileMaps(example.samples as Float32Array[], settings.quantiles, { method: settings.quantileMethod }),
  );
  const document: UncertaintyDocument = {
    command: 'uncertainty',
    model: modelJson(model, settings.output),
    head: mc.output,
    warnings: [...new Set(items.flatMap((i) => i.warnings))],
    method: settings.method,
    maps,
    samples: settings.samples,
    seed: mc.seed,
    scores: mc.scores,
    quantileMethod: settings.quantileMethod,
    heatmapShape: shape,
    engine: mc.engine,
    results: mc.examples.map((example, i) => ({
      input: items[i].name,
      head: mc.output,
      warnings: items[i].warnings,
      ...(items[i].axes === undefined ? {} : { axes: items[i].axes }),
      target: example.target,
      ...(example.targetName === undefined ? {} : { targetName: example.targetName }),
      quantiles: settings.quantiles,
      quantileMaps: summaries[i].maps.map(nest),
      mean: nest(example.mean),
      std: nest(example.std),
      predictions: { mean: example.predictions.mean, std: example.predictions.std },
      ...(example.probabilities === undefined ? {} : { probabilities: example.probabilities }),
      ...(settings.keepSamples === true ? { samples: (example.samples as Float32Array[]).map(nest) } : {}),
    })),
  };
  const files = charts(
    document,
    mc.examples,
    summaries.map((s) => s.maps),
    items,
  );
  return { document, files: [jsonFile('uncertainty.json', document), ...files] };
}

/** One line per input: target, its score's mean ± std under dropout, and the mean std of the heatmap. */
export function uncertaintySummary(document: UncertaintyDocument): string {
  return document.results
    .map((r) => {
      const spread = r.probabilities ?? r.predictions;
      const kind = r.probabilities === undefined ? 'score' : 'probability';
      const stds = [r.std].flat(Infinity) as number[];
      const meanStd = stds.reduce((a, b) => a + b, 0) / stds.length;
      return `${r.input}: target ${r.targetName ?? r.target}, ${kind} ${spread.mean[r.target].toFixed(4)} ± ${spread.std[r.target].toFixed(4)} over ${document.samples} samples; mean heatmap std ${meanStd.toFixed(4)}\n`;
    })
    .join('');
}
