/** `wingbeats-xai evaluate`: pixel-flipping curves of attribution methods against random flipping, with AOPC and AUC. */
import { Command, Option } from 'commander';
import { attributionMethodNames } from '../../attribution/registry.js';
import { EVALUATION_OPTIONS } from '../../evaluation/compare-with-random.js';
import { evaluationJob, evaluationSummary } from '../../pipeline/evaluation-job.js';
import { loadPixelStatistics } from '../pixel-statistics-file.js';
import { addCommonOptions, type CliIo, type CommonOptions } from './common.js';
import { specValues, addSpecOptions } from './method-options.js';
import { readBaselineFile, readItems, withModel } from './open-model.js';
import { addJobOptions, addModelInputOptions, inputReadOptions, jobSettings, parseMethodList } from './options.js';
import { createProgress } from './progress.js';
import { emitJob } from './emit-job.js';
import { checkOutputFolder } from './output-target.js';
import { checkMemoryEstimate } from './memory-estimate.js';

/** Builds the `evaluate` command. */
export function evaluateCommand(io: CliIo): Command {
  const command = addModelInputOptions(
    new Command('evaluate').description(
      'pixel flipping: how fast the target score falls when the most relevant inputs are replaced, against random orders (AOPC, AUC)',
    ),
  )
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      'saliency',
    )
    .addOption(
      new Option(
        '--stats <file>',
        'pixel statistics JSON {shape, mean, std, count} for the replacement values',
      ).default(undefined, "the model's input batch norm, else each input's own mean and std"),
    )
    .option('-o, --out <dir>', 'also write evaluate.json and pixel-flipping charts (.svg, .png) into this folder');
  addCommonOptions(addJobOptions(addSpecOptions(command, EVALUATION_OPTIONS)));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    const methods = parseMethodList(options.methods);
    const own = specValues(options, EVALUATION_OPTIONS) as { randomSeeds: number; fraction: number; flipStep: number };
    const settings = jobSettings(options);
    if (options.out !== undefined) await checkOutputFolder(options.out);
    await withModel(io, { model: options.model, labels: options.labels, quiet: options.quiet }, async (model) => {
      const items = await readItems(model, options.input, inputReadOptions(options), io);
      const statistics = options.stats === undefined ? 'auto' : await loadPixelStatistics(options.stats);
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
      const progress = createProgress(io, 'evaluate', { quiet: options.quiet });
      const job = await evaluationJob(model, items, {
        ...settings,
        ...own,
        methods,
        statistics,
        baselines,
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      await emitJob(io, options, job, evaluationSummary);
    });
  });
  return command;
}
