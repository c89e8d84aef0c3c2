/** `wingbeats-xai explain`: attributions of one method for a recording or model inputs, as JSON, .npy and pictures. */
import { Command, Option } from 'commander';
import { attributionMethodNames, attributionMethods, type AttributionMethodName } from '../../attribution/registry.js';
import { explainJob } from '../../pipeline/explain-job.js';
import { itemsPreset } from '../../pipeline/input-sources.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { explainedItemLine } from '../../pipeline/result-json.js';
import { readBaselineFile, withModel } from './open-model.js';
import { readModelInputItems } from './read-model-inputs.js';
import { addJobOptions, addModelInputOptions, inputReadOptions, jobSettings } from './options.js';
import { createProgress } from './progress.js';
import { writeOutputs } from './staged-output.js';
import { checkOutputFolder } from './output-target.js';
import { checkTargetOption } from './early-checks.js';

const methodsHelp = `\nMethods:\n${attributionMethodNames.map((n) => `  ${n.padEnd(22)}${attributionMethods[n].summary}${attributionMethods[n].options.length > 0 ? ` (${attributionMethods[n].options.map((o) => o.flag).join(', ')})` : ''}`).join('\n')}\n`;

/** Builds the `explain` command. */
export function explainCommand(io: CliIo): Command {
  const command = addModelInputOptions(
    new Command('explain').description(
      "explain a model's prediction for a recording (.wav) or model inputs (.npy, .json)",
    ),
    'per-model-input',
  )
    .addOption(new Option('--method <name>', 'attribution method').choices(attributionMethodNames).default('saliency'))
    .option(
      '-o, --out <dir>',
      'write per input the attributions (.json, .npy), the heatmap (.npy) and pictures (.png, .svg)',
    )
    .addHelpText('after', methodsHelp);
  addCommonOptions(addJobOptions(command, { '--samples': '--noise-samples' }));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    const method = options.method as AttributionMethodName;
    const settings = jobSettings(options);
    if (options.out !== undefined) await checkOutputFolder(options.out);
    await withModel(io, { model: options.model, labels: options.labels, quiet: options.quiet }, async (model) => {
      model.resolveOutput('explain', settings.output);
      checkTargetOption('explain', model, settings.target, settings.output);
      const items = await readModelInputItems(model, options.input, inputReadOptions(options), io);
      const progress = createProgress(io, `${method} on ${items.length} input${items.length > 1 ? 's' : ''}`, {
        quiet: options.quiet,
      });
      const baselines = await readBaselineFile(model, settings.methodOptions, items);
      const preset = itemsPreset(items, model, options.preset);
      const { document, rows, files } = await explainJob(model, items, {
        ...settings,
        method,
        baselines,
        preset,
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      if (options.out !== undefined)
        createLogger(io, options).info(
          `wrote ${(await writeOutputs(options.out, files)).length} files to ${options.out}`,
        );
      if (options.json) return writeJson(io, document);
      for (const row of rows) io.stdout(explainedItemLine(row, method));
    });
  });
  return command;
}
