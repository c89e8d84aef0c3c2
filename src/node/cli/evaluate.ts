/** `wingbeats-xai evaluate`: pixel-flipping curves of attribution methods against random flipping, with AOPC and AUC. */
import { DEFAULT_BATCH_SIZE } from '../../util/batching.js';
import { Command, Option } from 'commander';
import type { ScoreKind } from '../../execution/explainable-model.js';
import { attributionMethodNames } from '../../attribution/registry.js';
import { compareWithRandom } from '../../evaluation/compare-with-random.js';
import { loadPixelStatistics } from '../pixel-statistics-file.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../../signal/presets.js';
import { pixelFlippingSpec } from '../../render/pixel-flipping-chart.js';
import { addCommonOptions, createLogger, toJson, writeJson, writeWarnings, type CliIo, type CommonOptions } from './common.js';
import { modelJson, parseTarget } from '../../pipeline/explain-items.js';
import { addRecordingOptions, addTargetOptions, parseInteger, parseMethodList, parseNumber, parseOutput, parseRecordingOptions, type RecordingOptions } from './options.js';
import { addMethodOptions, methodOptionValues } from './method-options.js';
import { createProgress } from './progress.js';
import { baselineBatch, readBaselines, readInputFiles, itemsToBatch } from '../../pipeline/input-sources.js';
import { writeStaged } from './staged-output.js';

/** The options of `evaluate`, as commander hands them over. */
export interface EvaluateCommandOptions extends CommonOptions, RecordingOptions {
  model: string;
  input: string | string[];
  methods: string;
  randomSeeds: string;
  fraction: string;
  flipStep: string;
  step?: string;
  stats?: string;
  seed: string;
  target?: string;
  output?: string;
  scores: ScoreKind;
  batchSize: string;
  out?: string;
}


/**
 * Runs `evaluate` and returns its JSON document:
 * `{command, model, methods, fraction, step, positionsPerStep, steps, positionCount, statistics, seed, randomSeeds, scores,
 * results: [{input, target, targetName?, curves: [{method, seed?, positions, scores, targetScores, aopc, auc}], random, methods}]}`.
 * With `out`, also writes `evaluate.json` and one `pixel-flipping-<i>.svg/.png` chart per input into that folder.
 */
