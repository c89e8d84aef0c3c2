/** `wingbeats-xai sanity`: the cascading model-parameter randomisation test (Adebayo et al. 2018) as JSON and plots. */
import { Command } from 'commander';
import { attributionMethodNames } from '../../attribution/method-catalog.js';
import { SANITY_DEFAULT_METHODS } from '../../evaluation/sanity-defaults.js';
import { addCommonOptions, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import {
  addJobOptions,
  addModelInputOptions,
  addStatsOption,
  inputReadOptions,
  jobSettings,
  parseMethodList,
} from './options.js';
import { createProgress } from './progress.js';
import { emitJob, withUnread } from './emit-job.js';
import { checkOutputFolder, FORCE_OUT_HELP } from '../output/output-target.js';

/** Builds the `sanity` command. */
export function sanityCommand(io: CliIo): Command {
  const command = addModelInputOptions(new Command('sanity').description(commandSummary('sanity')), 'one')
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      SANITY_DEFAULT_METHODS.join(','),
    )
    .option('-o, --out <dir>', 'also write sanity.json and the plots (.svg, .png) into this folder')
    .option('--force', FORCE_OUT_HELP);
  addStatsOption(command);
  addCommonOptions(addJobOptions(command));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [
      { sanityJob, sanitySummary },
      { failOnUnread, readBaselineFile, readItemsCarryingOn, readMethodFiles, withModel },
    ] = await Promise.all([import('../../pipeline/sanity-job.js'), import('./open-model.js')]);
    const methods = parseMethodList(options.methods);
    const settings = jobSettings(options);
    if (options.out !== undefined) await checkOutputFolder(options.out, { force: options.force === true });
    await withModel(
      io,
      { model: options.model, labels: options.labels, quiet: options.quiet },
      async (model, session) => {
        const inputs = await readItemsCarryingOn(model, options.input, inputReadOptions(options), io, options.strict);
        const items = inputs.items;
        const baselines = await readBaselineFile(model, settings.methodOptions, items);
        await readMethodFiles(model, settings.methodOptions, inputReadOptions(options), items);
        const progress = createProgress(io, 'sanity', { quiet: options.quiet });
        const job = await sanityJob(model, items, {
          ...settings,
          session,
          methods,
          baselines,
          onProgress: (d, t) => progress.update(d, t),
        });
        progress.done();
        await emitJob(io, options, withUnread(job, inputs.unread), sanitySummary);
        failOnUnread(inputs);
      },
    );
  });
  return command;
}
