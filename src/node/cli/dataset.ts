/**
 * `wingbeats-xai dataset`: explains a labelled data set (a folder with one sub-folder per class, or a CSV manifest)
 * into one Parquet table with class-wise summaries and an HTML report; `--shard i/n` (or a Slurm array / Kubernetes
 * Indexed Job) explains one part of it, and `dataset merge DIR` joins the parts. Resumes when run again. Node only.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import { resolveShard } from '../../dataset/shard.js';
import { FEATURE_PRESET_NAMES } from '../../signal/presets.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { addMultiMethodOptions, addTargetOptions, parseInteger, parseMultiMethodOptions, type MultiMethodOptions } from './options.js';
import { openModel } from './open-model.js';
import { createProgress } from './progress.js';
import { explainDataset } from '../dataset/explain-dataset.js';
import { mergeDataset, type DatasetTableResult } from '../dataset/merge.js';

interface DatasetOptions extends CommonOptions, MultiMethodOptions {
  model: string;
  input: string;
  out: string;
  preset?: string;
  shard?: string;
  shardCount?: string;
  limit?: string;
  chunkSize: string;
  force?: boolean;
}

function printTable(io: CliIo, result: DatasetTableResult): void {
  io.stdout(`table: ${result.table}\nexamples: ${result.examples}, errors: ${result.errors}${result.summary.accuracy === null ? '' : `, accuracy ${(result.summary.accuracy * 100).toFixed(1)} %`}\n`);
  io.stdout(`summary: ${path.join(path.dirname(result.table), 'summary.json')}\nreport: ${path.join(path.dirname(result.table), 'report.html')}\n`);
}

function mergeCommand(io: CliIo): Command {
  const command = new Command('merge')
    .description('join the part files of every shard of a dataset run into the table, summaries and report; checks that each example was explained exactly once')
    .argument('<dir>', 'the --out folder of the shards');
  addCommonOptions(command);
  command.action(async (dir: string, options: CommonOptions) => {
    const result = await mergeDataset(dir);
    if (options.json) writeJson(io, result);
    else printTable(io, result);
  });
  return command;
}

/** Builds the `dataset` command (with its `merge` sub-command). */
export function datasetCommand(io: CliIo): Command {
  const command = new Command('dataset')
    .description('explain a whole labelled data set into one Parquet table with class-wise summaries; shardable over a cluster, resumable')
    .option('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json')
    .option('-i, --input <dir|csv>', 'a folder with one sub-folder per class, or a CSV manifest path,label[,split]; .wav, .npy or .json files')
    .option('-o, --out <dir>', 'output folder: parts/, table.parquet, summary.json, report.html', 'wingbeats-xai-dataset')
    .addOption(new Option('--preset <name>', 'feature recipe for .wav inputs (default: from the model input shape)').choices(FEATURE_PRESET_NAMES))
    .option('--shard <i/n>', 'explain only shard i of n (0-based); default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX')
    .option('--shard-count <n>', 'number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID')
    .option('--limit <n>', 'only the first N examples (by path), for a quick look')
    .option('--chunk-size <n>', 'examples per part file: a killed run loses at most one chunk', '32')
    .option('--force', 'discard the results of an earlier run in --out and start over');
  addMultiMethodOptions(command, 'saliency');
  addTargetOptions(command);
  command.options.find((o) => o.long === '--target')!.description = "class to explain: 'label' (the example's label), a class index or name (default: the predicted class)";
  addCommonOptions(command);
  command.enablePositionalOptions().addCommand(mergeCommand(io));
  command.action(async (options: DatasetOptions) => {
    if (options.model === undefined) throw new WingbeatsError('INVALID_ARGUMENT', "Option '--model <file>' is required (the model to explain).");
    if (options.input === undefined) throw new WingbeatsError('INVALID_ARGUMENT', "Option '--input <dir|csv>' is required (a folder with one sub-folder per class, or a CSV manifest).");
    const log = createLogger(io, options);
    const { methods, methodOptions, seed, output, scores } = parseMultiMethodOptions({ ...options, target: undefined });
    const target = options.target === 'label' ? 'label' : parseMultiMethodOptions(options).target;
    const limit = parseInteger(options.limit, '--limit', 1);
    const chunkSize = parseInteger(options.chunkSize, '--chunk-size', 1) as number;
    const shard = resolveShard({ shard: options.shard, shardCount: parseInteger(options.shardCount, '--shard-count', 1) }, process.env);
    const model = await openModel(io, options.model);
    try {
      const progress = createProgress(io, `dataset${shard.count > 1 ? ` shard ${shard.index}/${shard.count}` : ''}: ${methods.join(', ')}`, { quiet: options.quiet });
      const { shard: outcome, table } = await explainDataset({
        model, modelFile: options.model, input: options.input, out: options.out, methods,
        methodOptions, target, output, scores, seed, preset: options.preset,
        shard, limit, chunkSize, force: options.force, onProgress: (done, total) => progress.update(done, total),
      });
      progress.done();
      log.info(`${outcome.explained} examples explained (${outcome.errors} failed), ${outcome.resumed} already done; parts in ${outcome.parts}`);
      if (shard.count > 1) {
        const result = { shard: `${shard.index}/${shard.count}`, parts: path.resolve(outcome.parts), examples: outcome.examples, explained: outcome.explained, resumed: outcome.resumed, errors: outcome.errors };
        if (options.json) writeJson(io, result);
        else io.stdout(`shard ${result.shard}: ${result.examples} examples (${result.resumed} done earlier, ${result.errors} failed); when every shard is done: wingbeats-xai dataset merge ${options.out}\n`);
        return;
      }
      const result = table as DatasetTableResult;
      if (options.json) writeJson(io, result);
      else printTable(io, result);
    } finally {
      model.dispose();
    }
  });
  return command;
}
