/** `wingbeats-xai sanity`: the cascading model-parameter randomisation test (Adebayo et al. 2018) as JSON and plots. */
import { Command } from 'commander';
import type { ScoreKind } from '../../execution/explainable-model.js';
import { SANITY_DEFAULT_METHODS, sanityCheck } from '../../evaluation/sanity-check.js';
import { sanityCheckSpec } from '../../render/sanity-chart.js';
import { FEATURE_PRESET_NAMES } from '../../signal/presets.js';
import { attributionMethodNames } from '../../attribution/registry.js';
import { modelJson, parseTarget } from '../../pipeline/explain-items.js';
import { baselineBatch, itemsToBatch, readBaselines, readInputs } from '../../pipeline/input-sources.js';
import { openModel } from './open-model.js';
import { addCommonOptions, createLogger, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { addRecordingOptions, addTargetOptions, parseInteger, parseMethodList, parseOutput } from './options.js';
import { addMethodOptions, methodOptionValues } from './method-options.js';
import { createProgress } from './progress.js';
import { writeStaged } from './staged-output.js';

/** The options of `sanity`, as commander hands them over. */
export interface SanityCommandOptions extends CommonOptions {
  model: string;
  input: string;
  methods: string;
  seed: string;
  target?: string;
  output?: string;
  scores: ScoreKind;
  preset?: string;
  windows: 'loudest' | 'first' | 'all';
  batchSize?: string;
  out?: string;
}

/**
 * Runs `sanity` and returns its JSON document: `{command, model, methods, seed, layers, results: [{input, target,
 * targetName?, curves: [{method, spearman, ssim?}]}]}`. With `out`, also writes `sanity.json` and one plot per input.
 */
export async function runSanity(options: SanityCommandOptions, io: CliIo): Promise<Record<string, unknown>> {
  const log = createLogger(io, options);
  const methods = parseMethodList(options.methods);
  const seed = parseInteger(options.seed, '--seed', 0) as number;
  const batchSize = parseInteger(options.batchSize, '--batch-size', 1);
  const output = parseOutput(options.output);
  const model = await openModel(io, options.model);
  try {
    const items = await readInputs(options.input, model, { preset: options.preset, windows: options.windows });
    const methodOptions = methodOptionValues(options as unknown as Record<string, unknown>);
    const baseline = baselineBatch(await readBaselines(methodOptions.baseline as string | undefined, items, model), items);
    const x = itemsToBatch(items);
    const progress = createProgress(io, 'sanity', { quiet: options.quiet });
    let check;
    try {
      check = await sanityCheck(model, x, {
        methods,
        seed,
        methodOptions: { ...methodOptions, baseline },
        target: parseTarget(options.target),
        output,
        scores: options.scores,
        batchSize,
        onProgress: (done, total) => progress.update(done, total),
      });
    } finally {
      x.dispose();
      baseline?.dispose();
      progress.done();
    }
    const document: Record<string, unknown> = {
      command: 'sanity',
      model: modelJson(model, output),
      methods,
      seed,
      layers: check.layers,
      results: check.results.map((r, i) => ({ input: items[i].name, ...r })),
    };
    if (options.out !== undefined) {
      const written = await writeStaged(options.out, async (staged) => {
        await staged.write('sanity.json', `${toJson(document)}\n`);
        for (const [i, r] of check.results.entries()) {
          const suffix = check.results.length === 1 ? '' : `-${i}`;
          const subtitle = `${items[i].name}, target ${r.targetName ?? r.target}; seed ${seed}`;
          await staged.writeChart(`sanity${suffix}`, sanityCheckSpec({ layers: check.layers, curves: r.curves.map((c) => ({ method: c.method, values: c.spearman })), subtitle }));
          if (r.curves[0].ssim !== undefined) {
            await staged.writeChart(`sanity-ssim${suffix}`, sanityCheckSpec({ layers: check.layers, curves: r.curves.map((c) => ({ method: c.method, values: c.ssim as number[] })), measure: 'SSIM', subtitle }));
          }
        }
      });
      log.info(`wrote ${written.join(', ')}`);
    }
    return document;
  } finally {
    model.dispose();
  }
}

function summaryLines(document: Record<string, unknown>): string {
  const results = document.results as { input: string; target: number; targetName?: string; curves: { method: string; spearman: number[] }[] }[];
  return results
    .map((r) => `${r.input}: target ${r.targetName ?? r.target}; Spearman after full randomisation: ${r.curves.map((c) => `${c.method} ${(c.spearman.at(-1) as number).toFixed(3)}`).join(', ')}\n`)
    .join('');
}

/** Builds the `sanity` command. */
export function sanityCommand(io: CliIo): Command {
  const command = new Command('sanity')
    .description('model-parameter randomisation test (Adebayo et al. 2018): how each explanation changes as the layers of a copy of the model are randomised, top first')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json')
    .requiredOption('-i, --input <file>', '.wav (features by --preset), .npy or .json input(s) in the model layout')
    .option('--methods <names>', `comma-separated attribution methods (${attributionMethodNames.join(', ')})`, SANITY_DEFAULT_METHODS.join(','))
    .option('--seed <n>', 'seed of the random weights', '0')
    .option('--batch-size <n>', 'rows per model call (default 64)')
    .option('-o, --out <dir>', 'also write sanity.json and the plots (.svg, .png) into this folder');
  addMethodOptions(command);
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: SanityCommandOptions) => {
    const document = await runSanity(options, io);
    if (options.json) writeJson(io, document);
    else io.stdout(summaryLines(document));
  });
  return command;
}
