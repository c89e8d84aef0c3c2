/** Option groups shared by the commands and their parsing into pipeline settings (Node only). */
import { Option, type Command } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import { didYouMean } from '../../util/nearest-name.js';
import { REQUEST_OPTIONS } from '../../session/request-option-specs.js';
import { COMPUTE_BACKENDS, ENGINE_CHOICES, type EngineChoice } from '../../execution/execution-settings.js';
import { FEATURE_PRESET_NAMES, type FeatureSettings } from '../../signal/presets.js';
import { readFeatureSettingsFile } from '../feature-settings-file.js';
import { readPixelStatisticsSync } from '../pixel-statistics-file.js';
import { statisticsOfInputs } from '../../execution/input-statistics.js';
import type { PixelStatistics } from '../../evaluation/pixel-statistics.js';
import {
  attributionMethodNames,
  isAttributionMethodName,
  type AttributionMethodName,
} from '../../attribution/method-catalog.js';
import type { JobSettings } from '../../pipeline/explain-items.js';
import type { InputReadOptions } from '../../pipeline/input-sources.js';
import { parseOutput, parseTarget } from '../../pipeline/selectors.js';
import { addMethodOptions, addSpecOptions, methodOptionValues, specValues } from './method-options.js';

/** Parses `--methods a,b,c` against the registry. */
export function parseMethodList(text: string): AttributionMethodName[] {
  const names = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const unknown = names.find((n) => !isAttributionMethodName(n));
  if (names.length === 0 || unknown !== undefined) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--methods' must be a comma-separated list of ${attributionMethodNames.join(', ')} but got '${unknown ?? text}'.${didYouMean(unknown ?? '', attributionMethodNames)}`,
    );
  }
  return names as AttributionMethodName[];
}

/**
 * Adds `-m, --model` (required) and `-i, --input`: files, folders (searched recursively; outputs keep the relative
 * paths) and lists of both (`'one'` and `'many'` alike), or (`'per-model-input'`) one file per model input, repeated.
 */
export function addModelInputOptions(command: Command, inputs: 'one' | 'many' | 'per-model-input' = 'many'): Command {
  command.option(
    '--strict',
    'stop at the first input file that cannot be read (default: skip it with one line on stderr, go on, exit 1 at the end)',
  );
  command
    .requiredOption(
      '-m, --model <file>',
      'Keras .keras or .h5 (full model, or a wingbeats weights-only .h5) or TensorFlow.js model.json',
    )
    .option(
      '--labels <file>',
      "class names of the model: one per line, or a JSON list (or {head: [names]}); default: the wingbeats data set's for its own architectures, else 'class 0', 'class 1', ...",
    );
  if (inputs === 'per-model-input') {
    return command.requiredOption(
      '-i, --input <file>',
      '.wav recording, or .npy/.json with one input or a list of inputs in the model layout; for a model with several inputs, once per model input (in order, or as name=file)',
      (value: string, previous: string[] = []) => [...previous, value],
    );
  }
  return command.requiredOption(
    '-i, --input <paths...>',
    '.wav recordings, .npy/.json files (one input or a list in the model layout), or folders of them (searched recursively)',
  );
}

/** Adds `--target`, `--output` and `--scores`: which class of which head is explained, on logits or probabilities. */
export function addTargetOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '-t, --target <class>',
        'class index or name to explain, or one per input separated by commas',
      ).default(undefined, 'the top class'),
    )
    .addOption(
      new Option('--output <head>', 'head of a multi-output model, by name or index').default(
        undefined,
        'species, else genus, else the first head with class labels',
      ),
    )
    .addOption(
      new Option('--scores <kind>', 'explain logits (final softmax removed) or probabilities')
        .choices(['logits', 'probabilities'])
        .default('logits'),
    );
}

/**
 * Adds `--preset`, `--features`, `--force-preset`, `--windows`, `--pad` and `--channel`: how a `.wav` input becomes
 * model inputs.
 */
export function addRecordingOptions(command: Command, defaultWindows: 'loudest' | 'all' = 'loudest'): Command {
  return command
    .addOption(
      new Option('--preset <name>', 'feature recipe for .wav inputs')
        .choices([...FEATURE_PRESET_NAMES])
        .default(undefined, 'from the model input shape and data set'),
    )
    .addOption(
      new Option(
        '--features <file.json>',
        'your own feature recipe for .wav inputs instead of a preset: JSON with kind (psd|spectrogram), sampleRate, windowLength, normalisation (peak|none), fftLength, bins, and segmentLength+overlap (psd) or frameLength+frameStep (spectrogram); "extends": "<preset>" fills the rest; "values": "db" for a spectrogram in dB over linear bins or mel bands (frequencyScale mel, fmin, fmax, melScale slaney|htk), with ref (number|max), topDb, scaling, center, channels; librosa names (n_fft, hop_length, n_mels, top_db) work too',
      )
        .conflicts('preset')
        .argParser((file: string) => readFeatureSettingsFile(file)),
    )
    .option('--force-preset', "use --preset even when it belongs to another data set than the model's (with a warning)")
    .addOption(
      new Option('--windows <which>', '.wav inputs: the loudest window, the first, or all')
        .choices(['loudest', 'first', 'all'])
        .default(defaultWindows),
    )
    .option('--pad', 'zero-pad a recording shorter than one window instead of refusing it')
    .option('--channel <n>', "channel of a multichannel recording: 'mix' (average) or an index from 0", 'mix');
}

