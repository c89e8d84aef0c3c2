/** Parsing helpers for command-line option values (Node only). */
import { Option, type Command } from 'commander';
import { parseTarget } from './explain-run.js';
import { WingbeatsError } from '../core/errors.js';
import { countLimit } from './count-limits.js';
import { attributionMethodNames, isAttributionMethodName, type AttributionMethodName } from '../attribution/registry.js';

/**
 * Parses an integer option (`undefined` stays undefined); throws naming the option when it is not an integer in
 * [`min`, `max`] (`max` defaults to the option's bound in {@link COUNT_LIMITS}).
 */
export function parseInteger(text: string | undefined, option: string, min: number, max = countLimit(option)): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '${option}' must be an integer ${range} but got '${text.length > 40 ? `${text.slice(0, 37)}...` : text}'.`);
  }
  return value;
}

/** Parses a number option; throws naming the option when it is not a finite number in [min, max]. */
export function parseNumber(text: string | undefined, option: string, min = -Infinity, max = Infinity): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '${option}' must be a number in [${min}, ${max}] but got '${text}'.`);
  }
  return value;
}

/** A file-name-safe version of an input name (`rec.wav#2` → `rec.wav_2`). */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/** Command-line options that tune an attribution method inside `evaluate` and `uncertainty`. */
export interface MethodTuningOptions {
  steps?: string;
  integration?: string;
  smoothSamples?: string;
}

/** Adds `--steps`, `--integration` and `--smooth-samples` (integrated gradients and SmoothGrad settings) to a command. */
export function addMethodTuningOptions(command: Command, integrationChoices: readonly string[]): Command {
  return command
    .option('--steps <n>', 'integrated gradients: number of path steps (default 50)')
    .addOption(new Option('--integration <rule>', 'integrated gradients: quadrature rule (default trapezoid)').choices([...integrationChoices]))
    .option('--smooth-samples <n>', 'smoothgrad: noisy samples per explanation (default 25)');
}

/** The attribution-method options given by {@link addMethodTuningOptions}. */
export function methodTuning(options: MethodTuningOptions): Record<string, unknown> {
  const tuning: Record<string, unknown> = {};
  const steps = parseInteger(options.steps, '--steps', 1);
  const samples = parseInteger(options.smoothSamples, '--smooth-samples', 1);
  if (steps !== undefined) tuning.steps = steps;
  if (options.integration !== undefined) tuning.method = options.integration;
  if (samples !== undefined) tuning.samples = samples;
  return tuning;
}

/** Parses `--methods a,b,c` against the registry. */
export function parseMethodList(text: string): AttributionMethodName[] {
  const names = text.split(',').map((t) => t.trim()).filter((t) => t !== '');
  const unknown = names.find((n) => !isAttributionMethodName(n));
  if (names.length === 0 || unknown !== undefined) {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '--methods' must be a comma-separated list of ${attributionMethodNames.join(', ')} but got '${unknown ?? text}'.`);
  }
  return names as AttributionMethodName[];
}

/** Adds `--target`, `--output` and `--scores`: which class of which head is explained, on logits or probabilities. */
export function addTargetOptions(command: Command): Command {
  return command
    .option('-t, --target <class>', 'class index or name to explain, or one per input separated by commas (default: the top class)')
    .option('--output <head>', 'head of a multi-output model, by name or index (default: the first)')
    .addOption(new Option('--scores <kind>', 'explain logits (final softmax removed) or probabilities').choices(['logits', 'probabilities']).default('logits'));
}

/** Adds `--preset` and `--windows`: how a `.wav` input becomes model inputs. */
export function addRecordingOptions(command: Command, presetNames: readonly string[]): Command {
  return command
    .addOption(new Option('--preset <name>', 'feature recipe for .wav inputs (default: from the model input shape)').choices([...presetNames]))
    .addOption(new Option('--windows <which>', '.wav inputs: the loudest window, the first, or all').choices(['loudest', 'first', 'all']).default('loudest'));
}

/** Parses `--output`: a head index (digits) or a head name. */
export function parseOutput(text: string | undefined): string | number | undefined {
  return text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text;
}

/** Options of commands that run several attribution methods (`report`, `batch`). */
export interface MultiMethodOptions {
  methods: string;
  steps?: string;
  samples?: string;
  seed: string;
  target?: string;
  output?: string;
  scores: 'logits' | 'probabilities';
}

/** Adds `--methods`, `--steps`, `--samples` and `--seed`. */
export function addMultiMethodOptions(command: Command, defaultMethods: string): Command {
  return command
    .option('--methods <names>', `comma-separated attribution methods (${attributionMethodNames.join(', ')})`, defaultMethods)
    .option('--steps <n>', 'integrated gradients: number of path steps (default 50)')
    .option('--samples <n>', 'smoothgrad: number of noisy samples (default 25)')
    .option('--seed <n>', 'seed of sampled methods', '1');
}

/** The parsed {@link MultiMethodOptions}. */
export function parseMultiMethodOptions(options: MultiMethodOptions): {
  methods: AttributionMethodName[];
  steps?: number;
  samples?: number;
  seed?: number;
  output?: string | number;
  target?: ReturnType<typeof parseTarget>;
  scores: 'logits' | 'probabilities';
} {
  return {
    methods: parseMethodList(options.methods),
    steps: parseInteger(options.steps, '--steps', 1),
    samples: parseInteger(options.samples, '--samples', 1),
    seed: parseInteger(options.seed, '--seed', 0),
    output: parseOutput(options.output),
    target: parseTarget(options.target),
    scores: options.scores,
  };
}
