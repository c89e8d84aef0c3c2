/**
 * Builds the HTML report of several attribution methods over input items: per item the recording, the model input,
 * the prediction of every classifier head with class names, and the explanations side by side. Used by `report` and
 * `demo`. Node only (it renders charts to SVG in-process).
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import type { TargetOption } from '../execution/targets.js';
import { attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import { isSpectrumShape, presetTimeRange } from '../render/explanation-spec.js';
import { psdExplanationSpec, linearFrequencies } from '../render/psd-chart.js';
import { heatmapRowSpec } from '../render/heatmap-row-chart.js';
import { gridFromImage } from '../render/grid.js';
import { renderChartSvg } from '../render/chart-svg.js';
import type { ReportData, ReportFigure, ReportItem, ReportPrediction } from '../render/html-report.js';
import type { FeaturePresetName } from '../signal/presets.js';
import { explainItems, type ExplainedItem } from './explain-run.js';
import { resultJson } from './explain-json.js';
import { explainedItemSpec } from './explanation-files.js';
import { itemsToBatch, type InputItem } from './read-inputs.js';

/** Settings of one report. */
export interface ExplanationReportSettings {
  methods: readonly AttributionMethodName[];
  target?: TargetOption;
  output?: string | number;
  scores?: ScoreKind;
  seed?: number;
  steps?: number;
  samples?: number;
  /** The preset the items were computed with (axes of the pictures). */
  preset?: FeaturePresetName;
  title: string;
  description?: string;
  /** Called after each method with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** A picture of the model input alone (spectrum line or spectrogram). */
async function inputFigure(item: InputItem, preset: FeaturePresetName | undefined): Promise<ReportFigure> {
  if (isSpectrumShape(item.shape)) {
    const svg = await renderChartSvg(psdExplanationSpec({ spectrum: item.data, frequencies: linearFrequencies(item.shape[0], 4000), title: 'Model input: power spectrum', subtitle: item.name }, { height: 200 }));
    return { image: { svg }, caption: `The model input${preset === undefined ? '' : ` (${preset})`}: Welch power spectral density in dB.` };
  }
  const grid = gridFromImage(item.data, item.shape, { channels: 'mean' });
  const svg = await renderChartSvg(
    heatmapRowSpec({ panels: [{ title: 'spectrogram image', grid }], title: 'Model input', subtitle: item.name, frequencyRange: [0, 4000], timeRange: presetTimeRange(preset, item.shape[1]) }, { colormap: 'viridis', legendTitle: 'Input' }),
  );
  return { image: { svg }, caption: `The model input${preset === undefined ? '' : ` (${preset})`}: the spectrogram image (mean over channels).` };
}

/** Predictions of every head that ends in a softmax (or the explained head), with class names where known. */
function headPredictions(model: ExplainableModel, x: tf.Tensor, explainedHead: number, target: number): ReportPrediction[][] {
  const heads = model.outputNames.map((_, i) => i).filter((i) => i === explainedHead || model.endsInSoftmax(i));
  const perHead = heads.map((i) => tf.tidy(() => model.run(x, { outputIndex: i, scores: 'probabilities' }).arraySync()));
  return Array.from({ length: x.shape[0] }, (_, e) =>
    heads.map((h, k) => {
      const probabilities = perHead[k][e];
      const labels = model.labels(h) ?? probabilities.map((_, c) => `class ${c}`);
      return { head: model.outputNames[h], classNames: labels, probabilities, ...(h === explainedHead ? { target } : {}) };
    }),
  );
}

/** Explains `items` with every method and assembles the report data and the JSON results. */
export async function buildExplanationReport(
  model: ExplainableModel,
  items: InputItem[],
  settings: ExplanationReportSettings,
): Promise<{ report: ReportData; results: Record<string, unknown>[] }> {
  const perMethod = new Map<string, ExplainedItem[]>();
  for (const [k, method] of settings.methods.entries()) {
    perMethod.set(method, await explainItems(model, items, { method, target: settings.target, output: settings.output, scores: settings.scores, seed: settings.seed ?? 1, samples: settings.samples, steps: settings.steps }));
    settings.onProgress?.(k + 1, settings.methods.length);
  }
  const head = model.resolveOutput('report', settings.output);
  const labels = model.labels(head);
  const first = perMethod.get(settings.methods[0]) as ExplainedItem[];
  const x = itemsToBatch(items);
  let predictions: ReportPrediction[][];
  try {
    predictions = headPredictions(model, x, head, 0).map((list, e) => list.map((p) => (p.target === undefined ? p : { ...p, target: first[e].target })));
  } finally {
    x.dispose();
  }
  const reportItems: ReportItem[] = [];
  const results: Record<string, unknown>[] = [];
  for (const [i, item] of items.entries()) {
    const explanations: ReportFigure[] = [];
    for (const method of settings.methods) {
      const row = (perMethod.get(method) as ExplainedItem[])[i];
      const svg = await renderChartSvg(explainedItemSpec(row, { model, head, method, preset: settings.preset }));
      const gap = row.delta === undefined ? '' : ` Completeness gap ${row.delta.toExponential(1)}.`;
      explanations.push({ image: { svg }, caption: `${attributionMethods[method].title}: ${attributionMethods[method].summary}.${gap}` });
      results.push({ method, ...resultJson(row, item.recording !== undefined) });
    }
    reportItems.push({
      name: item.name,
      waveform: item.recording === undefined ? undefined : { samples: item.recording.samples, sampleRate: item.recording.sampleRate },
      features: await inputFigure(item, settings.preset),
      predictions: predictions[i],
      explanations,
    });
  }
  const report: ReportData = {
    title: settings.title,
    model: {
      name: model.name,
      description: settings.description,
      details: {
        input: `[${(model.inputShape ?? []).join(', ')}]`,
        heads: model.outputNames.join(', '),
        explained: `${model.outputNames[head]} (${settings.scores ?? 'logits'})`,
        ...(labels === undefined ? {} : { classes: labels.join(', ') }),
        methods: settings.methods.join(', '),
        ...Object.fromEntries(Object.entries(model.info).filter(([, v]) => typeof v === 'string' || typeof v === 'number') as [string, string | number][]),
      },
    },
    items: reportItems,
    generatedAt: new Date().toISOString(),
  };
  return { report, results };
}
