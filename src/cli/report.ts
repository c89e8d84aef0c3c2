/** `wingbeats-xai report`: several methods side by side for a model and recordings or inputs, as one HTML file. */
import path from 'node:path';
import { Command } from 'commander';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../signal/presets.js';
import { renderReport } from '../render/html-report.js';
import { addCommonOptions, createLogger, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { modelJson } from './explain-run.js';
import { buildExplanationReport } from './explanation-report.js';
import { presetForModel, readInputs, type InputItem } from './read-inputs.js';
import { expandInputPaths } from './stats.js';
import { createProgress } from './progress.js';
import { writeStaged } from './staged-output.js';
import { addMultiMethodOptions, addRecordingOptions, addTargetOptions, parseMultiMethodOptions, type MultiMethodOptions } from './options.js';
import { checkOutputFolder } from './output-target.js';

interface ReportOptions extends CommonOptions, MultiMethodOptions {
  model: string;
  input: string[];
  methods: string;
  target?: string;
  output?: string;
  scores: 'logits' | 'probabilities';
  steps?: string;
  samples?: string;
  seed: string;
  preset?: string;
  windows: 'loudest' | 'first' | 'all';
  title?: string;
  out: string;
}

/** Builds the `report` command. */
export function reportCommand(io: CliIo): Command {
  const command = new Command('report')
    .description('an HTML report: recordings, model inputs, predictions per head and several explanations side by side')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json')
    .requiredOption('-i, --input <paths...>', 'recordings (.wav), .npy or .json inputs, or folders of them')
    .option('--title <text>', 'report title')
    .option('-o, --out <dir>', 'folder for report.html and report.json', 'wingbeats-xai-report');
  addMultiMethodOptions(command, 'saliency,guided-backprop,integrated-gradients');
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: ReportOptions) => {
    const log = createLogger(io, options);
    const { methods, steps, samples, seed, output, target, scores } = parseMultiMethodOptions(options);
    if (options.out !== undefined) await checkOutputFolder(options.out);
    const model = await openModel(io, options.model);
    try {
      model.resolveOutput('report', output);
      const files = await expandInputPaths(options.input);
      const items: InputItem[] = [];
      for (const file of files) items.push(...(await readInputs(file, model, { preset: options.preset, windows: options.windows })));
      const preset = items.some((i) => i.recording !== undefined) ? presetForModel(model, options.preset) : undefined;
      const progress = createProgress(io, `report: ${items.length} inputs × ${methods.length} methods`, { quiet: options.quiet });
      const { report, results } = await buildExplanationReport(model, items, {
        methods,
        target,
        output,
        scores,
        steps,
        samples,
        seed,
        preset,
        title: options.title ?? `Explanations of ${model.name}`,
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      const document = { model: modelJson(model, output), methods, ...(preset === undefined ? {} : { preset }), results };
      await writeStaged(options.out, async (staged) => {
        await staged.write('report.html', renderReport(report));
        await staged.write('report.json', `${toJson(document)}\n`);
      });
      const reportPath = path.resolve(options.out, 'report.html');
      log.info(`wrote ${reportPath}`);
      if (options.json) writeJson(io, { report: reportPath, ...document });
      else io.stdout(`Report: ${reportPath}\n`);
    } finally {
      model.dispose();
    }
  });
  return command;
}
