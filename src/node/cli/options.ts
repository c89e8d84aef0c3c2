/** Parsing helpers for command-line option values (Node only). */
import { Option, type Command } from 'commander';
import { addMethodOptions, methodOptionValues } from './method-options.js';
import { parseTarget } from '../../pipeline/explain-items.js';
import { WingbeatsError } from '../../util/errors.js';
import { attributionMethodNames, isAttributionMethodName, type AttributionMethodName } from '../../attribution/registry.js';
import type { ReadInputOptions } from '../../pipeline/input-sources.js';

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

/** A file-name-safe relative path for an input name, keeping its folders (`siteA/rec.wav#2` → `siteA/rec.wav_2`). */
export function safeRelativePath(name: string): string {
  return name.split('/').filter((part) => part !== '' && part !== '.' && part !== '..').map(safeFileName).join('/');
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
    .option('--output <head>', 'head of a multi-output model, by name or index (default: species, else genus, else the first head with class labels)')
    .addOption(new Option('--scores <kind>', 'explain logits (final softmax removed) or probabilities').choices(['logits', 'probabilities']).default('logits'));
}

/** Adds `--preset`, `--force-preset`, `--windows`, `--pad` and `--channel`: how a `.wav` input becomes model inputs. */
export function addRecordingOptions(command: Command, presetNames: readonly string[], defaultWindows: 'loudest' | 'first' | 'all' = 'loudest'): Command {
  return command
    .addOption(new Option('--preset <name>', 'feature recipe for .wav inputs (default: from the model input shape and data set)').choices([...presetNames]))
    .option('--force-preset', "use --preset even when it belongs to another data set than the model's (with a warning)")
    .addOption(new Option('--windows <which>', '.wav inputs: the loudest window, the first, or all').choices(['loudest', 'first', 'all']).default(defaultWindows))
    .option('--pad', 'zero-pad a recording shorter than one window instead of refusing it')
    .option('--channel <n>', "channel of a multichannel recording: 'mix' (average) or an index from 0", 'mix');
}

/** The options added by {@link addRecordingOptions}, as commander gives them. */
export interface RecordingOptions {
  preset?: string;
  forcePreset?: boolean;
  windows?: 'loudest' | 'first' | 'all';
  pad?: boolean;
  channel?: string;
}

/** Parses {@link RecordingOptions} into the options of `readInputs`; throws naming `--channel` when it is neither 'mix' nor an index. */
export function parseRecordingOptions(options: RecordingOptions): ReadInputOptions {
  const text = options.channel ?? 'mix';
  const channel = text === 'mix' ? 'mix' : parseInteger(text, '--channel', 0);
  return { preset: options.preset, forcePreset: options.forcePreset === true, windows: options.windows, pad: options.pad === true, channel };
}

/** Parses `--output`: a head index (digits) or a head name. */
export function parseOutput(text: string | undefined): string | number | undefined {
  return text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text;
}

/** Options of commands that run several attribution methods (`report`, `batch`). */
export interface MultiMethodOptions {
  methods: string;
  seed: string;
  target?: string;
  output?: string;
  scores: 'logits' | 'probabilities';
}

/** Adds `--methods`, `--seed` and the flags of every method's options (`--samples`: old name of `--noise-samples`). */
export function addMultiMethodOptions(command: Command, defaultMethods: string): Command {
  command
    .option('--methods <names>', `comma-separated attribution methods (${attributionMethodNames.join(', ')})`, defaultMethods)
    .option('--seed <n>', 'seed of sampled methods', '1');
  return addMethodOptions(command, { '--samples': '--noise-samples' });
}

/** The parsed {@link MultiMethodOptions}. */
export function parseMultiMethodOptions(options: MultiMethodOptions): {
  methods: AttributionMethodName[];
  methodOptions: Record<string, unknown>;
  seed?: number;
  output?: string | number;
  target?: ReturnType<typeof parseTarget>;
  scores: 'logits' | 'probabilities';
} {
  return {
    methods: parseMethodList(options.methods),
    methodOptions: methodOptionValues(options as unknown as Record<string, unknown>),
    seed: parseInteger(options.seed, '--seed', 0),
    output: parseOutput(options.output),
    target: parseTarget(options.target),
    scores: options.scores,
  };
}
