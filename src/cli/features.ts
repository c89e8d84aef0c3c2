/** `wingbeats-xai features`: the model input(s) a recording turns into, as JSON and/or .npy. */
import { Command, Option } from 'commander';
import { WingbeatsError } from '../core/errors.js';
import { featuresFromRecording, type Features } from '../signal/features.js';
import { FEATURE_PRESETS, FEATURE_PRESET_NAMES, type FeaturePresetName } from '../signal/presets.js';
import { readWavFile } from '../signal/read-wav-file.js';
import { addCommonOptions, createLogger, nestArray, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { encodeNpy } from '../core/npy.js';
import { checkOutputFolder } from './output-target.js';
import { writeStaged } from './staged-output.js';

interface FeaturesCommandOptions extends CommonOptions {
  input: string;
  preset: FeaturePresetName;
  windows: 'loudest' | 'first' | 'all';
  channel: string;
  pad?: boolean;
  out?: string;
  force?: boolean;
}

const OUTPUT_FILES = ['features.json', 'features.npy'];

/** The JSON document of one window: `{preset, sampleRate, shape, start, features}` (features nested in input layout). */
function windowJson(f: Features): Record<string, unknown> {
  return { preset: f.preset, sampleRate: f.sampleRate, shape: f.shape, start: f.start, features: nestArray(f.data, f.shape) };
}

/** Builds the `features` command; `run` is awaited by the program's action handler. */
export function featuresCommand(io: CliIo): Command {
  const command = new Command('features')
    .description('turn a recording into the model input of a preset (Welch PSD or spectrogram image)')
    .requiredOption('-i, --input <file>', 'a .wav recording (any rate, PCM or float, mono or multichannel)')
    .addOption(new Option('-p, --preset <name>', 'feature recipe (see the list below)').choices(FEATURE_PRESET_NAMES).makeOptionMandatory())
    .addOption(new Option('--windows <which>', 'window of a long recording: the loudest, the first, or all consecutive ones').choices(['loudest', 'first', 'all']).default('loudest'))
    .option('--channel <n>', "channel of a multichannel file: 'mix' (average) or an index from 0", 'mix')
    .option('--pad', 'zero-pad a recording shorter than one window instead of refusing it')
    .option('-o, --out <dir>', 'also write features.json and features.npy into this folder')
    .option('--force', 'replace features.json and features.npy already in the --out folder')
    .addHelpText('after', `\nPresets:\n${FEATURE_PRESET_NAMES.map((n) => `  ${n}\n      ${FEATURE_PRESETS[n].description}`).join('\n')}\n`);
  addCommonOptions(command);
  command.action(async (options: FeaturesCommandOptions) => {
    const log = createLogger(io, options);
    if (options.channel !== 'mix' && !/^\d{1,6}$/.test(options.channel)) {
      throw new WingbeatsError('INVALID_ARGUMENT', `Option '--channel' must be 'mix' or a channel index from 0 but got '${options.channel}'.`);
    }
    const channel = options.channel === 'mix' ? 'mix' : Number(options.channel);
    if (options.out !== undefined) await checkOutputFolder(options.out, { files: OUTPUT_FILES, force: options.force });
    const recording = await readWavFile(options.input, { channel, what: "The --input file" });
    log.debug(`${recording.name}: ${recording.channels} channel(s), ${recording.sampleRate} Hz, ${recording.bitsPerSample}-bit ${recording.encoding}, ${recording.duration.toFixed(3)} s`);
    const windows = featuresFromRecording(recording, options.preset, { windows: options.windows, pad: options.pad === true });
    const list = Array.isArray(windows) ? windows : [windows];
    const document = Array.isArray(windows) ? list.map(windowJson) : windowJson(windows);

    if (options.out !== undefined) {
      const shape = Array.isArray(windows) ? [list.length, ...(list[0]?.shape ?? [])] : windows.shape;
      const data = new Float32Array(list.reduce((n, f) => n + f.data.length, 0));
      list.forEach((f, i) => data.set(f.data, i * f.data.length));
      const written = await writeStaged(options.out, async (staged) => {
        await staged.write('features.json', `${toJson(document)}\n`);
        await staged.write('features.npy', encodeNpy(data, shape));
      });
      log.info(`wrote ${written.join(' and ')}`);
    }

    if (options.json) writeJson(io, document);
    else {
      for (const f of list) {
        io.stdout(`${options.preset}: shape [${f.shape.join(', ')}] at ${f.sampleRate} Hz from ${recording.name}, window at sample ${f.start} (${f.startSeconds.toFixed(3)} s)${f.paddedSamples > 0 ? `, ${f.paddedSamples} zeros padded` : ''}\n`);
      }
    }
  });
  return command;
}
