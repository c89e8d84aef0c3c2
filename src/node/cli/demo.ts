/**
 * `wingbeats-xai demo`: the main job on the embedded default — the project's own demo model and synthetic recordings —
 * explained with the main methods and written as one self-contained HTML report (plus the JSON of every explanation).
 */
import path from 'node:path';
import { Command } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import type { AttributionMethodName } from '../../attribution/method-catalog.js';
import { jsonFile } from '../../pipeline/output-files.js';
import { renderReport } from '../../render/html-report.js';
import { readSources } from '../read-files.js';
import { addCommonOptions, writeJson, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import { addSpecOptions, specValues } from './method-options.js';
import { REQUEST_OPTIONS } from '../../session/request-option-specs.js';
import { createProgress } from './progress.js';
import { writeOutputs } from '../output/staged-output.js';
import { checkOutputFolder, FORCE_OUT_HELP } from '../output/output-target.js';

/** The methods the demo shows, in report order. */
export const DEMO_METHODS = [
  'saliency',
  'guided-backprop',
  'integrated-gradients',
  'smoothgrad',
] as const satisfies readonly AttributionMethodName[];

const DESCRIPTION =
  'A small 1-D CNN trained by this project on synthetic wingbeat recordings of the six Potamitis mosquito species (see docs/demo.md), ' +
  'explained on six synthetic recordings. Red: evidence for the predicted species; blue: against it; saliency and SmoothGrad show magnitude only.';

/** Builds the `demo` command. */
export function demoCommand(io: CliIo): Command {
  const command = new Command('demo')
    .description(commandSummary('demo'))
    .option('-o, --out <dir>', 'folder for report.html and demo.json', 'wingbeats-xai-demo')
    .option('--force', FORCE_OUT_HELP);
  addCommonOptions(addSpecOptions(command, REQUEST_OPTIONS.slice(0, 1)));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [
      { setupBackend },
      { buildExplanationReport },
      { readInputSources },
      { modelJson },
      { demoAssetPaths, loadDemoModel },
    ] = await Promise.all([
      import('../../execution/backend.js'),
      import('../../pipeline/explanation-report.js'),
      import('../../pipeline/input-sources.js'),
      import('../../pipeline/result-json.js'),
      import('../demo-assets.js'),
    ]);
    await checkOutputFolder(options.out, { force: options.force === true });
    await setupBackend({ warn: (m) => io.stderr(`${m}\n`) });
    const { seed } = specValues(options, REQUEST_OPTIONS) as { seed: number };
    const assets = demoAssetPaths();
    if (assets.recordings.length === 0)
      throw new WingbeatsError(
        'IO',
        `No demo recordings found in '${assets.recordingsDir}': the package is incomplete.`,
      );
    const model = await loadDemoModel();
    try {
      const items = readInputSources(await readSources(assets.recordings), model, { preset: 'potamitis-psd' });
      const progress = createProgress(
        io,
        `demo: ${assets.recordings.length} recordings × ${DEMO_METHODS.length} methods`,
        { quiet: options.quiet },
      );
      const settings = {
        methods: DEMO_METHODS,
        seed,
        preset: 'potamitis-psd',
        title: 'wingbeats-xai demo: which frequencies drive the species prediction?',
        description: DESCRIPTION,
      } as const;
      const { report, results } = await buildExplanationReport(model, items, {
        ...settings,
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      await writeOutputs(options.out, [
        { name: 'report.html', text: renderReport(report) },
        jsonFile('demo.json', { model: modelJson(model, 0), results }),
      ]);
      const reportPath = path.resolve(options.out, 'report.html');
      if (options.json)
        return writeJson(io, {
          report: reportPath,
          json: path.resolve(options.out, 'demo.json'),
          model: modelJson(model, 0),
          results,
        });
      io.stdout(`Report: ${reportPath}\n`);
      for (const r of results.filter((x) => x.method === DEMO_METHODS[0]))
        io.stdout(`  ${String(r.name)}: predicted ${String(r.targetName)}\n`);
    } finally {
      model.dispose();
    }
  });
  return command;
}
