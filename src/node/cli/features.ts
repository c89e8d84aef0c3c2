/** `wingbeats-xai features`: the model input(s) recordings turn into, as JSON and/or .npy. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import { featuresFromRecording, type Features } from '../../signal/features.js';
import { FEATURE_PRESETS, FEATURE_PRESET_NAMES, type FeaturePresetName } from '../../signal/presets.js';
import { readWavFile } from '../read-wav-file.js';
import { addCommonOptions, createLogger, nestArray, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { writeNpy } from '../npy-file.js';
import { listInputFiles } from '../input-paths.js';
import { safeRelativePath } from './options.js';
import { featureAxes } from '../../signal/feature-axes.js';
import { upsamplingWarning } from '../../signal/upsampling-warning.js';

interface FeaturesCommandOptions extends CommonOptions {
  input: string[];
  preset: FeaturePresetName;
  windows: 'loudest' | 'first' | 'all';
  channel: string;
  pad?: boolean;
  out?: string;
}

/**
 * The JSON document of one window: `{name, preset, sampleRate, shape, start, axes, warnings, features}` (features
 * nested in input layout; `axes` the frequency of every bin and time of every frame; `warnings` e.g. a recording
 * resampled up from a low rate).
 */
function windowJson(name: string, f: Features, warnings: string[]): Record<string, unknown> {
  return { name, preset: f.preset, sampleRate: f.sampleRate, shape: f.shape, start: f.start, ...(f.preset === 'custom' ? {} : { axes: featureAxes(f.preset) }), warnings, features: nestArray(f.data, f.shape) };
}

/** Writes `base.json` and `base.npy` (all windows stacked when there are several). */
async function writeFeatureFiles(base: string, document: unknown, list: Features[], several: boolean): Promise<void> {
  await mkdir(path.dirname(base), { recursive: true });
  await writeFile(`${base}.json`, `${toJson(document)}\n`);
  const shape = several ? [list.length, ...(list[0]?.shape ?? [])] : list[0].shape;
  const data = new Float32Array(list.reduce((n, f) => n + f.data.length, 0));
  list.forEach((f, i) => data.set(f.data, i * f.data.length));
  await writeNpy(`${base}.npy`, data, shape);
}

/** Builds the `features` command; `run` is awaited by the program's action handler. */
export function featuresCommand(io: CliIo): Command {
  const command = new Command('features')
    .description('turn recordings into the model input of a preset (Welch PSD or spectrogram image)')
    .requiredOption('-i, --input <paths...>', '.wav recordings (any rate, PCM or float, mono or multichannel), or folders of them (searched recursively)')
    .addOption(new Option('-p, --preset <name>', 'feature recipe (see the list below)').choices(FEATURE_PRESET_NAMES).makeOptionMandatory())
    .addOption(new Option('--windows <which>', 'window of a long recording: the loudest, the first, or all consecutive ones').choices(['loudest', 'first', 'all']).default('loudest'))
    .option('--channel <n>', "channel of a multichannel file: 'mix' (average) or an index from 0", 'mix')
    .option('--pad', 'zero-pad a recording shorter than one window instead of refusing it')
    .option('-o, --out <dir>', 'also write features.json and features.npy into this folder (one pair per recording, under its relative path, for several)')
    .addHelpText('after', `\nPresets:\n${FEATURE_PRESET_NAMES.map((n) => `  ${n}\n      ${FEATURE_PRESETS[n].description}`).join('\n')}\n`);
  addCommonOptions(command);
  command.action(async (options: FeaturesCommandOptions) => {
    const log = createLogger(io, options);
    const channel = options.channel === 'mix' ? 'mix' : Number(options.channel);
    if (channel !== 'mix' && !(Number.isInteger(channel) && channel >= 0)) {
      throw new WingbeatsError('INVALID_ARGUMENT', `Option '--channel' must be 'mix' or a channel index from 0 but got '${options.channel}'.`);
    }
    const files = await listInputFiles(options.input);
    const notWav = files.find((f) => !/\.wave?$/i.test(f.path));
    if (notWav !== undefined) throw new WingbeatsError('INVALID_ARGUMENT', `Option '--input' of 'features' takes .wav recordings but got '${notWav.path}'.`);
    const several = files.length > 1;
    const documents: unknown[] = [];
    for (const file of files) {
      const recording = await readWavFile(file.path, { channel, name: file.name });
      log.debug(`${recording.name}: ${recording.channels} channel(s), ${recording.sampleRate} Hz, ${recording.bitsPerSample}-bit ${recording.encoding}, ${recording.duration.toFixed(3)} s`);
      const windows = featuresFromRecording(recording, options.preset, { windows: options.windows, pad: options.pad === true });
      const list = Array.isArray(windows) ? windows : [windows];
      const warnings = [upsamplingWarning(file.name, recording.sampleRate, options.preset)].filter((w): w is string => w !== undefined);
      for (const warning of warnings) io.stderr(`wingbeats-xai warning: ${warning}\n`);
      const document = Array.isArray(windows) ? list.map((f) => windowJson(file.name, f, warnings)) : windowJson(file.name, windows, warnings);
      documents.push(document);
      if (options.out !== undefined) {
        const base = several ? path.join(options.out, `${safeRelativePath(file.name)}.features`) : path.join(options.out, 'features');
        await writeFeatureFiles(base, document, list, Array.isArray(windows));
        log.info(`wrote ${base}.json and ${base}.npy`);
      }
      if (!options.json) {
        for (const f of list) {
          io.stdout(`${options.preset}: shape [${f.shape.join(', ')}] at ${f.sampleRate} Hz from ${recording.name}, window at sample ${f.start} (${f.startSeconds.toFixed(3)} s)${f.paddedSamples > 0 ? `, ${f.paddedSamples} zeros padded` : ''}\n`);
        }
      }
    }
    if (options.json) writeJson(io, several ? documents : documents[0]);
  });
  return command;
}
