/**
 * `wingbeats-xai batch`: explains a folder or list of recordings (or input files) with one or more methods, one output
 * folder per file. Resumable: a file whose folder is complete is skipped (its folder appears only when all of its files
 * are written), and a file that fails is reported and does not stop the others.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import { attributionMethodNames } from '../../attribution/registry.js';
import { batchFileJob, type BatchInputSummary } from '../../pipeline/batch-file-job.js';
import { itemsPreset, readInputSources } from '../../pipeline/input-sources.js';
import { jsonFile, safeRelativePath } from '../../pipeline/output-files.js';
import { modelJson } from '../../pipeline/result-json.js';
import { readSource } from '../read-files.js';
import { listInputFiles } from '../input-paths.js';
import { addCommonOptions, formatError, writeJson, writeWarnings, type CliIo, type CommonOptions } from './common.js';
import { readBaselineFile, withModel } from './open-model.js';
import { addJobOptions, addModelInputOptions, inputReadOptions, jobSettings, parseMethodList } from './options.js';
import { createProgress } from './progress.js';
import { writeOutputs } from './staged-output.js';

/** The outcome of one input file. */
export interface BatchFileResult {
  file: string;
  folder: string;
  status: 'done' | 'skipped' | 'failed';
  error?: string;
  inputs?: BatchInputSummary[];
}


/** Builds the `batch` command. */
export function batchCommand(io: CliIo): Command {
  const command = addModelInputOptions(
    new Command('batch').description(
      'explain a folder or list of recordings with one or more methods; resumable, one folder per file',
    ),
  )
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      'saliency',
    )
    .option('--force', 'explain again files whose results already exist')
    .option('-o, --out <dir>', 'output folder: one sub-folder per input file, and batch.json', 'wingbeats-xai-batch');
  addCommonOptions(addJobOptions(command, { '--samples': '--noise-samples' }));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    const methods = parseMethodList(options.methods);
    const settings = jobSettings(options);
    await withModel(io, options.model, async (model) => {
      model.resolveOutput('batch', settings.output);
      // Files keep their path relative to the folder they were found in: siteA/rec.wav and siteB/rec.wav stay apart.
      const inputFiles = await listInputFiles(options.input);
      const files = inputFiles.map((f) => f.path);
      const progress = createProgress(
        io,
        `batch: ${files.length} files × ${methods.length} method${methods.length > 1 ? 's' : ''}`,
        { quiet: options.quiet },
      );
      const outcomes: BatchFileResult[] = [];
      for (const [index, file] of files.entries()) {
        const folder = inputFiles[index].name;
        const resultPath = path.join(options.out, safeRelativePath(folder), 'result.json');
        try {
          if (!options.force && existsSync(resultPath)) {
            outcomes.push({
              file,
              folder,
              status: 'skipped',
              inputs: JSON.parse(await readFile(resultPath, 'utf8')).inputs,
            });
          } else {
            const items = readInputSources([{ ...(await readSource(file)), label: folder }], model, inputReadOptions(options));
            writeWarnings(io, items);
            const baselines = await readBaselineFile(model, settings.methodOptions, items);
            const job = await batchFileJob(model, file, items, {
              ...settings,
              methods,
              baselines,
              preset: itemsPreset(items, model, options.preset),
            });
            await writeOutputs(path.join(options.out, safeRelativePath(folder)), job.files);
            outcomes.push({ file, folder, status: 'done', inputs: job.inputs });
          }
        } catch (error) {
          outcomes.push({
            file,
            folder,
            status: 'failed',
            error: error instanceof Error ? error.message : String(error),
          });
          io.stderr(formatError(error, false).replace(/^wingbeats-xai: /, `wingbeats-xai: ${file}: `));
        }
        progress.update(index + 1, files.length);
      }
      progress.done();
      const count = (status: BatchFileResult['status']): number => outcomes.filter((o) => o.status === status).length;
      const summary = {
        command: 'batch',
        model: modelJson(model, settings.output),
        head: model.outputNames[model.resolveOutput('batch', settings.output)],
        methods,
        out: path.resolve(options.out),
        counts: { done: count('done'), skipped: count('skipped'), failed: count('failed') },
        files: outcomes,
      };
      await writeOutputs(options.out, [jsonFile('batch.json', summary)]);
      if (options.json) writeJson(io, summary);
      for (const o of options.json ? [] : outcomes) {
        const what =
          o.status === 'failed'
            ? `failed: ${o.error}`
            : (o.inputs ?? []).map((i) => `${i.name} → ${i.targetName ?? `class ${i.target}`}`).join(', ');
        io.stdout(`${o.status.padEnd(7)} ${o.file}${what === '' ? '' : `: ${what}`}\n`);
      }
      if (summary.counts.failed > 0) {
        throw new WingbeatsError(
          'IO',
          `${summary.counts.failed} of ${files.length} files failed (see ${path.join(options.out, 'batch.json')}); run the same command again to retry only those.`,
        );
      }
    });
  });
  return command;
}
