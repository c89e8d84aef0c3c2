/**
 * `wingbeats-xai batch`: explains a folder or list of recordings (or input files) with one or more methods, one output
 * folder per file. Resumable: a file whose folder is complete is skipped (its folder appears only when all of its files
 * are written), and a file that fails is reported and does not stop the others.
 */
import { existsSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { WingbeatsError } from '../core/errors.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../signal/presets.js';
import { addCommonOptions, createLogger, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { explainItems, modelJson, type ExplainedItem } from './explain-run.js';
import { writeExplanationFiles } from './explanation-files.js';
import { resultJson } from './explain-json.js';
import { presetForModel, readInputs } from './read-inputs.js';
import { expandInputPaths } from './stats.js';
import { createProgress } from './progress.js';
import { isDiskFull, removeStalePartials, writeStaged } from './staged-output.js';
import { lockFolder } from '../io/folder-lock.js';
import { FILE_SIZE_LIMITS, readRegularFile } from '../io/read-regular-file.js';
import { parseJsonBytes } from '../core/json-text.js';
import type { ExplainableModel } from '../core/explainable-model.js';
import { LIBRARY_VERSION, inputFingerprint, modelFingerprint, resumptionKey, type Provenance } from './resumption-key.js';
import { addMultiMethodOptions, addRecordingOptions, addTargetOptions, parseMultiMethodOptions, safeFileName, type MultiMethodOptions } from './options.js';
import { checkOutputFolder } from './output-target.js';
import { checkTargetOption } from './early-checks.js';

interface BatchOptions extends CommonOptions, MultiMethodOptions {
  model: string;
  input: string[];
  methods: string;
  target?: string;
  output?: string;
  scores: 'logits' | 'probabilities';
  steps?: string;
  samples?: string;
  seed: string;
  preset?: string;
  windows: 'loudest' | 'first' | 'all';
  force?: boolean;
  out: string;
}

/** The outcome of one input file. */
export interface BatchFileResult {
  file: string;
  folder: string;
  status: 'done' | 'skipped' | 'failed';
  error?: string;
  /** Per input of the file: its name, explained target and probabilities. */
  inputs?: { name: string; target: number; targetName?: string; probabilities: number[] | null }[];
}

const RESULT_FILE = 'result.json';

/** Builds the `batch` command. */
export function batchCommand(io: CliIo): Command {
  const command = new Command('batch')
    .description('explain a folder or list of recordings with one or more methods; resumable, one folder per file')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json')
    .requiredOption('-i, --input <paths...>', 'recordings (.wav), .npy or .json inputs, or folders of them')
    .option('--force', 'explain again files whose results already exist')
    .option('-o, --out <dir>', 'output folder: one sub-folder per input file, and batch.json', 'wingbeats-xai-batch');
  addMultiMethodOptions(command, 'saliency');
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: BatchOptions) => {
    const log = createLogger(io, options);
    const parsed = parseMultiMethodOptions(options);
    await checkOutputFolder(options.out);
    const model = await openModel(io, options.model);
    try {
      const head = model.resolveOutput('batch', parsed.output);
      checkTargetOption('batch', model, parsed.target, parsed.output);
      const files = await expandInputPaths(options.input);
      const folders = new Map<string, string>();
      for (const file of files) {
        const folder = safeFileName(path.basename(file));
        const clash = folders.get(folder);
        if (clash !== undefined) throw new WingbeatsError('INVALID_ARGUMENT', `Inputs '${clash}' and '${file}' would share the output folder '${folder}'; rename one or run them separately.`);
        folders.set(folder, file);
      }
      const lock = await lockFolder(options.out, 'batch');
      try {
        if (lock.tookOverStale) log.info(`batch: took over the lock of a run that was killed (${lock.path})`);
        const cleaned = await removeBatchPartials(options.out, [...folders.keys()]);
        if (cleaned > 0) log.info(`batch: removed ${cleaned} unfinished output folder${cleaned > 1 ? 's' : ''} of an interrupted run`);
        const settings: Record<string, unknown> = { ...parsed, preset: options.preset, windows: options.windows };
        const modelHash = await modelFingerprint(options.model);
        const run: BatchRun = { model, head, parsed, options, log, provenance: async (file) => ({ version: LIBRARY_VERSION, model: modelHash, input: await inputFingerprint(file), settings }) };
        const progress = createProgress(io, `batch: ${files.length} files × ${parsed.methods.length} method${parsed.methods.length > 1 ? 's' : ''}`, { quiet: options.quiet });
        const outcomes: BatchFileResult[] = [];
        for (const [index, file] of files.entries()) {
          const outcome = await batchFile(file, run);
          outcomes.push(outcome);
          if (outcome.status === 'failed') io.stderr(`wingbeats-xai: ${file}: ${(outcome.error ?? '').replace(/\s*\n\s*/g, ' ')}\n`);
          progress.update(index + 1, files.length);
        }
        progress.done();
        await finishBatch(io, options, model, parsed.output, parsed.methods, outcomes);
      } finally {
        await lock.release();
      }
    } finally {
      model.dispose();
    }
  });
  return command;
}

