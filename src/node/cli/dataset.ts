/**
 * `wingbeats-xai dataset`: explains a labelled data set (a folder with one sub-folder per class, or a CSV manifest)
 * into one Parquet table with class-wise summaries and an HTML report; `--shard i/n` (or a Slurm array / Kubernetes
 * Indexed Job) explains one part of it, and `dataset merge DIR` joins the parts. Resumes when run again. Node only.
 */
import path from 'node:path';
import { Command } from 'commander';
import { attributionMethodNames } from '../../attribution/method-catalog.js';
import { WingbeatsError } from '../../util/errors.js';
import type { OptionSpec } from '../../util/option-spec.js';
import { resolveShard } from '../../dataset/shard.js';
import type { DatasetTableResult } from '../dataset/merge.js';
import { addCommonOptions, createLogger, PROGRAM_NAME, writeJson, type CliIo, type CommonOptions } from './common.js';
import { safeMessageText } from '../../util/errors.js';
import { SHOWN_FAILURES } from '../dataset/failure-limit.js';
import type { TargetOption } from '../../execution/targets.js';
import { commandSummary } from './command-summaries.js';
import { addSpecOptions, specValues, SAMPLES_ALIAS } from './method-options.js';
import {
  addJobOptions,
  addStatsOption,
  inputReadOptions,
  jobSettings,
  parseMethodList,
  statsOption,
} from './options.js';
import { checkOutputFolder } from '../output/output-target.js';
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
    name: 'processes',
    flag: '--processes',
    type: 'integer',
    min: 1,
    max: 256,
    help: 'run as N shard processes of one core each, merged at the end (default: --workers processes for 256 examples or more, else 1)',
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

/** One line per failed example (the first ten), then how many more; reasons cut to one short, printable line. */
function failureLines(failed: readonly { path: string; index: number; error: string }[], total: number): string {
  const shown = failed.slice(0, SHOWN_FAILURES).map((f) => {
    const name = f.index === 0 ? f.path : `${f.path}#${f.index}`;
    return `  ${safeMessageText(name.replace(/\s*\n\s*/g, ' '), 200)}: ${safeMessageText(f.error.replace(/\s+/g, ' '), 300)}\n`;
  });
  const more = total - shown.length;
  return (
    shown.join('') + (more > 0 ? `  ... and ${more} more (all in summary.json and the table's error column)\n` : '')
  );
}

/** The warnings a run leaves on stderr (even with --quiet): failed examples by name, inputs outside the training range. */
function writeRunWarnings(
  io: CliIo,
  counts: { examples: number; errors: number; outOfRange: number; warned: number },
  failed: readonly { path: string; index: number; error: string }[],
): void {
  const prefix = `${PROGRAM_NAME} warning:`;
  if (counts.errors > 0)
    io.stderr(
      `${prefix} ${counts.errors} of ${counts.examples} examples failed:\n${failureLines(failed, counts.errors)}`,
    );
  if (counts.outOfRange > 0)
    io.stderr(
      `${prefix} ${counts.outOfRange} of ${counts.examples} examples lie far outside the model's training range: their predictions and explanations describe an extrapolation (figures per example in the table's warnings column).\n`,
    );
  const other = counts.warned - counts.outOfRange;
  if (other > 0)
    io.stderr(
      `${prefix} ${other} of ${counts.examples} examples have other warnings about their input (resampled up from a low rate, a forced preset; see the table's warnings column).\n`,
    );
}

function tableWarnings(io: CliIo, result: DatasetTableResult): void {
  const { summary } = result;
  writeRunWarnings(
    io,
    {
      examples: summary.examples,
      errors: summary.errors,
      outOfRange: summary.warnings['out-of-range'],
      warned: summary.warnings.examples,
    },
    summary.failed,
  );
  if (summary.labelsOutsideModel.length > 0)
    io.stderr(
      `${PROGRAM_NAME} warning: labels that are not classes of the model, kept out of the accuracy: ${summary.labelsOutsideModel.map((l) => `${l.label} (${l.examples})`).join(', ')}; map folder names to class names with --label-map FILE.json.\n`,
    );
}

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
    // Loaded when the command runs, not for its help (it loads TensorFlow.js).
    const result = await (await import('../dataset/merge.js')).mergeDataset(dir);
    tableWarnings(io, result);
    if (options.json) writeJson(io, result);
    else printTable(io, result);
  });
  return command;
}

/** `--target` of `dataset`: `predicted` (the default), `label`, `rival`, or what the other commands take. */
function datasetTarget(
  text: string | undefined,
  parsed: TargetOption | undefined,
): TargetOption | 'label' | 'rival' | undefined {
  if (text === 'predicted') return undefined;
  if (text === 'label' || text === 'rival') return text;
  return parsed;
}