export async function runEvaluate(options: EvaluateCommandOptions, io: CliIo): Promise<Record<string, unknown>> {
  const log = createLogger(io, options);
  const methods = parseMethodList(options.methods);
  const randomSeeds = parseInteger(options.randomSeeds, '--random-seeds', 1) as number;
  const fraction = parseNumber(options.fraction, '--fraction', 0, 1) as number;
  const step = parseNumber(options.step ?? options.flipStep, options.step === undefined ? '--flip-step' : '--step', 0, 1) as number;
  const seed = parseInteger(options.seed, '--seed', 0) as number;
  const batchSize = parseInteger(options.batchSize, '--batch-size', 1) as number;
  const output = parseOutput(options.output);
  const model = await openModel(io, options.model);
  try {
    const items = await readInputFiles(options.input, model, parseRecordingOptions(options));
    writeWarnings(io, items);
    const statistics = options.stats === undefined ? 'auto' : await loadPixelStatistics(options.stats);
    log.debug(`${model.describe()}; ${items.length} input(s)`);
    const methodOptions = methodOptionValues(options as unknown as Record<string, unknown>);
    const baseline = baselineBatch(await readBaselines(methodOptions.baseline as string | undefined, items, model), items);
    const x = itemsToBatch(items);
    const progress = createProgress(io, 'evaluate', { quiet: options.quiet });
    let comparison;
    try {
      comparison = await compareWithRandom(model, x, {
        methodOptions: { ...methodOptions, baseline },
        methods,
        randomSeeds,
        fraction,
        step,
        statistics,
        seed,
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
    const head = model.outputNames[model.resolveOutput('evaluate', output)];
    const document: Record<string, unknown> = {
      command: 'evaluate',
      model: modelJson(model, output),
      head,
      warnings: [...new Set(items.flatMap((i) => i.warnings))],
      reading: evaluationReading(comparison.scores as ScoreKind),
      methods,
      fraction,
      step,
      positionsPerStep: comparison.positionsPerStep,
      steps: comparison.steps,
      positionCount: comparison.positionCount,
      statistics: comparison.statistics,
      seed: comparison.seed,
      randomSeeds: comparison.randomSeeds,
      scores: comparison.scores,
      results: comparison.results.map((r, i) => ({ input: items[i].name, head, warnings: items[i].warnings, ...(items[i].axes === undefined ? {} : { axes: items[i].axes }), ...r })),
    };
    if (options.out !== undefined) {
      const written = await writeStaged(options.out, async (staged) => {
        await staged.write('evaluate.json', `${toJson(document)}\n`);
        const fractions = Array.from({ length: comparison.steps + 1 }, (_, k) => (k * comparison.positionsPerStep) / comparison.positionCount);
        for (const [i, r] of comparison.results.entries()) {
        const spec = pixelFlippingSpec(
          {
            fractions,
            curves: r.curves.filter((c) => c.method !== 'random').map((c) => ({ method: c.method, scores: c.targetScores })),
            random: r.curves.filter((c) => c.method === 'random').map((c) => c.targetScores),
            title: `Pixel flipping: ${items[i].name}`,
            subtitle: `target ${r.targetName ?? r.target}; most relevant first vs ${comparison.randomSeeds.length} random orders`,
          },
          { scoreLabel: comparison.scores === 'probabilities' ? 'Target probability' : 'Target logit' },
        );
        const name = comparison.results.length === 1 ? 'pixel-flipping' : `pixel-flipping-${i}`;
        await staged.writeChart(name, spec);
        }
      });
      log.info(`wrote ${written.join(', ')}`);
    }
    return document;
  } finally {
    model.dispose();
  }
}

/** How to read AOPC and AUC, for the JSON document and the text output. */
export function evaluationReading(scores: ScoreKind): { aopc: string; auc: string } {
  const unit = scores === 'probabilities' ? 'probability' : 'logit';
  return {
    aopc: `AOPC: mean drop of the target ${unit} while the most relevant positions are replaced, in ${unit} units; higher is better (the explanation found what the model uses), and it should exceed the random orders' AOPC ("over random" > 0). Negative: the score rose.`,
    auc: 'AUC: area under the target score curve divided by the unflipped score, over the fraction flipped (0 to --fraction); lower is better (the score fell faster); n/a when the unflipped score is not positive.',
  };
}

function summaryLines(document: Record<string, unknown>): string {
  const results = document.results as { input: string; head: string; target: number; targetName?: string; random: { aopc: { mean: number; std: number } }; methods: { method: string; aopc: number; auc: number; aopcOverRandom: number }[] }[];
  const reading = document.reading as { aopc: string; auc: string };
  const unit = document.scores === 'probabilities' ? 'probability' : 'logit';
  const lines = results.map((r) => {
    const methods = r.methods.map(
      (m) => `  ${m.method}: AOPC ${m.aopc.toFixed(3)} ${unit}s (${m.aopcOverRandom >= 0 ? '+' : ''}${m.aopcOverRandom.toFixed(3)} against random: ${m.aopcOverRandom > 0 ? 'better' : 'no better'} than random), AUC ${Number.isFinite(m.auc) ? m.auc.toFixed(4) : 'n/a'}`,
    );
    return `${r.input}: head '${r.head}', target ${r.targetName ?? r.target}; random orders AOPC ${r.random.aopc.mean.toFixed(3)} ± ${r.random.aopc.std.toFixed(3)} ${unit}s\n${methods.join('\n')}\n`;
  });
  return `${lines.join('')}${reading.aopc}\n${reading.auc}\n`;
}

/** Builds the `evaluate` command. */
export function evaluateCommand(io: CliIo): Command {
  const command = new Command('evaluate')
    .description('pixel flipping: how fast the target score falls when the most relevant inputs are replaced, against random orders (AOPC, AUC)')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json')
    .requiredOption('-i, --input <paths...>', '.wav recordings (features by --preset), .npy/.json inputs in the model layout, or folders of them (searched recursively)')
    .option('--methods <names>', `comma-separated attribution methods (${attributionMethodNames.join(', ')})`, 'saliency')
    .option('--random-seeds <n>', 'number of random flipping orders (seeds seed, seed+1, ...)', '5')
    .option('--fraction <f>', 'fraction of all positions flipped in total', '0.25')
    .option('--flip-step <s>', 'fraction of all positions flipped per step (at least one position)', '0.005')
    .addOption(new Option('--step <s>').hideHelp())
    .option('--stats <file>', 'pixel statistics JSON {shape, mean, std, count} for the replacement values (default: the model\'s input batch norm, else each input\'s own mean and std)')
    .option('--seed <n>', 'seed of the replacement values and the random orders', '0')
    .option('--batch-size <n>', 'flipped inputs per model call', String(DEFAULT_BATCH_SIZE))
    .option('-o, --out <dir>', 'also write evaluate.json and pixel-flipping charts (.svg, .png) into this folder');
  addMethodOptions(command);
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: EvaluateCommandOptions) => {
    const document = await runEvaluate(options, io);
    if (options.json) writeJson(io, document);
    else io.stdout(summaryLines(document));
  });
  return command;
}
