/** `wingbeats-xai explain`: attributions of one method for a recording or model inputs, as JSON, .npy and pictures. */
import { Command, Option } from 'commander';
import {
  attributionMethodNames,
  METHOD_CATALOG as attributionMethods,
  type AttributionMethodName,
} from '../../attribution/method-catalog.js';
import { addContrastOption, contrastSetting } from './contrast-option.js';
import { addCommonOptions, createLogger, writeJson, type CliIo, type CommonOptions } from './common.js';
import { commandSummary } from './command-summaries.js';
import { addJobOptions, addModelInputOptions, addStatsOption, inputReadOptions, jobSettings } from './options.js';
import { createProgress } from './progress.js';
import { writeOutputs } from '../output/staged-output.js';
import { checkOutputFolder, FORCE_OUT_HELP } from '../output/output-target.js';
import { checkTargetOption } from './early-checks.js';
import type { MaskMapping } from '../../signal/listenable.js';
import type { UnseenPart } from '../../signal/listenable-recording.js';
import { AUDIO_OPTIONS } from '../../pipeline/audio-option-specs.js';
import { addSpecOptions, specValues, SAMPLES_ALIAS } from './method-options.js';

const methodsHelp = `\nMethods:\n${attributionMethodNames.map((n) => `  ${n.padEnd(22)}${attributionMethods[n].summary}${attributionMethods[n].options.length > 0 ? ` (${attributionMethods[n].options.map((o) => o.flag).join(', ')})` : ''}`).join('\n')}\n`;

/** Builds the `explain` command. */
export function explainCommand(io: CliIo): Command {
  const command = addModelInputOptions(new Command('explain').description(commandSummary('explain')), 'per-model-input')
    .addOption(new Option('--method <name>', 'attribution method').choices(attributionMethodNames).default('saliency'))
    .option(
      '-o, --out <dir>',
      'write per input the attributions (.json, .npy), the heatmap (.npy) and pictures (.png, .svg)',
    )
    .option('--force', FORCE_OUT_HELP)
    .addHelpText('after', methodsHelp);
  addStatsOption(command);
  addContrastOption(command);
  addCommonOptions(addJobOptions(addSpecOptions(command, AUDIO_OPTIONS), SAMPLES_ALIAS));
  command.action(async (options: CommonOptions & Record<string, any>) => {
    // Loaded when the command runs, not for its help: these modules load TensorFlow.js.
    const [
      { explainJob },
      { itemsPreset },
      { explainedItemLine },
      { failOnUnread, readBaselineFile, readMethodFiles, withModel },
      { readModelInputItems },
    ] = await Promise.all([
      import('../../pipeline/explain-job.js'),
      import('../../pipeline/input-sources.js'),
      import('../../pipeline/result-json.js'),
      import('./open-model.js'),
      import('./read-model-inputs.js'),
    ]);
    const method = options.method as AttributionMethodName;
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
        model.resolveOutput('explain', settings.output);
        checkTargetOption('explain', model, settings.target, settings.output);
        const inputs = await readModelInputItems(model, options.input, inputReadOptions(options), io, options.strict);
        const items = inputs.items;
        const progress = createProgress(io, `${method} on ${items.length} input${items.length > 1 ? 's' : ''}`, {
          quiet: options.quiet,
        });
        const baselines = await readBaselineFile(model, settings.methodOptions, items);
        await readMethodFiles(model, settings.methodOptions, inputReadOptions(options), items);
        const preset = itemsPreset(items, model, options.preset);
        const { document, rows, files } = await explainJob(model, items, {
          ...settings,
          session,
          method,
          baselines,
          preset,
          ...(audio.audio
            ? { audio: { mapping: audio.audioMask, share: audio.audioShare, unseen: audio.audioUnseen } }
            : {}),
          ...contrastSetting(options),
          onProgress: (d, t) => progress.update(d, t),
        });
        progress.done();
        if (options.out !== undefined)
          createLogger(io, options).info(
            `wrote ${(await writeOutputs(options.out, files)).length} files to ${options.out}`,
          );
        if (options.json)
          writeJson(io, inputs.unread.length === 0 ? document : { ...document, unreadFiles: inputs.unread });
        else for (const row of rows) io.stdout(explainedItemLine(row, method));
        failOnUnread(inputs);
      },
    );
  });
  return command;
}
