/**
 * `wingbeats-xai demo`: the main job on the embedded default — the project's own demo model and synthetic recordings —
 * explained with the main methods and written as one self-contained HTML report (plus the JSON of every explanation).
 */
import path from 'node:path';
import { Command } from 'commander';
import { setupBackend } from '../core/backend.js';
import { WingbeatsError } from '../core/errors.js';
import type { ExplainableModel } from '../core/explainable-model.js';
import { attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import { demoAssetPaths, loadDemoModel } from '../demo/demo-assets.js';
import { readWavFile } from '../signal/read-wav-file.js';
import { featuresFromRecording } from '../signal/features.js';
import { psdExplanationSpec, linearFrequencies } from '../render/psd-chart.js';
import { renderChartSvg } from '../render/chart-svg.js';
import { renderReport, type ReportData, type ReportFigure, type ReportItem } from '../render/html-report.js';
import { addCommonOptions, createLogger, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { explainItems, modelJson, type ExplainedItem } from './explain-run.js';
import { explanationSpec } from './explanation-pictures.js';
import { resultJson } from './explain.js';
import type { InputItem } from './read-inputs.js';
import { createProgress } from './progress.js';
import { writeStaged } from './staged-output.js';
import { safeFileName } from './options.js';

/** The methods the demo shows, in report order. */
export const DEMO_METHODS = ['saliency', 'guided-backprop', 'integrated-gradients', 'smoothgrad'] as const satisfies readonly AttributionMethodName[];

interface DemoOptions extends CommonOptions {
  out: string;
  seed: string;
}

/** Explains the demo recordings with {@link DEMO_METHODS}; returns the report data and the JSON results. */
export async function runDemo(
  model: ExplainableModel,
  recordings: string[],
  options: { seed?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ report: ReportData; results: Record<string, unknown>[] }> {
  const items: InputItem[] = [];
  for (const file of recordings) {
    const recording = await readWavFile(file);
    const features = featuresFromRecording(recording, 'potamitis-psd');
    items.push({ name: path.basename(file), data: features.data, shape: features.shape, recording, features });
  }
  const perMethod = new Map<string, ExplainedItem[]>();
  let done = 0;
  for (const method of DEMO_METHODS) {
    perMethod.set(method, await explainItems(model, items, { method, seed: options.seed ?? 1, samples: 25, steps: 50 }));
    options.onProgress?.(++done, DEMO_METHODS.length);
  }
  const labels = model.labels(0) ?? [];
  const reportItems: ReportItem[] = [];
  const results: Record<string, unknown>[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const first = perMethod.get(DEMO_METHODS[0])?.[i] as ExplainedItem;
    const className = labels[first.target] ?? `class ${first.target}`;
    const featureSvg = await renderChartSvg(
      psdExplanationSpec({ spectrum: item.data, frequencies: linearFrequencies(129, 4000), title: 'Model input: Welch power spectrum', subtitle: `${item.name} — 8 kHz, 5000 samples, Potamitis recipe` }, { height: 200 }),
    );
    const explanations: ReportFigure[] = [];
    for (const method of DEMO_METHODS) {
      const row = perMethod.get(method)?.[i] as ExplainedItem;
      const svg = await renderChartSvg(
        explanationSpec({
          input: item.data,
          shape: item.shape,
          attributions: row.attributions,
          heatmap: row.heatmap,
          signed: attributionMethods[method].signed,
          method,
          className,
          score: row.probabilities?.[row.target],
          scoreLabel: 'p',
          subtitle: item.name,
        }),
      );
      const gap = row.delta === undefined ? '' : ` Completeness gap ${row.delta.toExponential(1)}.`;
      explanations.push({ image: { svg }, caption: `${attributionMethods[method].title}: ${attributionMethods[method].summary}.${gap}` });
      results.push({ method, ...resultJson(row, true) });
    }
    reportItems.push({
      name: item.name,
      waveform: item.recording === undefined ? undefined : { samples: item.recording.samples, sampleRate: item.recording.sampleRate },
      features: { image: { svg: featureSvg }, caption: 'The Welch PSD (dB) of the loudest 5000-sample window at 8 kHz: what the model sees.' },
      predictions: [{ head: 'species', classNames: labels, probabilities: first.probabilities ?? [], target: first.target }],
      explanations,
    });
  }
  const report: ReportData = {
    title: 'wingbeats-xai demo: which frequencies drive the species prediction?',
    model: {
      name: model.name,
      description: 'A small 1-D CNN trained by this project on synthetic wingbeat recordings of the six Potamitis mosquito species (see docs/demo.md). Red: evidence for the predicted species; blue: against it.',
      details: { input: `[${(model.inputShape ?? []).join(', ')}] Welch PSD in dB`, classes: labels.join(', '), methods: DEMO_METHODS.join(', ') },
    },
    items: reportItems,
    generatedAt: new Date().toISOString(),
  };
  return { report, results };
}

/** Builds the `demo` command. */
export function demoCommand(io: CliIo): Command {
  const command = new Command('demo')
    .description('explain the shipped demo model on the shipped synthetic recordings and write an HTML report')
    .option('-o, --out <dir>', 'folder for report.html and demo.json', 'wingbeats-xai-demo')
    .option('--seed <n>', 'seed of SmoothGrad noise', '1');
  addCommonOptions(command);
  command.action(async (options: DemoOptions) => {
    const log = createLogger(io, options);
    await setupBackend({ warn: (m) => io.stderr(`${m}\n`) });
    const assets = demoAssetPaths();
    if (assets.recordings.length === 0) throw new WingbeatsError('IO', `No demo recordings found in '${assets.recordingsDir}': the package is incomplete.`);
    const model = await loadDemoModel();
    const progress = createProgress(io, `demo: ${assets.recordings.length} recordings × ${DEMO_METHODS.length} methods`, { quiet: options.quiet });
    const { report, results } = await runDemo(model, assets.recordings, { seed: Number(options.seed), onProgress: (d, t) => progress.update(d, t) });
    progress.done();
    await writeStaged(options.out, async (staged) => {
      await staged.write('report.html', renderReport(report));
      await staged.write('demo.json', `${toJson({ model: modelJson(model, 0), results })}\n`);
    });
    const reportPath = path.resolve(options.out, 'report.html');
    if (options.json) writeJson(io, { report: reportPath, json: path.resolve(options.out, 'demo.json'), model: modelJson(model, 0), results });
    else {
      io.stdout(`Report: ${reportPath}\n`);
      for (const r of results.filter((x) => x.method === DEMO_METHODS[0])) {
        io.stdout(`  ${String(r.name)}: predicted ${String(r.targetName)}\n`);
      }
    }
    log.debug(`files: ${safeFileName(reportPath)}`);
  });
  return command;
}
