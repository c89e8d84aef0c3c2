/**
 * Builds the HTML report of several attribution methods over input items: per item the recording, the model input,
 * the prediction of every classifier head with class names, and the explanations side by side. Used by `report` and
 * `demo` (charts are rendered to SVG with Vega, in Node and in the browser alike).
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import { isSpectrumShape, presetTimeRange } from '../render/explanation-spec.js';
import { psdExplanationSpec, linearFrequencies } from '../render/psd-chart.js';
import { heatmapRowSpec } from '../render/heatmap-row-chart.js';
import { gridFromImage } from '../render/grid.js';
import { renderChartSvg } from '../render/chart-svg.js';
import {
  renderReport,
  type ReportData,
  type ReportFigure,
  type ReportItem,
  type ReportPrediction,
} from '../render/html-report.js';
import type { FeaturePresetName } from '../signal/presets.js';
import { explainItems, type ExplainedItem, type JobSettings } from './explain-items.js';
import { modelJson, resultJson } from './result-json.js';
import { jsonFile, type OutputFile } from './output-files.js';
import { explainedItemSpec } from './explanation-files.js';
import { itemsToBatch, type InputItem } from './input-sources.js';

/** Settings of one report. */
export interface ExplanationReportSettings extends JobSettings {
  methods: readonly AttributionMethodName[];
  /** The preset the items were computed with (axes of the pictures). */
  preset?: FeaturePresetName;
  title: string;
  description?: string;
}

/** A picture of the model input alone (spectrum line or spectrogram). */
async function inputFigure(item: InputItem, preset: FeaturePresetName | undefined): Promise<ReportFigure> {
  if (isSpectrumShape(item.shape)) {
    const svg = await renderChartSvg(
      psdExplanationSpec(
        {
          spectrum: item.data,
          frequencies: linearFrequencies(item.shape[0], 4000),
          title: 'Model input: power spectrum',
          subtitle: item.name,
        },
        { height: 200 },
      ),
    );
    return {
      image: { svg },
      caption: `The model input${preset === undefined ? '' : ` (${preset})`}: Welch power spectral density in dB.`,
    };
  }
  const grid = gridFromImage(item.data, item.shape, { channels: 'mean' });
  const svg = await renderChartSvg(
    heatmapRowSpec(
      {
        panels: [{ title: 'spectrogram image', grid }],
        title: 'Model input',
        subtitle: item.name,
        frequencyRange: [0, 4000],
        timeRange: presetTimeRange(preset, item.shape[1]),
      },
      { colormap: 'viridis', legendTitle: 'Input' },
    ),
  );
  return {
    image: { svg },
    caption: `The model input${preset === undefined ? '' : ` (${preset})`}: the spectrogram image (mean over channels).`,
  };
}

/** Predictions of every head that ends in a softmax (or the explained head), with class names where known. */
function headPredictions(
  model: ExplainableModel,
  x: tf.Tensor,
  explainedHead: number,
  target: number,
): ReportPrediction[][] {
  const heads = model.outputNames.map((_, i) => i).filter((i) => i === explainedHead || model.endsInSoftmax(i));
  const perHead = heads.map((i) =>
    tf.tidy(() => model.run(x, { outputIndex: i, scores: 'probabilities' }).arraySync()),
  );
  return Array.from({ length: x.shape[0] }, (_, e) =>
    heads.map((h, k) => {
      const probabilities = perHead[k][e];
      const labels = model.labels(h) ?? probabilities.map((_, c) => `class ${c}`);
      return {
        head: model.outputNames[h],
        classNames: labels,
        probabilities,
        ...(h === explainedHead ? { target } : {}),
      };
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
    perMethod.set(method, await explainItems(model, items, { ...settings, method, onProgress: undefined }));
    settings.onProgress?.(k + 1, settings.methods.length);
  }
  const head = model.resolveOutput('report', settings.output);
  const labels = model.labels(head);
  const first = perMethod.get(settings.methods[0]) as ExplainedItem[];
  const x = itemsToBatch(items);
  let predictions: ReportPrediction[][];
  try {
    predictions = headPredictions(model, x, head, 0).map((list, e) =>
      list.map((p) => (p.target === undefined ? p : { ...p, target: first[e].target })),
    );
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
      explanations.push({
        image: { svg },
        caption: `${attributionMethods[method].title}: ${attributionMethods[method].summary}.${gap}`,
      });
      results.push({ method, ...resultJson(row, item.recording !== undefined) });
    }
    reportItems.push({
      name: item.name,
      waveform:
        item.recording === undefined
          ? undefined
          : { samples: item.recording.samples, sampleRate: item.recording.sampleRate },
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
        ...Object.fromEntries(
          Object.entries(model.info).filter(([, v]) => typeof v === 'string' || typeof v === 'number') as [
            string,
            string | number,
          ][],
        ),
      },
    },
    items: reportItems,
    generatedAt: new Date().toISOString(),
  };
  return { report, results };
}

/**
 * The `report` job: the report of {@link buildExplanationReport} as `report.html`, and its JSON document
 * (`{model, methods, preset?, results}`) as `report.json`.
 */
export async function reportJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: ExplanationReportSettings,
): Promise<{ document: Record<string, unknown>; files: OutputFile[] }> {
  const { report, results } = await buildExplanationReport(model, items, settings);
  const document = {
    model: modelJson(model, settings.output),
    methods: settings.methods,
    ...(settings.preset === undefined ? {} : { preset: settings.preset }),
    results,
  };
  return { document, files: [{ name: 'report.html', text: renderReport(report) }, jsonFile('report.json', document)] };
}