/**
 * Adds `--stats FILE`: per-value mean and std of training inputs (`wingbeats-xai stats`), against which each input's
 * range is checked when the model has no input batch norm to give them (and, in `evaluate`, the replacement values).
 */
export function addStatsOption(command: Command, extra = ''): Command {
  return command.addOption(
    new Option(
      '--stats <file>',
      `statistics JSON {shape, mean, std, count} of training inputs (from 'wingbeats-xai stats'): each input's range is checked against it where the model has no input batch norm${extra}`,
    ).argParser((file: string) => ({ file, stats: readPixelStatisticsSync(file, `The --stats file '${file}'`) })),
  );
}

/** The `--stats` file read by {@link addStatsOption}, if given. */
export function statsOption(options: Record<string, unknown>): { file: string; stats: PixelStatistics } | undefined {
  return options.stats as { file: string; stats: PixelStatistics } | undefined;
}

/** Adds `--seed`, `--batch-size`, `--workers` and `--engine` (one flag, default and help everywhere). */
export function addRunOptions(command: Command): Command {
  return addSpecOptions(command, REQUEST_OPTIONS)
    .addOption(
      new Option(
        '--engine <name>',
        "where gradients and forward passes run: 'auto' (ONNX Runtime whenever the model lowers to it — on CUDA where onnxruntime-node has it, else its native CPU kernels on --workers cores — else TensorFlow.js after one line saying why), 'onnx' (ONNX Runtime on the CPU), 'onnx-cuda' (ONNX Runtime's CUDA provider, else the CPU after one line; see docs/performance.md), or 'tfjs' (TensorFlow.js wasm); same numbers to float32, and every result names the engine that ran",
      )
        .choices([...ENGINE_CHOICES])
        .default(undefined, 'auto'),
    )
    .addOption(new Option('--backend <name>', 'older name of --engine').choices([...COMPUTE_BACKENDS]).hideHelp());
}

/** `--engine`, or its older name `--backend` (default `'auto'`). */
export function engineOption(options: Record<string, unknown>): EngineChoice {
  const engine = options.engine as EngineChoice | undefined;
  const backend = options.backend as EngineChoice | undefined;
  if (engine !== undefined && backend !== undefined && engine !== backend)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Options '--engine ${engine}' and '--backend ${backend}' disagree: give only --engine (--backend is its older name).`,
    );
  return engine ?? backend ?? 'auto';
}

/** Adds everything a command that runs attribution methods takes: targets, recordings, seed, batch size, method options. */
export function addJobOptions(command: Command, aliases: Record<string, string | readonly string[]> = {}): Command {
  addTargetOptions(command);
  addRecordingOptions(command);
  addRunOptions(command);
  return addMethodOptions(command, aliases);
}

/** The parsed options of {@link addJobOptions}, as pipeline settings. */
export function jobSettings(options: Record<string, unknown>): JobSettings {
  const run = specValues(options, REQUEST_OPTIONS) as { seed: number; batchSize: number; workers?: number };
  return {
    target: parseTarget(options.target as string | undefined),
    output: parseOutput(options.output as string | undefined),
    scores: options.scores as JobSettings['scores'],
    seed: run.seed,
    batchSize: run.batchSize,
    workers: run.workers,
    engine: engineOption(options),
    methodOptions: methodOptionValues(options),
  };
}

/** How `.wav` inputs become model inputs, from `--preset`, `--force-preset`, `--windows`, `--pad` and `--channel`. */
export function inputReadOptions(options: Record<string, unknown>): InputReadOptions {
  const text = (options.channel as string | undefined) ?? 'mix';
  const index = Number(text);
  if (text !== 'mix' && !(/^\d+$/.test(text) && Number.isSafeInteger(index))) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--channel' must be 'mix' or a channel index from 0 but got '${text}'.`,
    );
  }
  return {
    preset: options.preset as string | undefined,
    features: options.features as FeatureSettings | undefined,
    windows: options.windows as InputReadOptions['windows'],
    pad: options.pad === true,
    channel: text === 'mix' ? 'mix' : index,
    forcePreset: options.forcePreset === true,
    ...statisticsOption(options),
  };
}

function statisticsOption(options: Record<string, unknown>): Pick<InputReadOptions, 'statistics'> {
  const given = statsOption(options);
  return given === undefined
    ? {}
    : { statistics: statisticsOfInputs(given.stats, `the statistics file '${given.file}'`) };
}
