/** `wingbeats-xai report`: several methods side by side for a model and recordings or inputs, as one HTML file. */
import path from 'node:path';
import { Command } from 'commander';
import { attributionMethodNames } from '../../attribution/registry.js';
import { reportJob } from '../../pipeline/explanation-report.js';
import { itemsPreset } from '../../pipeline/input-sources.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { readBaselineFile, readItems, withModel } from './open-model.js';
import { addJobOptions, addModelInputOptions, inputReadOptions, jobSettings, parseMethodList } from './options.js';
import { createProgress } from './progress.js';
import { writeOutputs } from './staged-output.js';
import { checkOutputFolder } from './output-target.js';

/** Builds the `report` command. */
export function reportCommand(io: CliIo): Command {
  const command = addModelInputOptions(
    new Command('report').description(
      'an HTML report: recordings, model inputs, predictions per head and several explanations side by side',
    ),
  )
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      'saliency,guided-backprop,integrated-gradients',
    )
    .option('--title <text>', 'report title')
    .option('-o, --out <dir>', 'folder for report.html and report.json', 'wingbeats-xai-report');
  addCommonOptions(addJobOptions(command, { '--samples': '--noise-samples' }));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    const methods = parseMethodList(options.methods);
    const settings = jobSettings(options);
    if (options.out !== undefined) await checkOutputFolder(options.out);
    await withModel(io, { model: options.model, labels: options.labels, quiet: options.quiet }, async (model) => {
      model.resolveOutput('report', settings.output);
      const items = await readItems(model, options.input, inputReadOptions(options), io);
      const baselines = await readBaselineFile(model, settings.methodOptions, items);
      const progress = createProgress(io, `report: ${items.length} inputs × ${methods.length} methods`, {
        quiet: options.quiet,
      });
      const title = options.title ?? `Explanations of ${model.name}`;
      const { document, files } = await reportJob(model, items, {
        ...settings,
        methods,
        baselines,
        preset: itemsPreset(items, model, options.preset),
        title,
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      await writeOutputs(options.out, files);
      const reportPath = path.resolve(options.out, 'report.html');
      createLogger(io, options).info(`wrote ${reportPath}`);
      if (options.json) writeJson(io, { report: reportPath, ...document });
      else io.stdout(`Report: ${reportPath}\n`);
    });
  });
  return command;
}
