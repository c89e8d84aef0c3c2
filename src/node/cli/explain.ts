/** `wingbeats-xai explain`: attributions of one method for a recording or model inputs, as JSON, .npy and pictures. */
import { Command, Option } from 'commander';
import { attributionMethodNames, attributionMethods, type AttributionMethodName } from '../../attribution/registry.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../../signal/presets.js';
import { addCommonOptions, createLogger, toJson, writeJson, writeWarnings, type CliIo, type CommonOptions } from './common.js';
import { readBaselines, readInputFiles, presetForModel } from '../../pipeline/input-sources.js';
import { addMethodOptions, methodOptionValues } from './method-options.js';
import { explainItems, modelJson, parseTarget } from '../../pipeline/explain-items.js';
import { writeExplanationFiles } from './explanation-files.js';
import { explainedItemLine, resultJson } from '../../pipeline/result-json.js';
import { createProgress } from './progress.js';
import { writeStaged } from './staged-output.js';
import { addRecordingOptions, addTargetOptions, parseInteger, parseOutput, parseRecordingOptions, safeRelativePath, type RecordingOptions } from './options.js';

interface ExplainOptions extends CommonOptions, RecordingOptions {
  model: string;
  input: string[];
  method: AttributionMethodName;
  target?: string;
  output?: string;
  scores: 'logits' | 'probabilities';
  baseline: string;
  seed?: string;
  batchSize?: string;
  out?: string;
}

function methodsHelp(): string {
  const lines = attributionMethodNames.map((n) => {
    const { summary, options } = attributionMethods[n];
    return `  ${n.padEnd(22)}${summary}${options.length > 0 ? ` (${options.map((o) => o.flag).join(', ')})` : ''}`;
  });
  return `\nMethods:\n${lines.join('\n')}\n`;
}

/** Builds the `explain` command. */
export function explainCommand(io: CliIo): Command {
  const command = new Command('explain')
    .description('explain a model\'s prediction for a recording (.wav) or model inputs (.npy, .json)')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full, or weights-only wingbeats file) or TensorFlow.js model.json')
    .requiredOption('-i, --input <paths...>', '.wav recordings, .npy/.json files (one input or a list in the model layout), or folders of them (searched recursively)')
    .addOption(new Option('--method <name>', 'attribution method').choices(attributionMethodNames).default('saliency'))
    .option('--seed <n>', 'seed of sampled methods')
    .option('--batch-size <n>', 'rows per model call (default 64)')
    .option('-o, --out <dir>', 'write per input the attributions (.json, .npy), the heatmap (.npy) and pictures (.png, .svg)')
    .addHelpText('after', methodsHelp());
  addMethodOptions(command, { '--samples': '--noise-samples' });
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: ExplainOptions) => {
    const log = createLogger(io, options);
    const methodOptions = methodOptionValues(options as unknown as Record<string, unknown>);
    const seed = parseInteger(options.seed, '--seed', 0);
    const batchSize = parseInteger(options.batchSize, '--batch-size', 1);
    const output = parseOutput(options.output);
    const model = await openModel(io, options.model);
    try {
      log.debug(`loaded ${model.describe()}`);
      model.resolveOutput('explain', output);
      const items = await readInputFiles(options.input, model, parseRecordingOptions(options));
      writeWarnings(io, items);
      const fromRecording = items.some((i) => i.recording !== undefined);
      const preset = fromRecording ? presetForModel(model, options.preset) : undefined;
      const baselines = await readBaselines(methodOptions.baseline as string | undefined, items, model);
      const progress = createProgress(io, `${options.method} on ${items.length} input${items.length > 1 ? 's' : ''}`, { quiet: options.quiet });
      const rows = await explainItems(model, items, {
        method: options.method,
        target: parseTarget(options.target),
        output,
        scores: options.scores,
        methodOptions,
        baselines,
        seed,
        batchSize,
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      const document = {
        method: options.method,
        model: modelJson(model, output),
        head: model.outputNames[model.resolveOutput('explain', output)],
        warnings: [...new Set(items.flatMap((i) => i.warnings))],
        ...(preset === undefined ? {} : { preset }),
        results: rows.map((row) => resultJson(row, fromRecording)),
      };
      if (options.out !== undefined) {
        const written = await writeStaged(options.out, async (staged) => {
          const head = model.resolveOutput('explain', output);
          for (const row of rows) {
            await writeExplanationFiles(staged, `${safeRelativePath(row.item.name)}.${options.method}`, row, { model, head, method: options.method, preset, subtitle: `${row.item.name} — ${model.name}` });
          }
          await staged.write('explain.json', `${toJson(document)}\n`);
        });
        log.info(`wrote ${written.length} files to ${options.out}`);
      }
      if (options.json) writeJson(io, document);
      else {
        for (const row of rows) io.stdout(explainedItemLine(row, options.method));
      }
    } finally {
      model.dispose();
    }
  });
  return command;
}
