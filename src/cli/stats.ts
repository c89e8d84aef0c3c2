/** `wingbeats-xai stats`: per-position mean and standard deviation of a data set of inputs, for `evaluate --stats`. */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { WingbeatsError } from '../core/errors.js';
import { ExplainableModel } from '../core/explainable-model.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES, featureShape, isFeaturePresetName } from '../signal/presets.js';
import { pixelStatistics, pixelStatisticsToJSON } from '../evaluation/pixel-statistics.js';
import { savePixelStatistics } from '../evaluation/pixel-statistics-file.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { readInputs } from './read-inputs.js';
import { createProgress } from './progress.js';
import { checkOutputFile } from './output-target.js';

interface StatsOptions extends CommonOptions {
  input: string[];
  model?: string;
  preset?: string;
  windows: 'loudest' | 'first' | 'all';
  out: string;
}

const INPUT_EXTENSIONS = ['.wav', '.wave', '.npy', '.json'];

/** The input files named on the command line: files as given, folders expanded to their .wav/.npy/.json files (sorted). */
export async function expandInputPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new WingbeatsError('IO', `Input '${p}' does not exist.`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(p)).filter((n) => INPUT_EXTENSIONS.includes(path.extname(n).toLowerCase())).sort();
      files.push(...names.map((n) => path.join(p, n)));
    } else files.push(p);
  }
  if (files.length === 0) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--input' names no .wav, .npy or .json file (${paths.join(', ')}).`);
  return files;
}

/** Builds the `stats` command. */
export function statsCommand(io: CliIo): Command {
  const command = new Command('stats')
    .description('per-position mean and standard deviation of a data set of inputs (for evaluate --stats)')
    .requiredOption('-i, --input <paths...>', 'recordings (.wav), .npy or .json inputs, or folders of them')
    .option('-m, --model <file>', 'the model whose input layout (and default preset) the inputs follow')
    .addOption(new Option('--preset <name>', 'feature recipe for .wav inputs (and the layout when no --model is given)').choices(FEATURE_PRESET_NAMES))
    .addOption(new Option('--windows <which>', '.wav inputs: every window (default), the loudest, or the first').choices(['all', 'loudest', 'first']).default('all'))
    .requiredOption('-o, --out <file>', 'where to write the statistics JSON {shape, mean, std, count}');
  addCommonOptions(command);
  command.action(async (options: StatsOptions) => {
    const log = createLogger(io, options);
    await checkOutputFile(options.out);
    let model: ExplainableModel;
    if (options.model !== undefined) {
      model = await openModel(io, options.model);
    } else if (options.preset !== undefined && isFeaturePresetName(options.preset)) {
      model = ExplainableModel.from((x) => x, { inputShape: featureShape(options.preset), name: `preset ${options.preset}` });
    } else {
      throw new WingbeatsError('INVALID_ARGUMENT', "Command 'stats' needs --model or --preset to know the input layout.");
    }
    try {
      const files = await expandInputPaths(options.input);
      const progress = createProgress(io, `stats over ${files.length} files`, { quiet: options.quiet });
      let done = 0;
      async function* examples(): AsyncGenerator<Float32Array> {
        for (const file of files) {
          for (const item of await readInputs(file, model, { preset: options.preset, windows: options.windows })) yield item.data;
          progress.update(++done, files.length);
        }
      }
      const stats = await pixelStatistics(examples(), { shape: (model.inputShape ?? []).map((d) => d ?? -1) });
      progress.done();
      await savePixelStatistics(options.out, stats);
      log.info(`wrote statistics of ${stats.count} inputs to ${options.out}`);
      if (options.json) writeJson(io, { file: path.resolve(options.out), ...pixelStatisticsToJSON(stats) });
      else io.stdout(`${options.out}: mean and std of ${stats.count} inputs of shape [${stats.shape.join(', ')}]\n`);
    } finally {
      model.dispose();
    }
  });
  return command;
}
