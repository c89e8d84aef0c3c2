/** `wingbeats-xai uncertainty`: explanations under Monte-Carlo dropout, summarised as quantile, mean and std maps. */
import { Command, Option } from 'commander';
import { attributionMethodNames, type AttributionMethodName } from '../../attribution/method-catalog.js';
import { MC_DROPOUT_OPTIONS } from '../../uncertainty/mc-dropout-option-specs.js';
import { QUANTILE_OPTIONS, type QuantileMethod } from '../../uncertainty/quantile-maps.js';
import { parseOptionText } from '../../util/option-spec.js';
import { WingbeatsError } from '../../util/errors.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import { addSpecOptions, specValues } from './method-options.js';
import { addJobOptions, addModelInputOptions, addStatsOption, inputReadOptions, jobSettings } from './options.js';
import { createProgress } from './progress.js';
import { writeOutputs } from '../output/staged-output.js';
import { checkOutputFolder, FORCE_OUT_HELP } from '../output/output-target.js';
import { checkMemoryEstimate } from './memory-estimate.js';

const OWN_OPTIONS = [...MC_DROPOUT_OPTIONS, ...QUANTILE_OPTIONS];
const QUANTILE = { name: 'quantiles', flag: '--quantiles', type: 'number', min: 0, max: 1, help: '' } as const;

/** Builds the `uncertainty` command. */
export function uncertaintyCommand(io: CliIo): Command {
  const command = addModelInputOptions(new Command('uncertainty').description(commandSummary('uncertainty')))
    .addOption(new Option('--method <name>', 'attribution method').choices(attributionMethodNames).default('saliency'))
    .option('--keep-samples', "include every sample's heatmap in the JSON")
    .option(
      '-o, --out <dir>',
      'also write uncertainty.json and the quantile-map pictures (.svg, .png) into this folder',
    )
    .option('--force', FORCE_OUT_HELP);
  addStatsOption(command);
  addCommonOptions(addJobOptions(addSpecOptions(command, OWN_OPTIONS)));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [
      { uncertaintyJob, uncertaintySummary },
      { failOnUnread, readBaselineFile, readItemsCarryingOn, readMethodFiles, withModel },
    ] = await Promise.all([import('../../pipeline/uncertainty-job.js'), import('./open-model.js')]);
    const own = specValues(options, OWN_OPTIONS) as {
      samples: number;
      quantiles: string[];
      quantileMethod: QuantileMethod;
    };
    const quantiles = own.quantiles.map((q) => parseOptionText(QUANTILE, q) as number);
    const repeated = quantiles.find((q, i) => quantiles.indexOf(q) !== i);
    if (repeated !== undefined)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--quantiles' must list each quantile once but got ${repeated} twice ('${own.quantiles.join(',')}').`,
      );
    const settings = jobSettings(options);
    if (options.out !== undefined) await checkOutputFolder(options.out, { force: options.force === true });
    await withModel(
      io,
      { model: options.model, labels: options.labels, quiet: options.quiet },
      async (model, session) => {
        const inputs = await readItemsCarryingOn(model, options.input, inputReadOptions(options), io, options.strict);
        const items = inputs.items;
        const values = items.length * (items[0]?.data.length ?? 0);
        // Every sample's heatmap is kept for the quantiles (float32), and written as JSON text with --keep-samples.
        checkMemoryEstimate(
          `uncertainty: ${own.samples} samples × ${values} input values`,
          own.samples * values * (options.keepSamples === true ? 40 : 4),
          'lower --samples or give fewer inputs',
        );
        const baselines = await readBaselineFile(model, settings.methodOptions, items);
        await readMethodFiles(model, settings.methodOptions, inputReadOptions(options), items);
        const progress = createProgress(io, `uncertainty (${own.samples} samples)`, { quiet: options.quiet });
        const job = {
          ...settings,
          session,
          ...own,
          quantiles,
          method: options.method as AttributionMethodName,
          keepSamples: options.keepSamples === true,
          baselines,
        };
        const { document, files } = await uncertaintyJob(model, items, {
          ...job,
          onProgress: (d, t) => progress.update(d, t),
        });
        progress.done();
        if (options.out !== undefined)
          createLogger(io, options).info(`wrote ${(await writeOutputs(options.out, files)).join(', ')}`);
        if (options.json)
          writeJson(io, inputs.unread.length === 0 ? document : { ...document, unreadFiles: inputs.unread });
        else io.stdout(uncertaintySummary(document));
        failOnUnread(inputs);
      },
    );
  });
  return command;
}
