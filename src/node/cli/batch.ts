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
import type { AttributionMethodName } from '../../attribution/registry.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../../signal/presets.js';
import { addCommonOptions, createLogger, toJson, writeJson, writeWarnings, type CliIo, type CommonOptions } from './common.js';
import { explainItems, modelJson, type ExplainedItem } from '../../pipeline/explain-items.js';
import { writeExplanationFiles } from './explanation-files.js';
import { resultJson } from '../../pipeline/result-json.js';
import { presetForModel, readBaselines, readInputs } from '../../pipeline/input-sources.js';
import { listInputFiles } from '../input-paths.js';
import { createProgress } from './progress.js';
import { writeStaged } from './staged-output.js';
import { addMultiMethodOptions, addRecordingOptions, addTargetOptions, parseMultiMethodOptions, parseRecordingOptions, safeFileName, safeRelativePath, type MultiMethodOptions, type RecordingOptions } from './options.js';

interface BatchOptions extends CommonOptions, MultiMethodOptions, RecordingOptions {
  model: string;
  input: string[];
  methods: string;
  target?: string;
  output?: string;
  scores: 'logits' | 'probabilities';
  seed: string;
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
  inputs?: { name: string; head: string; target: number; targetName?: string; probabilities: number[] | null; warnings: string[] }[];
}

const RESULT_FILE = 'result.json';

/** Builds the `batch` command. */
export function batchCommand(io: CliIo): Command {
  const command = new Command('batch')
    .description('explain a folder or list of recordings with one or more methods; resumable, one folder per file')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json')
    .requiredOption('-i, --input <paths...>', 'recordings (.wav), .npy or .json inputs, or folders of them (searched recursively; output folders keep the relative paths)')
    .option('--force', 'explain again files whose results already exist')
    .option('-o, --out <dir>', 'output folder: one sub-folder per input file, and batch.json', 'wingbeats-xai-batch');
  addMultiMethodOptions(command, 'saliency');
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: BatchOptions) => {
    const log = createLogger(io, options);
    const { methods, methodOptions, seed, output, target, scores } = parseMultiMethodOptions(options);
    const model = await openModel(io, options.model);
    try {
      const head = model.resolveOutput('batch', output);
      const recordingOptions = parseRecordingOptions(options);
      const inputFiles = await listInputFiles(options.input);
      const files = inputFiles.map((f) => f.path);
      const progress = createProgress(io, `batch: ${files.length} files × ${methods.length} method${methods.length > 1 ? 's' : ''}`, { quiet: options.quiet });
      const outcomes: BatchFileResult[] = [];
      for (const [index, { path: file, name: folder }] of inputFiles.entries()) {
        const folderPath = path.join(options.out, safeRelativePath(folder));
        const resultPath = path.join(folderPath, RESULT_FILE);
        if (!options.force && existsSync(resultPath)) {
          const previous = JSON.parse(await readFile(resultPath, 'utf8')) as { inputs?: BatchFileResult['inputs'] };
          outcomes.push({ file, folder, status: 'skipped', inputs: previous.inputs });
          log.debug(`${file}: already explained, skipped`);
          progress.update(index + 1, files.length);
          continue;
        }
        try {
          const items = await readInputs(file, model, { ...recordingOptions, name: folder });
          writeWarnings(io, items);
          const baselines = await readBaselines(methodOptions.baseline as string | undefined, items, model);
          const preset = items.some((i) => i.recording !== undefined) ? presetForModel(model, options.preset) : undefined;
          const perMethod: { method: AttributionMethodName; rows: ExplainedItem[] }[] = [];
          for (const method of methods) {
            perMethod.push({ method, rows: await explainItems(model, items, { method, target, output, scores, methodOptions, baselines, seed }) });
          }
          const inputs = perMethod[0].rows.map((row) => ({ name: row.item.name, head: row.head, target: row.target, targetName: row.targetName, probabilities: row.probabilities ?? null, warnings: row.item.warnings }));
          await writeStaged(folderPath, async (staged) => {
            for (const { method, rows } of perMethod) {
              for (const row of rows) await writeExplanationFiles(staged, `${safeFileName(path.basename(row.item.name))}.${method}`, row, { model, head, method, preset });
            }
            const results = perMethod.flatMap(({ method, rows }) => rows.map((row) => ({ method, ...resultJson(row, row.item.recording !== undefined) })));
            await staged.write(RESULT_FILE, `${toJson({ file, model: modelJson(model, output), ...(preset === undefined ? {} : { preset }), inputs, results })}\n`);
          });
          outcomes.push({ file, folder, status: 'done', inputs });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          outcomes.push({ file, folder, status: 'failed', error: message });
          io.stderr(`wingbeats-xai: ${file}: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
        }
        progress.update(index + 1, files.length);
      }
      progress.done();
      const summary = {
        command: 'batch',
        model: modelJson(model, output),
        head: model.outputNames[head],
        methods,
        out: path.resolve(options.out),
        counts: { done: outcomes.filter((o) => o.status === 'done').length, skipped: outcomes.filter((o) => o.status === 'skipped').length, failed: outcomes.filter((o) => o.status === 'failed').length },
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
        throw new WingbeatsError('IO', `${summary.counts.failed} of ${files.length} files failed (see ${path.join(options.out, 'batch.json')}); run the same command again to retry only those.`);
      }
    } finally {
      model.dispose();
    }
  });
  return command;
}
