/** `wingbeats-xai batch`: a folder or list of recordings explained with one or more methods; resumable, one folder per file. */
import path from 'node:path';
import { SAMPLES_ALIAS } from './method-options.js';
import { Command } from 'commander';
import { WingbeatsError, safeMessageText } from '../../util/errors.js';
import { attributionMethodNames } from '../../attribution/method-catalog.js';
import { jsonFile } from '../../pipeline/output-files.js';
import type { BatchFileResult } from '../batch-files.js';
import { listInputFiles } from '../input-paths.js';
import { lockFolder } from '../folder-lock.js';
import { checkOutputFolder } from '../output/output-target.js';
import { checkTargetOption } from './early-checks.js';
import { addContrastOption, contrastSetting } from './contrast-option.js';
import { addCommonOptions, createLogger, writeJson, writeWarnings, type CliIo, type CommonOptions } from './common.js';
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
import { writeOutputs } from '../output/staged-output.js';

function outcomeLine(o: BatchFileResult): string {
  const what =
    o.status === 'failed'
      ? (o.error ?? '')
      : (o.inputs ?? []).map((i) => `${i.name} → ${i.targetName ?? `class ${i.target}`}`).join(', ');
  // File names and messages are data: control characters and bidirectional overrides are printed as escapes.
  return `${safeMessageText(`${o.status.padEnd(7)} ${o.file}${what === '' ? '' : `: ${what}`}`.replace(/\s*\n\s*/g, ' '), Number.POSITIVE_INFINITY)}\n`;
}

/** Builds the `batch` command. */
export function batchCommand(io: CliIo): Command {
  const command = addModelInputOptions(new Command('batch').description(commandSummary('batch')))
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      'saliency',
    )
    .option(
      '--force',
      'explain again files whose results already exist, and write into an --out folder that holds files this program did not write',
    )
    .option('-o, --out <dir>', 'output folder: one sub-folder per input file, and batch.json', 'wingbeats-xai-batch');
  addStatsOption(command);
  addContrastOption(command);
  addCommonOptions(addJobOptions(command, SAMPLES_ALIAS));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [{ modelJson }, { explainFiles, removeBatchPartials }, { withModel }] = await Promise.all([
      import('../../pipeline/result-json.js'),
      import('../batch-files.js'),
      import('./open-model.js'),
    ]);
    const settings = {
      ...jobSettings(options),
      methods: parseMethodList(options.methods),
      ...contrastSetting(options),
      read: inputReadOptions(options),
      out: options.out,
      force: options.force === true,
    };
    await checkOutputFolder(options.out, { force: options.force === true });
    await withModel(
      io,
      { model: options.model, labels: options.labels, quiet: options.quiet },
      async (model, session) => {
        model.resolveOutput('batch', settings.output);
        checkTargetOption('batch', model, settings.target, settings.output);
        const files = await listInputFiles(options.input, { outputs: [options.out] });
        const folders = files.map((f) => f.name);
        const log = createLogger(io, options);
        const lock = await lockFolder(options.out, 'batch');
        let outcomes: BatchFileResult[];
        try {
          if (lock.tookOverStale) log.info(`batch: took over the lock of a run that was killed (${lock.path})`);
          const cleaned = await removeBatchPartials(options.out, folders);
          if (cleaned > 0)
            log.info(
              `batch: removed ${cleaned} unfinished output folder${cleaned > 1 ? 's' : ''} of an interrupted run`,
            );
          const progress = createProgress(io, `batch: ${files.length} files × ${settings.methods.length} method(s)`, {
            quiet: options.quiet,
          });
          outcomes = await explainFiles(model, files, {
            ...settings,
            session,
            modelFile: options.model,
            onLog: (message) => log.info(message),
            onItems: (items) => writeWarnings(io, items),
            onFile: (o, done, total) => {
              if (o.status === 'failed')
                io.stderr(
                  `wingbeats-xai: ${safeMessageText(`${o.file}: ${o.error ?? ''}`.replace(/\s*\n\s*/g, ' '))}\n`,
                );
              progress.update(done, total);
            },
          });
          progress.done();
        } finally {
          await lock.release();
        }
        const count = (status: BatchFileResult['status']): number => outcomes.filter((o) => o.status === status).length;
        const summary = {
          command: 'batch',
          model: modelJson(model, settings.output),
          head: model.outputNames[model.resolveOutput('batch', settings.output)],
          methods: settings.methods,
          out: path.resolve(options.out),
          counts: { done: count('done'), skipped: count('skipped'), failed: count('failed') },
          files: outcomes,
        };
        await writeOutputs(options.out, [jsonFile('batch.json', summary)]);
        if (options.json) writeJson(io, summary);
        else io.stdout(outcomes.map(outcomeLine).join(''));
        if (summary.counts.failed > 0)
          throw new WingbeatsError(
            'IO',
            `${summary.counts.failed} of ${files.length} files failed (see ${path.join(options.out, 'batch.json')}); run the same command again to retry only those.`,
          );
      },
    );
  });
  return command;
}
