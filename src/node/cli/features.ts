/** `wingbeats-xai features`: the model input(s) a recording turns into, as JSON and/or .npy. */
import { Command, Option } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import { FEATURE_PRESETS, FEATURE_PRESET_NAMES, type FeaturePresetName } from '../../signal/presets.js';
import { featuresJob } from '../../pipeline/features-job.js';
import { readWavFile } from '../read-wav-file.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { writeOutputs } from './staged-output.js';
import { checkOutputFolder } from './output-target.js';

/** Builds the `features` command. */
export function featuresCommand(io: CliIo): Command {
  const command = new Command('features')
    .description('turn a recording into the model input of a preset (Welch PSD or spectrogram image)')
    .requiredOption('-i, --input <file>', 'a .wav recording (any rate, PCM or float, mono or multichannel)')
    .addOption(
      new Option('-p, --preset <name>', 'feature recipe (see the list below)')
        .choices(FEATURE_PRESET_NAMES)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--windows <which>', 'window of a long recording: the loudest, the first, or all consecutive ones')
        .choices(['loudest', 'first', 'all'])
        .default('loudest'),
    )
    .option('--channel <n>', "channel of a multichannel file: 'mix' (average) or an index from 0", 'mix')
    .option('--pad', 'zero-pad a recording shorter than one window instead of refusing it')
    .option('-o, --out <dir>', 'also write features.json and features.npy into this folder')
    .option('--force', 'replace features.json and features.npy already in the --out folder')
    .addHelpText(
      'after',
      `\nPresets:\n${FEATURE_PRESET_NAMES.map((n) => `  ${n}\n      ${FEATURE_PRESETS[n].description}`).join('\n')}\n`,
    );
  addCommonOptions(command);
  command.action(async (options: CommonOptions & Record<string, any>) => {
    if (options.channel !== 'mix' && !/^\d{1,6}$/.test(options.channel)) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--channel' must be 'mix' or a channel index from 0 but got '${options.channel}'.`,
      );
    }
    const channel = options.channel === 'mix' ? 'mix' : Number(options.channel);
    if (options.out !== undefined) {
      await checkOutputFolder(options.out, { files: ['features.json', 'features.npy'], force: options.force === true });
    }
    const recording = await readWavFile(options.input, { channel, what: 'The --input file' });
    const log = createLogger(io, options);
    log.debug(
      `${recording.name}: ${recording.channels} channel(s), ${recording.sampleRate} Hz, ${recording.bitsPerSample}-bit ${recording.encoding}, ${recording.duration.toFixed(3)} s`,
    );
    const { windows, document, files } = featuresJob(recording, options.preset as FeaturePresetName, {
      windows: options.windows,
      pad: options.pad === true,
    });
    if (options.out !== undefined) log.info(`wrote ${(await writeOutputs(options.out, files)).join(' and ')}`);
    if (options.json) return writeJson(io, document);
    for (const f of windows) {
      io.stdout(
        `${f.preset}: shape [${f.shape.join(', ')}] at ${f.sampleRate} Hz from ${recording.name}, window at sample ${f.start} (${f.startSeconds.toFixed(3)} s)${f.paddedSamples > 0 ? `, ${f.paddedSamples} zeros padded` : ''}\n`,
      );
    }
  });
  return command;
}
