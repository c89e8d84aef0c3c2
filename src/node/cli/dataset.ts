/**
 * `wingbeats-xai dataset`: explains a labelled data set (a folder with one sub-folder per class, or a CSV manifest)
 * into one Parquet table with class-wise summaries and an HTML report; `--shard i/n` (or a Slurm array / Kubernetes
 * Indexed Job) explains one part of it, and `dataset merge DIR` joins the parts. Resumes when run again. Node only.
 */
import path from 'node:path';
import { Command } from 'commander';
import { attributionMethodNames } from '../../attribution/registry.js';
import { WingbeatsError } from '../../util/errors.js';
import type { OptionSpec } from '../../util/option-spec.js';
import { resolveShard } from '../../dataset/shard.js';
import { explainDataset } from '../dataset/explain-dataset.js';
import { mergeDataset, type DatasetTableResult } from '../dataset/merge.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { addSpecOptions, specValues } from './method-options.js';
import { addJobOptions, inputReadOptions, jobSettings, parseMethodList } from './options.js';
import { withModel } from './open-model.js';
import { checkOutputFolder } from './output-target.js';
import { createProgress } from './progress.js';

/** The command's own numeric options. */
const DATASET_OPTIONS = [
  {
    name: 'limit',
    flag: '--limit',
    type: 'integer',
    min: 1,
    max: 1e9,
    help: 'only the first N examples (by path), for a quick look',
  },
  {
    name: 'chunkSize',
    flag: '--chunk-size',
    type: 'integer',
    default: 32,
    min: 1,
    max: 100000,
    help: 'examples per part file: a killed run redoes at most one chunk',
  },
  {
    name: 'shardCount',
    flag: '--shard-count',
    type: 'integer',
    min: 1,
    max: 100000,
    help: 'number of shards when the index comes from JOB_COMPLETION_INDEX (Kubernetes) or SLURM_ARRAY_TASK_ID',
  },
] as const satisfies readonly OptionSpec[];

function printTable(io: CliIo, result: DatasetTableResult): void {
  const folder = path.dirname(result.table);
  const accuracy = result.summary.accuracy === null ? '' : `, accuracy ${(result.summary.accuracy * 100).toFixed(1)} %`;
  io.stdout(`table: ${result.table}\nexamples: ${result.examples}, errors: ${result.errors}${accuracy}\n`);
  io.stdout(`summary: ${path.join(folder, 'summary.json')}\nreport: ${path.join(folder, 'report.html')}\n`);
}

function mergeCommand(io: CliIo): Command {
  const command = new Command('merge')
    .description(
      'join the part files of every shard of a dataset run into the table, summaries and report; checks that each example was explained exactly once',
    )
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
    .description(
      'explain a whole labelled data set into one Parquet table with class-wise summaries; shardable over a cluster, resumable',
    )
    .option('-m, --model <file>', 'Keras .h5 (full, or weights-only wingbeats file) or TensorFlow.js model.json')
    .option(
      '-i, --input <dir|csv>',
      'a folder with one sub-folder per class, or a CSV manifest path,label[,split]; .wav, .npy or .json files',
    )
    .option(
      '-o, --out <dir>',
      'output folder: parts/, table.parquet, summary.json, report.html',
      'wingbeats-xai-dataset',
    )
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      'saliency',
    )
    .option(
      '--shard <i/n>',
      'explain only shard i of n (0-based); default from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX',
    )
    .option(
      '--force',
      'discard the results of an earlier run in --out and start over (never while one of its shards runs)',
    )
    .option(
      '--no-recompute',
      'refuse, instead of explaining again, rows of --out made by another model, recording bytes or version',
    );
  addSpecOptions(command, DATASET_OPTIONS);
  addCommonOptions(addJobOptions(command, { '--samples': '--noise-samples' }));
  command.options.find((o) => o.long === '--target')!.description =
    "class to explain: 'label' (each example's label), a class index or name";
  command.enablePositionalOptions().addCommand(mergeCommand(io));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    if (options.model === undefined)
      throw new WingbeatsError('INVALID_ARGUMENT', "Option '--model <file>' is required (the model to explain).");
    if (options.input === undefined)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        "Option '--input <dir|csv>' is required (a folder with one sub-folder per class, or a CSV manifest).",
      );
    const log = createLogger(io, options);
    const methods = parseMethodList(options.methods);
    const settings = jobSettings(options);
    const { limit, chunkSize, shardCount } = specValues(options, DATASET_OPTIONS) as {
      limit?: number;
      chunkSize: number;
      shardCount?: number;
    };
    const shard = resolveShard({ shard: options.shard, shardCount }, process.env);
    await checkOutputFolder(options.out);
    await withModel(io, options.model, async (model) => {
      const progress = createProgress(
        io,
        `dataset${shard.count > 1 ? ` shard ${shard.index}/${shard.count}` : ''}: ${methods.join(', ')}`,
        { quiet: options.quiet },
      );
      const { shard: outcome, table } = await explainDataset({
        model,
        modelFile: options.model,
        input: options.input,
        out: options.out,
        methods,
        methodOptions: settings.methodOptions,
        target: options.target === 'label' ? 'label' : settings.target,
        output: settings.output,
        scores: settings.scores,
        seed: settings.seed,
        batchSize: settings.batchSize,
        workers: settings.workers,
        backend: settings.backend,
        ...inputReadOptions(options),
        shard,
        limit,
        chunkSize,
        force: options.force,
        noRecompute: options.recompute === false,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.done();
      log.info(
        `${outcome.explained} examples explained (${outcome.errors} failed, ${outcome.recomputed} recomputed because their model, recording or version changed), ${outcome.resumed} already done; parts in ${outcome.parts}`,
      );
      if (table === undefined) {
        const result = {
          shard: `${shard.index}/${shard.count}`,
          parts: path.resolve(outcome.parts),
          examples: outcome.examples,
          explained: outcome.explained,
          resumed: outcome.resumed,
          recomputed: outcome.recomputed,
          errors: outcome.errors,
        };
        if (options.json) writeJson(io, result);
        else
          io.stdout(
            `shard ${result.shard}: ${result.examples} examples (${result.resumed} done earlier, ${result.errors} failed); when every shard is done: wingbeats-xai dataset merge ${options.out}\n`,
          );
      } else if (options.json) writeJson(io, { ...table, recomputed: outcome.recomputed });
      else printTable(io, table);
    });
  });
  return command;
}