/** What every file of one batch run shares. */
interface BatchRun {
  model: ExplainableModel;
  head: number;
  parsed: ReturnType<typeof parseMultiMethodOptions>;
  options: BatchOptions;
  log: ReturnType<typeof createLogger>;
  provenance: (file: string) => Promise<Provenance>;
}

/** The stored result of a file, if it was produced by exactly this model, input and settings. */
async function currentResult(resultPath: string, key: string): Promise<BatchFileResult['inputs'] | null> {
  let previous: unknown;
  try {
    previous = parseJsonBytes(await readRegularFile(resultPath, { what: 'The result file', maxBytes: FILE_SIZE_LIMITS.json }), `'${resultPath}'`);
  } catch {
    return null; // missing or damaged: explain again
  }
  const stored = previous as { resumeKey?: unknown; inputs?: BatchFileResult['inputs'] };
  return stored !== null && typeof stored === 'object' && stored.resumeKey === key ? (stored.inputs ?? []) : null;
}

/** Explains one file (or skips it when its stored result is current); a failure is returned, a full disk thrown. */
async function batchFile(file: string, run: BatchRun): Promise<BatchFileResult> {
  const { model, head, parsed, options, log } = run;
  const folder = safeFileName(path.basename(file));
  const folderPath = path.join(options.out, folder);
  const resultPath = path.join(folderPath, RESULT_FILE);
  try {
    const provenance = await run.provenance(file);
    const resumeKey = resumptionKey(provenance);
    if (!options.force) {
      const previous = await currentResult(resultPath, resumeKey);
      if (previous !== null) {
        log.debug(`${file}: already explained with this model and these settings, skipped`);
        return { file, folder, status: 'skipped', inputs: previous };
      }
      if (existsSync(resultPath)) log.info(`${file}: its result was made by another model, input, method or settings; explaining again`);
    }
    const { methods, target, output, scores, steps, samples, seed } = parsed;
    const items = await readInputs(file, model, { preset: options.preset, windows: options.windows });
    const preset = items.some((i) => i.recording !== undefined) ? presetForModel(model, options.preset) : undefined;
    const perMethod: { method: AttributionMethodName; rows: ExplainedItem[] }[] = [];
    for (const method of methods) {
      perMethod.push({ method, rows: await explainItems(model, items, { method, target, output, scores, steps, samples, seed }) });
    }
    const inputs = perMethod[0].rows.map((row) => ({ name: row.item.name, target: row.target, targetName: row.targetName, probabilities: row.probabilities ?? null }));
    await writeStaged(folderPath, async (staged) => {
      for (const { method, rows } of perMethod) {
        for (const row of rows) await writeExplanationFiles(staged, `${safeFileName(row.item.name)}.${method}`, row, { model, head, method, preset });
      }
      const results = perMethod.flatMap(({ method, rows }) => rows.map((row) => ({ method, ...resultJson(row, row.item.recording !== undefined) })));
      const document = { file, model: modelJson(model, output), ...(preset === undefined ? {} : { preset }), inputs, results, resumeKey, producedBy: provenance };
      await staged.write(RESULT_FILE, `${toJson(document)}\n`);
    });
    return { file, folder, status: 'done', inputs };
  } catch (error) {
    if (isDiskFull(error)) {
      throw new WingbeatsError('IO', `No space left on the device while writing the results of '${file}' into '${options.out}'; nothing half-written was kept. Free some space and run the same command again to resume.`, { cause: error });
    }
    return { file, folder, status: 'failed', error: error instanceof Error ? error.message : String(error) };
  }
}

/** Writes batch.json, prints the outcomes, and throws when some file failed. */
async function finishBatch(io: CliIo, options: BatchOptions, model: ExplainableModel, output: string | number | undefined, methods: AttributionMethodName[], outcomes: BatchFileResult[]): Promise<void> {
  const count = (status: BatchFileResult['status']): number => outcomes.filter((o) => o.status === status).length;
  const summary = {
    command: 'batch',
    model: modelJson(model, output),
    methods,
    out: path.resolve(options.out),
    counts: { done: count('done'), skipped: count('skipped'), failed: count('failed') },
    files: outcomes,
  };
  await writeStaged(options.out, async (staged) => {
    await staged.write('batch.json', `${toJson(summary)}\n`);
  });
  if (options.json) writeJson(io, summary);
  else {
    for (const o of outcomes) {
      const what = o.status === 'failed' ? `failed: ${o.error}` : (o.inputs ?? []).map((i) => `${i.name} → ${i.targetName ?? `class ${i.target}`}`).join(', ');
      io.stdout(`${o.status.padEnd(7)} ${o.file}${what === '' ? '' : `: ${what}`}\n`);
    }
  }
  if (summary.counts.failed > 0) {
    throw new WingbeatsError('IO', `${summary.counts.failed} of ${outcomes.length} files failed (see ${path.join(options.out, 'batch.json')}); run the same command again to retry only those.`);
  }
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
