/** `wingbeats-xai stats`: per-position mean and standard deviation of a data set of inputs, for `evaluate --stats`. */
import path from 'node:path';
import { Command } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { featureShape, isFeaturePresetName } from '../../signal/presets.js';
import { pixelStatisticsToJSON } from '../../evaluation/pixel-statistics-json.js';
import { savePixelStatistics } from '../pixel-statistics-file.js';
import { expandInputPaths, readSource } from '../read-files.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import { addRecordingOptions, inputReadOptions } from './options.js';
import { createProgress } from './progress.js';
import { checkOutputFile } from '../output/output-target.js';

/** The model given, or an identity model of the preset's input shape. */
async function layoutModel(io: CliIo, options: Record<string, any>): Promise<ExplainableModel> {
  if (options.model !== undefined) return (await import('./open-model.js')).openModel(io, options.model);
  if (options.preset !== undefined && isFeaturePresetName(options.preset))
    return (await import('../../execution/explainable-model.js')).ExplainableModel.from((x) => x, {
      inputShape: featureShape(options.preset),
      name: `preset ${options.preset}`,
    });
  throw new WingbeatsError('INVALID_ARGUMENT', "Command 'stats' needs --model or --preset to know the input layout.");
}

/** Builds the `stats` command. */
export function statsCommand(io: CliIo): Command {
  const command = new Command('stats')
    .description(commandSummary('stats'))
    .requiredOption('-i, --input <paths...>', 'recordings (.wav), .npy or .json inputs, or folders of them')
    .option('-m, --model <file>', 'the model whose input layout (and default preset) the inputs follow')
    .option('-o, --out <file>', 'where to write the statistics JSON {shape, mean, std, count} (needed unless --json)');
  addCommonOptions(addRecordingOptions(command, 'all'));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [{ pixelStatistics }, { readInputSource }] = await Promise.all([
      import('../../evaluation/pixel-statistics.js'),
      import('../../pipeline/input-sources.js'),
    ]);
    if (options.out !== undefined) await checkOutputFile(options.out);
    if (options.out === undefined && !options.json)
      throw new WingbeatsError('INVALID_ARGUMENT', "Command 'stats' needs --out FILE or --json (or both).");
    const model = await layoutModel(io, options);
    try {
      const files = await expandInputPaths(options.input);
      const progress = createProgress(io, `stats over ${files.length} files`, { quiet: options.quiet });
      async function* examples(): AsyncGenerator<Float32Array> {
        for (const [i, file] of files.entries()) {
          for (const item of readInputSource(await readSource(file), model, inputReadOptions(options))) yield item.data;
          progress.update(i + 1, files.length);
        }
      }
      const stats = await pixelStatistics(examples(), { shape: (model.inputShape ?? []).map((d) => d ?? -1) });
      progress.done();
      if (options.out !== undefined) await savePixelStatistics(options.out, stats);
      if (options.out !== undefined)
        createLogger(io, options).info(`wrote statistics of ${stats.count} inputs to ${options.out}`);
      if (options.json)
        writeJson(io, {
          ...(options.out === undefined ? {} : { file: path.resolve(options.out) }),
          ...pixelStatisticsToJSON(stats),
        });
      else io.stdout(`${options.out}: mean and std of ${stats.count} inputs of shape [${stats.shape.join(', ')}]\n`);
    } finally {
      model.dispose();
    }
  });
  return command;
}
