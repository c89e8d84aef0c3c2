/**
 * Builds the HTML report of several attribution methods over input items: per item the recording, the model input,
 * the prediction of every classifier head with class names, and the explanations side by side. Used by `report` and
 * `demo` (charts are rendered to SVG with Vega, in Node and in the browser alike).
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import {
  inputLevels,
  isSpectrumShape,
  presetTimeRange,
  recipeFrequencies,
  recipeRowOrder,
} from '../render/explanation-spec.js';
import { psdExplanationSpec, linearFrequencies } from '../render/psd-chart.js';
import { heatmapRowSpec } from '../render/heatmap-row-chart.js';
import { gridFromImage } from '../render/grid.js';
import { renderChartSvg, restartChartIds } from '../render/chart-svg.js';
import {
  renderReport,
  type ReportData,
  type ReportFigure,
  type ReportItem,
  type ReportPrediction,
  type ReportTable,
} from '../render/html-report.js';
import { audioDataUrl } from '../render/audio-data-url.js';
import { listenableAudio, type AudioJson, type AudioSettings } from './listenable-audio.js';
import { audioPartCaption } from './listening-players.js';
import { formatFrequencyBands } from '../summary/frequency-bands.js';
import type { FeaturePresetName } from '../signal/presets.js';
import { explainItems, type ExplainedItem, type JobSettings } from './explain-items.js';
import type { ContrastOption } from '../attribution/contrast.js';
import { itemFrequencyBands, itemRelativeGap, modelJson, resultJson } from './result-json.js';
import { jsonFile, type OutputFile } from './output-files.js';
import { explainedItemSpec } from './explanation-files.js';
import { itemsToBatch, type InputItem } from './input-sources.js';
import { unreadFilesSections, type UnreadFile } from './unread-files.js';
import { explanationCaptionText } from './explanation-caption.js';

/** The two players of an explanation: what the model used and what it ignored, with what the model makes of each. */
function audioPlayers(
  audio: AudioJson,
  parts: { used: Float32Array; ignored: Float32Array; sampleRate: number },
): { label: string; dataUrl: string }[] {
  // One gain for both players (the JSON's audio.gain), so their loudness compares.
  const gain = audio.gain.value;
  return [
    { label: audioPartCaption('used', audio.used), dataUrl: audioDataUrl(parts.used, parts.sampleRate, gain) },
    { label: audioPartCaption('ignored', audio.ignored), dataUrl: audioDataUrl(parts.ignored, parts.sampleRate, gain) },
  ];
}

/** Settings of one report. */
export interface ExplanationReportSettings extends JobSettings {
  methods: readonly AttributionMethodName[];
  /** The preset the items were computed with (axes of the pictures). */
  preset?: FeaturePresetName;
  title: string;
  description?: string;
  /** Add players of what the model used and ignored under every explanation of a recording (see `listenableAudio`). */
  audio?: AudioSettings;
  /** Explain score(target) − score(contrast) with every method (see `contrastiveAttribution`). */
  contrast?: ContrastOption;
  /** Input files that could not be read: listed in a table of the report and in its JSON. */
  unreadFiles?: readonly UnreadFile[];
}

/** A picture of the model input alone (spectrum line, or the spectrogram in dB), shown once per recording. */
async function inputFigure(item: InputItem, preset: FeaturePresetName | undefined): Promise<ReportFigure> {
  // The recipe the item was made with (custom `--features` settings included) draws the axes and the levels.
  const recipe = item.features?.settings ?? preset;
  const made = item.features?.preset === 'custom' ? 'the --features settings' : preset;
  if (isSpectrumShape(item.shape)) {
    const svg = await renderChartSvg(
      psdExplanationSpec(
        {
          spectrum: item.data,
          frequencies: recipeFrequencies(recipe, item.shape[0]) ?? linearFrequencies(item.shape[0], 4000),
          title: 'Model input: power spectrum',
          subtitle: item.name,
        },
        { height: 220, spectrumLabel: inputLevels([], recipe).label },
      ),
    );
    return {
      image: { svg },
      caption: `The model input${made === undefined ? '' : ` (${made})`}: Welch power spectral density in dB.`,
    };
  }
  // A preset's image holds |10·log10|STFT||/127.5 − 1 (MobileNet scaling): shown as the level in dB.
  const image = gridFromImage(item.data, item.shape, { channels: 'mean' });
  const levels = inputLevels(image.values, recipe);
  const grid = { ...image, values: Float32Array.from(levels.values) };
  const svg = await renderChartSvg(
    heatmapRowSpec(
      {
        panels: [{ title: 'spectrogram', grid }],
        title: 'Model input: spectrogram',
        subtitle: item.name,
        frequencyRange: [0, 4000],
        frequencyHz: recipeFrequencies(recipe, item.shape[0]),
        timeRange: presetTimeRange(recipe, item.shape[1]),
      },
      {
        colormap: 'viridis',
        legendTitle: levels.label,
        width: 560,
        height: 280,
        rowOrder: recipeRowOrder(recipe),
      },
    ),
  );
  const dbRecipe = typeof recipe === 'object' && recipe.kind === 'spectrogram' && recipe.values === 'db';
  return {
    image: { svg },
    caption:
      made === undefined
        ? 'The model input as the model sees it (model units: how it was made is not known).'
        : dbRecipe
          ? `The model input (${made}): the ${recipe.frequencyScale === 'mel' ? 'mel ' : ''}spectrogram in dB, as the model sees it.`
          : `The model input (${made}): the spectrogram image shown as the level it encodes, |10·log10|STFT|| in dB (the model sees it scaled to [−1, 1]).`,
  };
}

