/** `wingbeats-xai evaluate`: pixel-flipping curves of attribution methods against random flipping, with AOPC and AUC. */
import { DEFAULT_BATCH_SIZE } from '../core/batching.js';
import { Command } from 'commander';
import type { ScoreKind } from '../core/explainable-model.js';
import { attributionMethodNames } from '../attribution/registry.js';
import { compareWithRandom } from '../evaluation/compare-with-random.js';
import { loadPixelStatistics } from '../evaluation/pixel-statistics-file.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../signal/presets.js';
import { pixelFlippingSpec } from '../render/pixel-flipping-chart.js';
import { addCommonOptions, createLogger, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { modelJson, parseTarget } from './explain-run.js';
import { checkMemoryEstimate } from './count-limits.js';
import { addMethodTuningOptions, addRecordingOptions, addTargetOptions, methodTuning, parseInteger, parseMethodList, parseNumber, parseOutput, type MethodTuningOptions } from './options.js';
import { integrationMethods } from '../attribution/integral-approximation.js';
import { createProgress } from './progress.js';
import { readInputs, itemsToBatch } from './read-inputs.js';
import { writeStaged } from './staged-output.js';
import { checkOutputFolder } from './output-target.js';

/** The options of `evaluate`, as commander hands them over. */
export interface EvaluateCommandOptions extends CommonOptions, MethodTuningOptions {
  model: string;
  input: string;
  methods: string;
  randomSeeds: string;
  fraction: string;
  step: string;
  stats?: string;
  seed: string;
  target?: string;
  output?: string;
  scores: ScoreKind;
  preset?: string;
  windows: 'loudest' | 'first' | 'all';
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
  const step = parseNumber(options.step, '--step', 0, 1) as number;
  const seed = parseInteger(options.seed, '--seed', 0) as number;
  const batchSize = parseInteger(options.batchSize, '--batch-size', 1) as number;
  const output = parseOutput(options.output);
  if (options.out !== undefined) await checkOutputFolder(options.out);
  const model = await openModel(io, options.model);
  try {
    const items = await readInputs(options.input, model, { preset: options.preset, windows: options.windows });
    const statistics = options.stats === undefined ? 'auto' : await loadPixelStatistics(options.stats);
    const positions = items[0]?.data.length ?? 0;
    const steps = Math.ceil((fraction * positions) / Math.max(1, Math.round(step * positions))) + 1;
    const classes = Number(model.layersModel?.outputs[model.resolveOutput('evaluate', output)].shape.at(-1) ?? 16);
    // Per input and curve: the flip order (positions) and the scores of every step (classes + target), as float64.
    checkMemoryEstimate(
      `evaluate: ${items.length} inputs × ${methods.length + randomSeeds} curves × ${steps} steps`,
      items.length * (methods.length + randomSeeds) * (positions + steps * (classes + 1)) * 8 * 3,
      'lower --random-seeds, raise --step or give fewer inputs',
    );
    log.debug(`${model.describe()}; ${items.length} input(s)`);
    const x = itemsToBatch(items);
    const progress = createProgress(io, 'evaluate', { quiet: options.quiet });
    let comparison;
    try {
      comparison = await compareWithRandom(model, x, {
        methodOptions: methodTuning(options),
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
      progress.done();
    }
    const document: Record<string, unknown> = {
      command: 'evaluate',
      model: modelJson(model, output),
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
      results: comparison.results.map((r, i) => ({ input: items[i].name, ...r })),
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

function summaryLines(document: Record<string, unknown>): string {
  const results = document.results as { input: string; target: number; targetName?: string; random: { aopc: { mean: number; std: number } }; methods: { method: string; aopc: number; auc: number; aopcOverRandom: number }[] }[];
  return results
    .map((r) => {
      const methods = r.methods.map((m) => `${m.method} AOPC ${m.aopc.toFixed(3)} (${m.aopcOverRandom >= 0 ? '+' : ''}${m.aopcOverRandom.toFixed(3)} over random), AUC ${Number.isFinite(m.auc) ? m.auc.toFixed(4) : 'n/a'}`);
      return `${r.input}: target ${r.targetName ?? r.target}; random AOPC ${r.random.aopc.mean.toFixed(3)} ± ${r.random.aopc.std.toFixed(3)}; ${methods.join('; ')}\n`;
    })
    .join('');
}

/** Builds the `evaluate` command. */
export function evaluateCommand(io: CliIo): Command {
  const command = new Command('evaluate')
    .description('pixel flipping: how fast the target score falls when the most relevant inputs are replaced, against random orders (AOPC, AUC)')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json')
    .requiredOption('-i, --input <file>', '.wav (features by --preset), .npy or .json input(s) in the model layout')
    .option('--methods <names>', `comma-separated attribution methods (${attributionMethodNames.join(', ')})`, 'saliency')
    .option('--random-seeds <n>', 'number of random flipping orders (seeds seed, seed+1, ...)', '5')
    .option('--fraction <f>', 'fraction of all positions flipped in total', '0.25')
    .option('--step <s>', 'fraction of all positions flipped per step (at least one position)', '0.005')
    .option('--stats <file>', 'pixel statistics JSON {shape, mean, std, count} for the replacement values (default: the model\'s input batch norm, else each input\'s own mean and std)')
    .option('--seed <n>', 'seed of the replacement values and the random orders', '0')
    .option('--batch-size <n>', 'flipped inputs per model call', String(DEFAULT_BATCH_SIZE))
    .option('-o, --out <dir>', 'also write evaluate.json and pixel-flipping charts (.svg, .png) into this folder');
  addMethodTuningOptions(command, integrationMethods);
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
