/** `wingbeats-xai evaluate`: pixel-flipping curves of attribution methods against random flipping, with AOPC and AUC. */
import { Command } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import { attributionMethodNames } from '../../attribution/method-catalog.js';
import { EVALUATION_OPTIONS } from '../../evaluation/evaluation-option-specs.js';
import { METRIC_OPTIONS, checkMetricNames, explanationMetricNames } from '../../evaluation/metric-catalog.js';
import { addCommonOptions, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import { specValues, addSpecOptions } from './method-options.js';
import {
  addJobOptions,
  addModelInputOptions,
  addStatsOption,
  inputReadOptions,
  jobSettings,
  parseMethodList,
  statsOption,
} from './options.js';
import { createProgress } from './progress.js';
import { emitJob, withUnread } from './emit-job.js';
import { checkOutputFolder, FORCE_OUT_HELP } from '../output/output-target.js';
import { checkMemoryEstimate } from './memory-estimate.js';

/** Parses `--metrics a,b` against the metric registry (one clear line naming the flag otherwise). */
function parseMetricList(text: string): ReturnType<typeof checkMetricNames> {
  const names = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const unknown = names.find((n) => !(explanationMetricNames as string[]).includes(n));
  if (names.length === 0 || unknown !== undefined) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--metrics' must be a comma-separated list of ${explanationMetricNames.join(', ')} but got '${unknown ?? text}'.`,
    );
  }
  return checkMetricNames('evaluate', names);
}

/** Builds the `evaluate` command. */
export function evaluateCommand(io: CliIo): Command {
  const command = addModelInputOptions(new Command('evaluate').description(commandSummary('evaluate')))
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      'saliency',
    )
    .option(
      '--metrics <names>',
      `comma-separated explanation metrics instead of the pixel-flipping curves (${explanationMetricNames.join(', ')})`,
    )
    .option('-o, --out <dir>', 'also write evaluate.json and pixel-flipping charts (.svg, .png) into this folder')
    .option('--force', FORCE_OUT_HELP);
  addStatsOption(
    command,
    "; also the replacement values of flipped positions (default: the model's input batch norm, else each input's own mean and std)",
  );
  addCommonOptions(addJobOptions(addSpecOptions(addSpecOptions(command, EVALUATION_OPTIONS), METRIC_OPTIONS)));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [
      { evaluationJob, evaluationSummary },
      { metricsJob, metricsSummary },
      { failOnUnread, readBaselineFile, readItemsCarryingOn, readMethodFiles, withModel },
    ] = await Promise.all([
      import('../../pipeline/evaluation-job.js'),
      import('../../pipeline/metrics-job.js'),
      import('./open-model.js'),
    ]);
    const methods = parseMethodList(options.methods);
    const own = specValues(options, EVALUATION_OPTIONS) as { randomSeeds: number; fraction: number; flipStep: number };
    const settings = jobSettings(options);
    if (options.out !== undefined) await checkOutputFolder(options.out, { force: options.force === true });
    await withModel(
      io,
      { model: options.model, labels: options.labels, quiet: options.quiet },
      async (model, session) => {
        const inputs = await readItemsCarryingOn(model, options.input, inputReadOptions(options), io, options.strict);
        const items = inputs.items;
        const statistics = statsOption(options)?.stats ?? 'auto';
        const positions = items[0]?.data.length ?? 0;
        const steps = Math.ceil((own.fraction * positions) / Math.max(1, Math.round(own.flipStep * positions))) + 1;
        const head = model.resolveOutput('evaluate', settings.output);
        const classes = Number(model.layersModel?.outputs[head]?.shape.at(-1) ?? 16);
        // Per input and curve: the flip order (positions) and the scores of every step (classes + target), as float64.
        checkMemoryEstimate(
          `evaluate: ${items.length} inputs × ${methods.length + own.randomSeeds} curves × ${steps} steps`,
          items.length * (methods.length + own.randomSeeds) * (positions + steps * (classes + 1)) * 8 * 3,
          'lower --random-seeds, raise --flip-step or give fewer inputs',
        );
        const baselines = await readBaselineFile(model, settings.methodOptions, items);
        await readMethodFiles(model, settings.methodOptions, inputReadOptions(options), items);
        const progress = createProgress(io, 'evaluate', { quiet: options.quiet });
        if (options.metrics !== undefined) {
          const metrics = parseMetricList(options.metrics as string);
          const { infidelityStdev, ...tuning } = specValues(options, METRIC_OPTIONS) as {
            infidelityStdev: number;
            perturbations: number;
            normalize: boolean;
            radius: number;
            subsetFraction: number;
          };
          const job = await metricsJob(model, items, {
            ...settings,
            session,
            ...own,
            ...tuning,
            noiseStdev: infidelityStdev,
            methods,
            metrics,
            statistics,
            baselines,
            onProgress: (d, t) => progress.update(d, t),
          });
          progress.done();
          await emitJob(io, options, job, metricsSummary);
          return;
        }
        const job = await evaluationJob(model, items, {
          ...settings,
          session,
          ...own,
          methods,
          statistics,
          baselines,
          onProgress: (d, t) => progress.update(d, t),
        });
        progress.done();
        await emitJob(io, options, withUnread(job, inputs.unread), evaluationSummary);
        failOnUnread(inputs);
      },
    );
  });
  return command;
}
