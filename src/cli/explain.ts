/** `wingbeats-xai explain`: attributions of one method for a recording or model inputs, as JSON, .npy and pictures. */
import { Command, Option } from 'commander';
import { WingbeatsError } from '../core/errors.js';
import { attributionMethodNames, attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import { integrationMethods, type IntegrationMethod } from '../attribution/integral-approximation.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../signal/presets.js';
import { addCommonOptions, createLogger, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { readInputs, presetForModel, type InputItem } from './read-inputs.js';
import { explainItems, modelJson, parseTarget } from './explain-run.js';
import { writeExplanationFiles } from './explanation-files.js';
import { resultJson } from './explain-json.js';
import { createProgress } from './progress.js';
import { writeStaged } from './staged-output.js';
import { addRecordingOptions, addTargetOptions, parseInteger, parseOutput, safeFileName } from './options.js';
import { checkOutputFolder } from './output-target.js';
import { checkTargetOption } from './early-checks.js';

interface ExplainOptions extends CommonOptions {
  model: string;
  input: string;
  method: AttributionMethodName;
  target?: string;
  output?: string;
  scores: 'logits' | 'probabilities';
  baseline: string;
  steps?: string;
  integration: IntegrationMethod;
  samples?: string;
  seed?: string;
  batchSize?: string;
  preset?: string;
  windows: 'loudest' | 'first' | 'all';
  out?: string;
}

async function readBaselines(file: string, items: InputItem[], model: Parameters<typeof readInputs>[1]): Promise<Float32Array[] | undefined> {
  if (file === 'zeros') return undefined;
  if (file.toLowerCase().endsWith('.wav')) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--baseline' must be 'zeros' or a .json/.npy file but got '${file}'.`);
  const baselines = await readInputs(file, model, { option: '--baseline' });
  if (baselines.length !== 1 && baselines.length !== items.length) {
    throw new WingbeatsError('SHAPE_MISMATCH', `Option '--baseline' holds ${baselines.length} inputs but there are ${items.length} inputs to explain (give one baseline, or one per input).`);
  }
  return baselines.map((b) => b.data);
}

/** Builds the `explain` command. */
export function explainCommand(io: CliIo): Command {
  const command = new Command('explain')
    .description('explain a model\'s prediction for a recording (.wav) or model inputs (.npy, .json)')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full, or weights-only wingbeats file) or TensorFlow.js model.json')
    .requiredOption('-i, --input <file>', '.wav recording, or .npy/.json with one input or a list of inputs in the model layout')
    .addOption(new Option('--method <name>', 'attribution method').choices(attributionMethodNames).default('saliency'))
    .option('--baseline <zeros|file>', "integrated gradients baseline: 'zeros' or a .json/.npy input (one, or one per input)", 'zeros')
    .option('--steps <n>', 'integrated gradients: number of path steps (default 50)')
    .addOption(new Option('--integration <rule>', 'integrated gradients: quadrature rule').choices([...integrationMethods]).default('trapezoid'))
    .option('--samples <n>', 'smoothgrad: number of noisy samples (default 25)')
    .option('--seed <n>', 'seed of sampled methods')
    .option('--batch-size <n>', 'rows per model call (default 64)')
    .option('-o, --out <dir>', 'write per input the attributions (.json, .npy), the heatmap (.npy) and pictures (.png, .svg)')
    .addHelpText('after', `\nMethods:\n${attributionMethodNames.map((n) => `  ${n.padEnd(22)}${attributionMethods[n].summary}${attributionMethods[n].tuning.length > 0 ? ` (${attributionMethods[n].tuning.map((t) => `--${t}`).join(', ')})` : ''}`).join('\n')}\n`);
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: ExplainOptions) => {
    const log = createLogger(io, options);
    const steps = parseInteger(options.steps, '--steps', 1);
    const samples = parseInteger(options.samples, '--samples', 1);
    const seed = parseInteger(options.seed, '--seed', 0);
    const batchSize = parseInteger(options.batchSize, '--batch-size', 1);
    const output = parseOutput(options.output);
    if (options.out !== undefined) await checkOutputFolder(options.out);
    const model = await openModel(io, options.model);
    try {
      log.debug(`loaded ${model.describe()}`);
      model.resolveOutput('explain', output);
      checkTargetOption('explain', model, parseTarget(options.target), output);
      const items = await readInputs(options.input, model, { preset: options.preset, windows: options.windows });
      const fromRecording = items.some((i) => i.recording !== undefined);
      const preset = fromRecording ? presetForModel(model, options.preset) : undefined;
      const baselines = await readBaselines(options.baseline, items, model);
      const progress = createProgress(io, `${options.method} on ${items.length} input${items.length > 1 ? 's' : ''}`, { quiet: options.quiet });
      const rows = await explainItems(model, items, {
        method: options.method,
        target: parseTarget(options.target),
        output,
        scores: options.scores,
        baselines,
        steps,
        integration: options.integration,
        samples,
        seed,
        batchSize,
        onProgress: (d, t) => progress.update(d, t),
      });
      progress.done();
      const document = {
        method: options.method,
        model: modelJson(model, output),
        ...(preset === undefined ? {} : { preset }),
        results: rows.map((row) => resultJson(row, fromRecording)),
      };
      if (options.out !== undefined) {
        const written = await writeStaged(options.out, async (staged) => {
          const head = model.resolveOutput('explain', output);
          for (const row of rows) {
            await writeExplanationFiles(staged, `${safeFileName(row.item.name)}.${options.method}`, row, { model, head, method: options.method, preset, subtitle: `${row.item.name} — ${model.name}` });
          }
          await staged.write('explain.json', `${toJson(document)}\n`);
        });
        log.info(`wrote ${written.length} files to ${options.out}`);
      }
      if (options.json) writeJson(io, document);
      else {
        for (const row of rows) {
          const name = row.targetName ?? `class ${row.target}`;
          const p = row.probabilities?.[row.target];
          io.stdout(`${row.item.name}: ${options.method} for ${name}${p === undefined ? '' : ` (p = ${p.toFixed(3)})`}${row.delta === undefined ? '' : `, completeness gap ${row.delta.toExponential(2)}`}\n`);
        }
      }
    } finally {
      model.dispose();
    }
  });
  return command;
}