/** The caption of one explanation (the same text as on the web page, see explanation-caption.ts). */
function explanationCaption(row: ExplainedItem, method: AttributionMethodName): string {
  const text = explanationCaptionText(method, {
    shape: row.item.shape,
    delta: row.delta,
    relativeGap: itemRelativeGap(row),
    bands: itemFrequencyBands(row),
  });
  if (row.contrast === undefined) return text;
  const target = row.targetName ?? `class ${row.target}`;
  const contrast = row.contrastName ?? `class ${row.contrast}`;
  return `Contrast: score(${target}) − score(${contrast}), what separates the two for this model. ${text}`;
}

/** The table at the top of a report: per input the prediction of the explained head, the class explained, the top bands and warnings. */
function summaryTable(
  items: InputItem[],
  first: ExplainedItem[],
  labels: string[] | undefined,
  head: string,
  method: AttributionMethodName,
): ReportTable {
  return {
    columns: ['Input', `Predicted (${head})`, 'p', 'Explained class', `Most relevant bands (${method})`, 'Warnings'],
    rows: items.map((item, i) => {
      const row = first[i];
      const scores = row.probabilities ?? row.logits;
      const top = scores.indexOf(Math.max(...scores));
      return [
        item.name,
        labels?.[top] ?? `class ${top}`,
        row.probabilities === undefined ? 'n/a' : row.probabilities[top],
        row.targetName ?? `class ${row.target}`,
        formatFrequencyBands(itemFrequencyBands(row).slice(0, 3)) || '—',
        item.warnings.length === 0
          ? 'none'
          : `${item.warnings.length}: ${item.warnings.map((w) => w.split(':')[0]).join('; ')}`,
      ];
    }),
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

/** The engine line of a report: one engine name when every method ran on it, else per method. */
function engineSummary(perMethod: string[]): string {
  const engines = new Set(perMethod.map((line) => line.slice(line.indexOf(': ') + 2)));
  return engines.size === 1 ? [...engines][0] : perMethod.join(', ');
}

/** Explains `items` with every method and assembles the report data and the JSON results. */
export async function buildExplanationReport(
  model: ExplainableModel,
  items: InputItem[],
  settings: ExplanationReportSettings,
): Promise<{ report: ReportData; results: Record<string, unknown>[] }> {
  restartChartIds();
  const perMethod = new Map<string, ExplainedItem[]>();
  // Progress in examples × methods: a method that reports its own progress advances within its share.
  const n = items.length;
  const total = n * settings.methods.length;
  for (const [k, method] of settings.methods.entries()) {
    const onProgress = (done: number, of: number): void =>
      settings.onProgress?.(k * n + (of > 0 ? (Math.min(done, of) / of) * n : 0), total);
    perMethod.set(method, await explainItems(model, items, { ...settings, method, onProgress }));
    settings.onProgress?.((k + 1) * n, total);
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
      const svg = await renderChartSvg(
        explainedItemSpec(row, {
          model,
          head,
          method,
          preset: settings.preset,
          layout: 'attribution-only',
        }),
      );
      const listen =
        settings.audio === undefined || item.recording === undefined
          ? undefined
          : listenableAudio(model, [row], { ...settings.audio, outputIndex: head });
      const players = listen?.audio[0] === undefined ? undefined : audioPlayers(listen.audio[0], listen.parts[0]);
      explanations.push({
        image: { svg },
        caption: explanationCaption(row, method),
        ...(players === undefined ? {} : { audio: players }),
      });
      results.push({
        method,
        ...resultJson(row, item.recording !== undefined),
        ...(listen === undefined ? {} : { audio: listen.audio[0] }),
      });
    }
    reportItems.push({
      name: item.name,
      waveform:
        item.recording === undefined
          ? undefined
          : { samples: item.recording.samples, sampleRate: item.recording.sampleRate },
      audio:
        item.recording === undefined
          ? undefined
          : { dataUrl: audioDataUrl(item.recording.samples, item.recording.sampleRate) },
      warnings: item.warnings,
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
        engine: engineSummary(settings.methods.map((m) => `${m}: ${(perMethod.get(m) as ExplainedItem[])[0]?.engine}`)),
        ...Object.fromEntries(
          Object.entries(model.info).filter(([, v]) => typeof v === 'string' || typeof v === 'number') as [
            string,
            string | number,
          ][],
        ),
      },
    },
    items: reportItems,
    summary: summaryTable(items, first, labels, model.outputNames[head], settings.methods[0]),
    sections: unreadFilesSections(settings.unreadFiles),
    generatedAt: new Date().toISOString(),
  };
  return { report, results };
}

/**
 * The `report` job: the report of {@link buildExplanationReport} as `report.html`, and its JSON document
 * (`{model, head, warnings, methods, preset?, results}`) as `report.json`.
 */
export async function reportJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: ExplanationReportSettings,
): Promise<{ document: Record<string, unknown>; files: OutputFile[] }> {
  const { report, results } = await buildExplanationReport(model, items, settings);
  const document = {
    model: modelJson(model, settings.output),
    head: model.outputNames[model.resolveOutput('report', settings.output)],
    warnings: [...new Set(items.flatMap((i) => i.warnings))],
    methods: settings.methods,
    ...(settings.preset === undefined ? {} : { preset: settings.preset }),
    results,
    ...(settings.unreadFiles === undefined || settings.unreadFiles.length === 0
      ? {}
      : { unreadFiles: settings.unreadFiles }),
  };
  return { document, files: [{ name: 'report.html', text: renderReport(report) }, jsonFile('report.json', document)] };
}