/** Builds the `dataset` command (with its `merge` sub-command). */
export function datasetCommand(io: CliIo): Command {
  const command = new Command('dataset')
    .description(commandSummary('dataset'))
    .option(
      '-m, --model <file>',
      'Keras .keras or .h5 (full model, or a wingbeats weights-only .h5) or TensorFlow.js model.json',
    )
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
    )
    .option(
      '--label-map <file>',
      'a JSON file {"folder name": "class name", ...} mapping the data set\'s labels to the class names of the model',
    );
  addSpecOptions(command, DATASET_OPTIONS);
  addStatsOption(command);
  addCommonOptions(addJobOptions(command, SAMPLES_ALIAS));
  command.options.find((o) => o.long === '--target')!.description =
    "class to explain: 'predicted' (default), 'label' (each example's label), 'rival' (the runner-up class), or a class index or name";
  command.enablePositionalOptions().addCommand(mergeCommand(io));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [{ explainDataset }, { withModel }, { childReporter, executionOf, plannedProcesses, runAsProcesses }] =
      await Promise.all([
        import('../dataset/explain-dataset.js'),
        import('./open-model.js'),
        import('./dataset-processes.js'),
      ]);
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
    const {
      limit,
      chunkSize,
      shardCount,
      processes: processOption,
    } = specValues(options, DATASET_OPTIONS) as {
      limit?: number;
      chunkSize: number;
      shardCount?: number;
      processes?: number;
    };
    const shard = resolveShard({ shard: options.shard, shardCount }, process.env);
    // Only the place (a folder, writable, not a file): a data-set run folder keeps its own rule (its settings.json).
    await checkOutputFolder(options.out, { force: true });
    const processes = await plannedProcesses({
      input: options.input,
      out: options.out,
      limit,
      chunkSize,
      workers: settings.workers,
      processes: processOption,
      shard: options.shard,
      env: process.env,
      force: options.force,
    });
    if (processes !== undefined) {
      const execution = executionOf(processes);
      log.info(`dataset: ${execution.text} (one shard each, merged at the end)`);
      const progress = createProgress(io, `dataset (${execution.text}): ${methods.join(', ')}`, {
        quiet: options.quiet,
      });
      const { outcome, table } = await runAsProcesses({
        argv: (command.parent as { rawArgs?: string[] } | null)?.rawArgs ?? [],
        out: options.out,
        processes,
        force: options.force,
        onProgress: (done, total) => progress.update(done, total),
      });
      progress.done();
      log.info(
        `${outcome.explained} examples explained (${outcome.errors} failed, ${outcome.recomputed} recomputed because their model, recording or version changed), ${outcome.resumed} already done; ${execution.text}`,
      );
      tableWarnings(io, table);
      if (options.json) writeJson(io, { ...table, recomputed: outcome.recomputed });
      else printTable(io, table);
      return;
    }
    const child = childReporter();
    await withModel(io, options.model, async (model, session) => {
      const progress = createProgress(
        io,
        `dataset${shard.count > 1 ? ` shard ${shard.index}/${shard.count}` : ''}: ${methods.join(', ')}`,
        { quiet: options.quiet },
      );
      const { shard: outcome, table } = await explainDataset({
        model,
        session,
        modelFile: options.model,
        input: options.input,
        out: options.out,
        methods,
        methodOptions: settings.methodOptions,
        target: datasetTarget(options.target as string | undefined, settings.target),
        labelMap: options.labelMap as string | undefined,
        stats: statsOption(options)?.file,
        output: settings.output,
        scores: settings.scores,
        seed: settings.seed,
        batchSize: settings.batchSize,
        workers: settings.workers,
        engine: settings.engine,
        ...inputReadOptions(options),
        shard,
        limit,
        chunkSize,
        force: options.force,
        noRecompute: options.recompute === false,
        onProgress: (done, total) => {
          progress.update(done, total);
          child?.progress(done, total);
        },
      });
      progress.done();
      await child?.outcome(outcome);
      log.info(
        `${outcome.explained} examples explained (${outcome.errors} failed, ${outcome.recomputed} recomputed because their model, recording or version changed), ${outcome.resumed} already done; parts in ${outcome.parts}`,
      );
      if (table !== undefined) tableWarnings(io, table);
      else
        writeRunWarnings(
          io,
          {
            examples: outcome.explained,
            errors: outcome.errors,
            outOfRange: outcome.outOfRange,
            warned: outcome.warned,
          },
          outcome.failed,
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
