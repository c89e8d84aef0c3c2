/**
 * The file loop of `batch` (Node only): one output folder per input file, a complete folder is skipped (resume), a
 * failing file is recorded and does not stop the others. The explaining itself is the pipeline's `batchFileJob`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../util/errors.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import { batchFileJob, type BatchInputSummary } from '../pipeline/batch-file-job.js';
import type { JobSettings } from '../pipeline/explain-items.js';
import { itemsPreset, readBaselines, readInputSource, type InputReadOptions } from '../pipeline/input-sources.js';
import { safeFileName } from '../pipeline/output-files.js';
import { readSource } from './read-files.js';
import { writeOutputs } from './cli/staged-output.js';

/** The outcome of one input file. */
export interface BatchFileResult {
  file: string;
  folder: string;
  status: 'done' | 'skipped' | 'failed';
  error?: string;
  inputs?: BatchInputSummary[];
}

/** What {@link explainFiles} needs besides the model and the files. */
export interface BatchFilesSettings extends JobSettings {
  methods: readonly AttributionMethodName[];
  read: InputReadOptions;
  out: string;
  /** Explain again files whose folder is complete. */
  force?: boolean;
  /** Called after each file (its outcome, done, total). */
  onFile?: (outcome: BatchFileResult, done: number, total: number) => void;
}

/** Output folder names per file; two files that would share one are refused. */
export function outputFolders(files: readonly string[]): string[] {
  const seen = new Map<string, string>();
  return files.map((file) => {
    const folder = safeFileName(path.basename(file));
    const clash = seen.get(folder);
    if (clash !== undefined) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Inputs '${clash}' and '${file}' would share the output folder '${folder}'; rename one or run them separately.`,
      );
    }
    seen.set(folder, file);
    return folder;
  });
}

async function explainFile(
  model: ExplainableModel,
  file: string,
  folder: string,
  settings: BatchFilesSettings,
): Promise<BatchFileResult> {
  const resultPath = path.join(settings.out, folder, 'result.json');
  if (!settings.force && existsSync(resultPath)) {
    return { file, folder, status: 'skipped', inputs: JSON.parse(await readFile(resultPath, 'utf8')).inputs };
  }
  const items = readInputSource(await readSource(file), model, settings.read);
  const baselineFile = settings.methodOptions?.baseline;
  const baselines =
    typeof baselineFile === 'string' && baselineFile !== 'zeros'
      ? readBaselines(await readSource(baselineFile), items, model)
      : undefined;
  const preset = itemsPreset(items, model, settings.read.preset);
  const job = await batchFileJob(model, file, items, { ...settings, baselines, preset });
  await writeOutputs(path.join(settings.out, folder), job.files);
  return { file, folder, status: 'done', inputs: job.inputs };
}

/** Explains every file into its own folder under `settings.out`; returns one outcome per file. */
export async function explainFiles(
  model: ExplainableModel,
  files: readonly string[],
  settings: BatchFilesSettings,
): Promise<BatchFileResult[]> {
  const folders = outputFolders(files);
  const outcomes: BatchFileResult[] = [];
  for (const [index, file] of files.entries()) {
    let outcome: BatchFileResult;
    try {
      outcome = await explainFile(model, file, folders[index], settings);
    } catch (error) {
      outcome = {
        file,
        folder: folders[index],
        status: 'failed',
        error: error instanceof Error ? error.message : String(error),
      };
    }
    outcomes.push(outcome);
    settings.onFile?.(outcome, index + 1, files.length);
  }
  return outcomes;
}
