/**
 * The file loop of `batch` (Node only): one output folder per input file, a complete folder is skipped (resume), a
 * failing file is recorded and does not stop the others. The explaining itself is the pipeline's `batchFileJob`.
 */
import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import type { ContrastOption } from '../attribution/contrast.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import { batchFileJob, type BatchInputSummary } from '../pipeline/batch-file-job.js';
import type { JobSettings } from '../pipeline/explain-items.js';
import { WingbeatsError } from '../util/errors.js';
import {
  itemsPreset,
  readBaselines,
  readInputSource,
  type InputItem,
  type InputReadOptions,
} from '../pipeline/input-sources.js';
import { safeRelativePath, type OutputFile } from '../pipeline/output-files.js';
import { parseJsonBytes } from '../io/json-text.js';
import type { InputFile } from './input-paths.js';
import { readFileBytes, readSource } from './read-files.js';
import { isDiskFull, removeStalePartials, writeOutputs } from './output/staged-output.js';
import {
  LIBRARY_VERSION,
  inputFingerprint,
  modelFingerprint,
  resumptionKey,
  type Provenance,
} from './resumption-key.js';

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
  /** Explain score(target) − score(contrast) (see `contrastiveAttribution`); part of the resumption key. */
  contrast?: ContrastOption;
  read: InputReadOptions;
  out: string;
  /** Explain again files whose folder is complete. */
  force?: boolean;
  /** Called after each file (its outcome, done, total). */
  onFile?: (outcome: BatchFileResult, done: number, total: number) => void;
  /** Called with the inputs of each file as they are read (e.g. to print their warnings). */
  onItems?: (items: readonly InputItem[]) => void;
  /** The model's file: its bytes (with a model.json's weight files) are part of every result's resumption key. */
  modelFile: string;
  /** Log lines (a stale result explained again). */
  onLog?: (message: string) => void;
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

/** The settings that change a result (everything but where it goes, the callbacks and the session it runs in). */
function keyedSettings(settings: BatchFilesSettings): Record<string, unknown> {
  const {
    session: _session,
    onFile: _onFile,
    onLog: _onLog,
    onItems: _onItems,
    out: _out,
    force: _force,
    modelFile: _modelFile,
    ...keyed
  } = settings;
  return keyed as Record<string, unknown>;
}

async function explainFile(
  model: ExplainableModel,
  file: string,
  folder: string,
  settings: BatchFilesSettings,
  modelHash: string,
): Promise<BatchFileResult> {
  const resultPath = path.join(settings.out, safeRelativePath(folder), 'result.json');
  const provenance: Provenance = {
    version: LIBRARY_VERSION,
    model: modelHash,
    input: await inputFingerprint(file),
    settings: keyedSettings(settings),
  };
  const resumeKey = resumptionKey(provenance);
  if (!settings.force) {
    const previous = await currentResult(resultPath, resumeKey);
    if (previous !== null) return { file, folder, status: 'skipped', inputs: previous };
    if (existsSync(resultPath))
      settings.onLog?.(`${file}: its result was made by another model, input, method or settings; explaining again`);
  }
  const items = readInputSource(
    { ...(await readSource(file, 'The --input file')), label: folder },
    model,
    settings.read,
  );
  settings.onItems?.(items);
  const baselineFile = settings.methodOptions?.baseline;
  const baselines =
    typeof baselineFile === 'string' && baselineFile !== 'zeros'
      ? readBaselines(await readSource(baselineFile, 'The --baseline file'), items, model)
      : undefined;
  const preset = itemsPreset(items, model, settings.read.preset);
  const job = await batchFileJob(model, file, items, { ...settings, baselines, preset });
  await writeOutputs(
    path.join(settings.out, safeRelativePath(folder)),
    withResumeKey(job.files, resumeKey, provenance),
    { mark: false },
  );
  return { file, folder, status: 'done', inputs: job.inputs };
}

/**
 * Removes what an interrupted run left (the caller holds the folder's lock): staging folders in the output folder and
 * in each file's folder, and file folders that are left empty. Returns how many staging folders were removed.
 */
export async function removeBatchPartials(out: string, folders: readonly string[]): Promise<number> {
  let removed = await removeStalePartials(out, { all: true });
  for (const folder of folders) {
    const folderPath = path.join(out, safeRelativePath(folder));
    const count = await removeStalePartials(folderPath, { all: true });
    removed += count;
    if (count > 0) await rmdir(folderPath).catch(() => undefined);
  }
  return removed;
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
  const modelHash = await modelFingerprint(settings.modelFile);
  const outcomes: BatchFileResult[] = [];
  for (const [index, file] of files.entries()) {
    let outcome: BatchFileResult;
    try {
      outcome = await explainFile(model, file, folders[index], settings, modelHash);
    } catch (error) {
      if (isDiskFull(error)) {
        throw new WingbeatsError(
          'IO',
          `No space left on the device while writing the results of '${file}' into '${settings.out}'; nothing half-written was kept. Free some space and run the same command again to resume.`,
          { cause: error },
        );
      }
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
