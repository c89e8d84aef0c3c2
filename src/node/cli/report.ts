/** `wingbeats-xai report`: several methods side by side for a model and recordings or inputs, as one HTML file. */
import path from 'node:path';
import { Command } from 'commander';
import type { MaskMapping } from '../../signal/listenable.js';
import type { UnseenPart } from '../../signal/listenable-recording.js';
import { AUDIO_OPTIONS } from '../../pipeline/audio-option-specs.js';
import { addSpecOptions, specValues, SAMPLES_ALIAS } from './method-options.js';
import { attributionMethodNames } from '../../attribution/method-catalog.js';
import { addContrastOption, contrastSetting } from './contrast-option.js';
import { addCommonOptions, writeJson, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import {
  addJobOptions,
  addModelInputOptions,
  addStatsOption,
  inputReadOptions,
  jobSettings,
  parseMethodList,
} from './options.js';
import { createProgress } from './progress.js';
import { writeOutputs } from '../output/staged-output.js';
import { checkOutputFolder, FORCE_OUT_HELP } from '../output/output-target.js';

/** Builds the `report` command. */
export function reportCommand(io: CliIo): Command {
  const command = addModelInputOptions(new Command('report').description(commandSummary('report')))
    .option(
      '--methods <names>',
      `comma-separated attribution methods (${attributionMethodNames.join(', ')})`,
      'saliency,guided-backprop,integrated-gradients',
    )
    .option('--title <text>', 'report title')
    .option('-o, --out <dir>', 'folder for report.html and report.json', 'wingbeats-xai-report')
    .option('--force', FORCE_OUT_HELP);
  addStatsOption(command);
  addContrastOption(command);
  addCommonOptions(addJobOptions(addSpecOptions(command, AUDIO_OPTIONS), SAMPLES_ALIAS));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [
      { reportJob },
      { itemsPreset },
      { failOnUnread, readBaselineFile, readItemsCarryingOn, readMethodFiles, withModel },
    ] = await Promise.all([
      import('../../pipeline/explanation-report.js'),
      import('../../pipeline/input-sources.js'),
      import('./open-model.js'),
    ]);
    const methods = parseMethodList(options.methods);
    const audio = specValues(options, AUDIO_OPTIONS) as {
      audio: boolean;
      audioMask: MaskMapping;
      audioShare: number;
      audioUnseen: UnseenPart;
    };
    const settings = jobSettings(options);
    if (options.out !== undefined) await checkOutputFolder(options.out, { force: options.force === true });
    await withModel(
      io,
      { model: options.model, labels: options.labels, quiet: options.quiet },
      async (model, session) => {
        model.resolveOutput('report', settings.output);
        const inputs = await readItemsCarryingOn(model, options.input, inputReadOptions(options), io, options.strict);
        const items = inputs.items;
        const baselines = await readBaselineFile(model, settings.methodOptions, items);
        await readMethodFiles(model, settings.methodOptions, inputReadOptions(options), items);
        const progress = createProgress(io, `report (${items.length} inputs × ${methods.length} methods)`, {
          quiet: options.quiet,
        });
        const title = options.title ?? `Explanations of ${model.name}`;
        const { document, files } = await reportJob(model, items, {
          ...settings,
          session,
          methods,
          baselines,
          preset: itemsPreset(items, model, options.preset),
          title,
          ...(audio.audio
            ? { audio: { mapping: audio.audioMask, share: audio.audioShare, unseen: audio.audioUnseen } }
            : {}),
          ...contrastSetting(options),
          unreadFiles: inputs.unread,
          onProgress: (d, t) => progress.update(d, t),
        });
        progress.done();
        await writeOutputs(options.out, files);
        const reportPath = path.resolve(options.out, 'report.html');
        // The path once: on stdout (in the JSON with --json).
        if (options.json) writeJson(io, { report: reportPath, ...document });
        else io.stdout(`Report: ${reportPath}\n`);
        failOnUnread(inputs);
      },
    );
  });
  return command;
}
