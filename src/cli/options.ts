/** Parsing helpers for command-line option values (Node only). */
import { Option, type Command } from 'commander';
import { WingbeatsError } from '../core/errors.js';
import { attributionMethodNames, isAttributionMethodName, type AttributionMethodName } from '../attribution/registry.js';

/** Parses an integer option (`undefined` stays undefined); throws naming the option when it is not an integer ≥ `min`. */
export function parseInteger(text: string | undefined, option: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '${option}' must be an integer ≥ ${min} but got '${text}'.`);
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
