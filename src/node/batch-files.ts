/**
 * The file loop of `batch` (Node only): one output folder per input file, a complete folder is skipped (resume), a
 * failing file is recorded and does not stop the others. The explaining itself is the pipeline's `batchFileJob`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import { batchFileJob, type BatchInputSummary } from '../pipeline/batch-file-job.js';
import type { JobSettings } from '../pipeline/explain-items.js';
import {
  itemsPreset,
  readBaselines,
  readInputSource,
  type InputItem,
  type InputReadOptions,
} from '../pipeline/input-sources.js';
import { safeRelativePath } from '../pipeline/output-files.js';
import type { InputFile } from './input-paths.js';
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
  /** Called with the inputs of each file as they are read (e.g. to print their warnings). */
  onItems?: (items: readonly InputItem[]) => void;
}


async function explainFile(
  model: ExplainableModel,
  file: string,
  folder: string,
  settings: BatchFilesSettings,
): Promise<BatchFileResult> {
  const resultPath = path.join(settings.out, safeRelativePath(folder), 'result.json');
  if (!settings.force && existsSync(resultPath)) {
    return { file, folder, status: 'skipped', inputs: JSON.parse(await readFile(resultPath, 'utf8')).inputs };
  }
  const items = readInputSource({ ...(await readSource(file)), label: folder }, model, settings.read);
  settings.onItems?.(items);
  const baselineFile = settings.methodOptions?.baseline;
  const baselines =
    typeof baselineFile === 'string' && baselineFile !== 'zeros'
      ? readBaselines(await readSource(baselineFile), items, model)
      : undefined;
  const preset = itemsPreset(items, model, settings.read.preset);
  const job = await batchFileJob(model, file, items, { ...settings, baselines, preset });
  await writeOutputs(path.join(settings.out, safeRelativePath(folder)), job.files);
  return { file, folder, status: 'done', inputs: job.inputs };
}

/**
 * Explains every file into its own folder under `settings.out`, named by the file's path relative to the folder it was
 * found in ({@link listInputFiles}: `siteA/rec.wav` and `siteB/rec.wav` stay apart); returns one outcome per file.
 */
export async function explainFiles(
  model: ExplainableModel,
  inputFiles: readonly InputFile[],
  settings: BatchFilesSettings,
): Promise<BatchFileResult[]> {
  const files = inputFiles.map((f) => f.path);
  const folders = inputFiles.map((f) => f.name);
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
