/**
 * `wingbeats-xai demo`: the main job on the embedded default — the project's own demo model and synthetic recordings —
 * explained with the main methods and written as one self-contained HTML report (plus the JSON of every explanation).
 */
import path from 'node:path';
import { Command } from 'commander';
import { setupBackend } from '../../execution/backend.js';
import { WingbeatsError } from '../../util/errors.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import type { AttributionMethodName } from '../../attribution/registry.js';
import { demoAssetPaths, loadDemoModel } from '../demo-assets.js';
import { renderReport, type ReportData } from '../../render/html-report.js';
import { addCommonOptions, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { modelJson } from '../../pipeline/explain-items.js';
import { buildExplanationReport } from '../../pipeline/explanation-report.js';
import { readInputs } from '../../pipeline/input-sources.js';
import { createProgress } from './progress.js';
import { writeStaged } from './staged-output.js';
import { parseInteger } from './options.js';

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
  const items = [];
  for (const file of recordings) items.push(...(await readInputs(file, model, { preset: 'potamitis-psd' })));
  return buildExplanationReport(model, items, {
    methods: DEMO_METHODS,
    seed: options.seed ?? 1,
    preset: 'potamitis-psd',
    title: 'wingbeats-xai demo: which frequencies drive the species prediction?',
    description:
      'A small 1-D CNN trained by this project on synthetic wingbeat recordings of the six Potamitis mosquito species (see docs/demo.md), ' +
      'explained on six synthetic recordings. Red: evidence for the predicted species; blue: against it; saliency and SmoothGrad show magnitude only.',
    onProgress: options.onProgress,
  });
}

/** Builds the `demo` command. */
export function demoCommand(io: CliIo): Command {
  const command = new Command('demo')
    .description('explain the shipped demo model on the shipped synthetic recordings and write an HTML report')
    .option('-o, --out <dir>', 'folder for report.html and demo.json', 'wingbeats-xai-demo')
    .option('--seed <n>', 'seed of SmoothGrad noise', '1');
  addCommonOptions(command);
  command.action(async (options: DemoOptions) => {
    await setupBackend({ warn: (m) => io.stderr(`${m}\n`) });
    const seed = parseInteger(options.seed, '--seed', 0);
    const assets = demoAssetPaths();
    if (assets.recordings.length === 0) throw new WingbeatsError('IO', `No demo recordings found in '${assets.recordingsDir}': the package is incomplete.`);
    const model = await loadDemoModel();
    try {
      const progress = createProgress(io, `demo: ${assets.recordings.length} recordings × ${DEMO_METHODS.length} methods`, { quiet: options.quiet });
      const { report, results } = await runDemo(model, assets.recordings, { seed, onProgress: (d, t) => progress.update(d, t) });
      progress.done();
      await writeStaged(options.out, async (staged) => {
        await staged.write('report.html', renderReport(report));
        await staged.write('demo.json', `${toJson({ model: modelJson(model, 0), results })}\n`);
      });
      const reportPath = path.resolve(options.out, 'report.html');
      if (options.json) writeJson(io, { report: reportPath, json: path.resolve(options.out, 'demo.json'), model: modelJson(model, 0), results });
      else {
        io.stdout(`Report: ${reportPath}\n`);
        for (const r of results.filter((x) => x.method === DEMO_METHODS[0])) io.stdout(`  ${String(r.name)}: predicted ${String(r.targetName)}\n`);
      }
    } finally {
      model.dispose();
    }
  });
  return command;
}
