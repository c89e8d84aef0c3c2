/**
 * `wingbeats-xai batch`: explains a folder or list of recordings (or input files) with one or more methods, one output
 * folder per file. Resumable: a file whose folder is complete is skipped (its folder appears only when all of its files
 * are written), and a file that fails is reported and does not stop the others.
 */
import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import { attributionMethodNames } from '../../attribution/registry.js';
import { batchFileJob, type BatchInputSummary } from '../../pipeline/batch-file-job.js';
import { itemsPreset } from '../../pipeline/input-sources.js';
import { jsonFile, safeFileName } from '../../pipeline/output-files.js';
import { modelJson } from '../../pipeline/result-json.js';
import { expandInputPaths } from '../read-files.js';
import { addCommonOptions, createLogger, formatError, writeJson, type CliIo, type CommonOptions } from './common.js';
import { readBaselineFile, readItems, withModel } from './open-model.js';
import { addJobOptions, addModelInputOptions, inputReadOptions, jobSettings, parseMethodList } from './options.js';
import { createProgress } from './progress.js';
import { isDiskFull, removeStalePartials, writeOutputs } from './staged-output.js';
import { checkOutputFolder } from './output-target.js';
import { checkTargetOption } from './early-checks.js';
import { lockFolder } from '../folder-lock.js';
import { readFileBytes } from '../read-files.js';
import { parseJsonBytes } from '../../io/json-text.js';
import type { OutputFile } from '../../pipeline/output-files.js';
import { LIBRARY_VERSION, inputFingerprint, modelFingerprint, resumptionKey, type Provenance } from './resumption-key.js';

/** The outcome of one input file. */
export interface BatchFileResult {
  file: string;
  folder: string;
  status: 'done' | 'skipped' | 'failed';
  error?: string;
  inputs?: BatchInputSummary[];
}

/** Output folder names per file; two files that would share one are refused. */
function outputFolders(files: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return files.map((file) => {
    const folder = safeFileName(path.basename(file));
    const clash = seen.get(folder);
    if (clash !== undefined)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Inputs '${clash}' and '${file}' would share the output folder '${folder}'; rename one or run them separately.`,
      );
    seen.set(folder, file);
    return folder;
  });
}

/** Builds the `batch` command. */
export function batchCommand(io: CliIo): Command {
  const command = addModelInputOptions(
    new Command('batch').description(
      'explain a folder or list of recordings with one or more methods; resumable, one folder per file',
    ),
    'many',
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
    if (options.out !== undefined) await checkOutputFolder(options.out);
    await withModel(io, options.model, async (model) => {
      model.resolveOutput('batch', settings.output);
      checkTargetOption('batch', model, settings.target, settings.output);
      const files = await expandInputPaths(options.input);
      const folders = outputFolders(files);
      const lock = await lockFolder(options.out, 'batch');
      try {
        const log = createLogger(io, options);
        if (lock.tookOverStale) log.info(`batch: took over the lock of a run that was killed (${lock.path})`);
        const cleaned = await removeBatchPartials(options.out, folders);
        if (cleaned > 0) log.info(`batch: removed ${cleaned} unfinished output folder${cleaned > 1 ? 's' : ''} of an interrupted run`);
        const modelHash = await modelFingerprint(options.model);
        const keyed = { ...settings, methods, preset: options.preset, windows: options.windows, baseline: settings.methodOptions?.baseline };
        const progress = createProgress(
          io,
          `batch: ${files.length} files × ${methods.length} method${methods.length > 1 ? 's' : ''}`,
          { quiet: options.quiet },
        );
        const outcomes: BatchFileResult[] = [];
        for (const [index, file] of files.entries()) {
          const folder = folders[index];
          const resultPath = path.join(options.out, folder, 'result.json');
          try {
            const provenance: Provenance = { version: LIBRARY_VERSION, model: modelHash, input: await inputFingerprint(file), settings: keyed };
            const resumeKey = resumptionKey(provenance);
            const previous = options.force ? null : await currentResult(resultPath, resumeKey);
            if (previous !== null) {
              outcomes.push({ file, folder, status: 'skipped', inputs: previous });
            } else {
              if (!options.force && existsSync(resultPath)) log.info(`${file}: its result was made by another model, input, method or settings; explaining again`);
              const items = await readItems(model, file, inputReadOptions(options));
              const baselines = await readBaselineFile(model, settings.methodOptions, items);
              const job = await batchFileJob(model, file, items, {
                ...settings,
                methods,
                baselines,
                preset: itemsPreset(items, model, options.preset),
              });
              await writeOutputs(path.join(options.out, folder), withResumeKey(job.files, resumeKey, provenance));
              outcomes.push({ file, folder, status: 'done', inputs: job.inputs });
            }
          } catch (error) {
            if (isDiskFull(error)) {
              throw new WingbeatsError(
                'IO',
                `No space left on the device while writing the results of '${file}' into '${options.out}'; nothing half-written was kept. Free some space and run the same command again to resume.`,
                { cause: error },
              );
            }
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
      } finally {
        await lock.release();
      }
    });
  });
  return command;
}

/** The stored inputs of a file's result, if it was produced by exactly this model, input and settings. */
async function currentResult(resultPath: string, key: string): Promise<BatchInputSummary[] | null> {
  let stored: unknown;
  try {
    stored = parseJsonBytes(await readFileBytes(resultPath, { what: 'The result file' }), `'${resultPath}'`);
  } catch {
    return null; // missing or damaged: explain again
  }
  const result = stored as { resumeKey?: unknown; inputs?: BatchInputSummary[] } | null;
  return result !== null && typeof result === 'object' && result.resumeKey === key ? (result.inputs ?? []) : null;
}

/** The job's files with `result.json` carrying what produced it (the key the next run compares). */
function withResumeKey(files: readonly OutputFile[], resumeKey: string, producedBy: Provenance): OutputFile[] {
  return files.map((file) => {
    if (file.name !== 'result.json' || !('text' in file)) return file;
    const document = JSON.parse(file.text) as Record<string, unknown>;
    return { ...file, text: `${JSON.stringify({ ...document, resumeKey, producedBy })}\n` };
  });
}

/**
 * Removes what an interrupted run left (the caller holds the folder's lock): staging folders in the output folder and
 * in each file's folder, and file folders that are left empty.
 */
async function removeBatchPartials(out: string, folders: readonly string[]): Promise<number> {
  let removed = await removeStalePartials(out, { all: true });
  for (const folder of folders) {
    const folderPath = path.join(out, folder);
    const count = await removeStalePartials(folderPath, { all: true });
    removed += count;
    if (count > 0) await rmdir(folderPath).catch(() => undefined);
  }
  return removed;
}
