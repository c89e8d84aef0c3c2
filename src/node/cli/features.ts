/** `wingbeats-xai features`: the model input(s) a recording turns into, as JSON and/or .npy. */
import { Command, Option } from 'commander';
import { WingbeatsError } from '../../util/errors.js';
import {
  FEATURE_PRESETS,
  FEATURE_PRESET_NAMES,
  type FeaturePresetName,
  type FeatureSettings,
} from '../../signal/presets.js';
import { readFeatureSettingsFile } from '../feature-settings-file.js';
import { featuresJob } from '../../pipeline/features-job.js';
import { readWavFile } from '../read-wav-file.js';
import { addCommonOptions, createLogger, writeJson, writeWarnings, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import { listInputFiles } from '../input-paths.js';
import { safeRelativePath } from '../../pipeline/output-files.js';
import { writeOutputs } from '../output/staged-output.js';
import { checkOutputFolder, FORCE_OUT_HELP } from '../output/output-target.js';

/** Builds the `features` command. */
export function featuresCommand(io: CliIo): Command {
  const command = new Command('features')
    .description(commandSummary('features'))
    .requiredOption(
      '-i, --input <paths...>',
      '.wav recordings (any rate, PCM or float, mono or multichannel), or folders of them (searched recursively)',
    )
    .addOption(
      new Option('-p, --preset <name>', 'feature recipe (see the list below); this or --features is needed').choices(
        FEATURE_PRESET_NAMES,
      ),
    )
    .addOption(
      new Option(
        '--features <file.json>',
        'your own recipe instead of a preset (as for explain --features); the JSON output records it under "settings"',
      )
        .conflicts('preset')
        .argParser((file: string) => readFeatureSettingsFile(file)),
    )
    .addOption(
      new Option('--windows <which>', 'window of a long recording: the loudest, the first, or all consecutive ones')
        .choices(['loudest', 'first', 'all'])
        .default('loudest'),
    )
    .option('--channel <n>', "channel of a multichannel file: 'mix' (average) or an index from 0", 'mix')
    .option('--pad', 'zero-pad a recording shorter than one window instead of refusing it')
    .option(
      '-o, --out <dir>',
      'also write features.json and features.npy into this folder (one pair per recording, under its relative path, for several)',
    )
    .option('--force', FORCE_OUT_HELP)
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
    const recipe =
      (options.features as FeatureSettings | undefined) ?? (options.preset as FeaturePresetName | undefined);
    if (recipe === undefined)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        "Command 'features' needs --preset NAME or --features FILE.json (your own recipe).",
      );
    const inputFiles = await listInputFiles(options.input);
    const notWav = inputFiles.find((f) => !/\.wave?$/i.test(f.path));
    if (notWav !== undefined)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--input' of 'features' takes .wav recordings but got '${notWav.path}'.`,
      );
    const several = inputFiles.length > 1;
    if (options.out !== undefined) {
      const bases = several ? inputFiles.map((f) => `${safeRelativePath(f.name)}.features`) : ['features'];
      const files = bases.flatMap((base) => [`${base}.json`, `${base}.npy`]);
      await checkOutputFolder(options.out, { files, force: options.force === true });
    }
    const log = createLogger(io, options);
    const documents: unknown[] = [];
    const outputs = [];
    for (const file of inputFiles) {
      const recording = await readWavFile(file.path, { channel, name: file.name, what: 'The --input file' });
      log.debug(
        `${recording.name}: ${recording.channels} channel(s), ${recording.sampleRate} Hz, ${recording.bitsPerSample}-bit ${recording.encoding}, ${recording.duration.toFixed(3)} s`,
      );
      const { windows, document, warnings, files } = featuresJob(recording, recipe, {
        windows: options.windows,
        pad: options.pad === true,
        name: file.name,
        fileBase: several ? `${safeRelativePath(file.name)}.features` : 'features',
      });
      writeWarnings(io, [{ warnings }]);
      documents.push(document);
      outputs.push(...files);
      for (const f of options.json ? [] : windows) {
        io.stdout(
          `${f.preset}: shape [${f.shape.join(', ')}] at ${f.sampleRate} Hz from ${recording.name}, window at sample ${f.start} (${f.startSeconds.toFixed(3)} s)${f.paddedSamples > 0 ? `, ${f.paddedSamples} zeros padded` : ''}\n`,
        );
      }
    }
    if (options.out !== undefined) log.info(`wrote ${(await writeOutputs(options.out, outputs)).join(' and ')}`);
    if (options.json) writeJson(io, several ? documents : documents[0]);
  });
  return command;
}
