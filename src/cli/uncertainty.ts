/** `wingbeats-xai uncertainty`: explanations under Monte-Carlo dropout, summarised as quantile, mean and std maps. */
import { DEFAULT_BATCH_SIZE } from '../core/batching.js';
import { Command, Option } from 'commander';
import { WingbeatsError } from '../core/errors.js';
import type { ScoreKind } from '../core/explainable-model.js';
import { attributionMethodNames, isAttributionMethodName } from '../attribution/registry.js';
import { mcDropoutExplanations } from '../uncertainty/mc-dropout-explanations.js';
import { quantileMaps, quantileMethods, type QuantileMethod } from '../uncertainty/quantile-maps.js';
import { openModel } from './open-model.js';
import { FEATURE_PRESET_NAMES } from '../signal/presets.js';
import { heatmapRowSpec } from '../render/heatmap-row-chart.js';
import type { Grid } from '../render/grid.js';
import { addCommonOptions, createLogger, nestArray, toJson, writeJson, type CliIo, type CommonOptions } from './common.js';
import { modelJson, parseTarget } from './explain-run.js';
import { checkMemoryEstimate } from './count-limits.js';
import { addMethodTuningOptions, addRecordingOptions, addTargetOptions, methodTuning, parseInteger, parseNumber, parseOutput, type MethodTuningOptions } from './options.js';
import { integrationMethods } from '../attribution/integral-approximation.js';
import { createProgress } from './progress.js';
import { readInputs, itemsToBatch } from './read-inputs.js';
import { writeStaged } from './staged-output.js';
import { checkOutputFolder } from './output-target.js';

/** The options of `uncertainty`, as commander hands them over. */
export interface UncertaintyCommandOptions extends CommonOptions, MethodTuningOptions {
  model: string;
  input: string;
  method: string;
  samples: string;
  quantiles: string;
  quantileMethod: QuantileMethod;
  seed: string;
  keepSamples?: boolean;
  target?: string;
  output?: string;
  scores: ScoreKind;
  preset?: string;
  windows: 'loudest' | 'first' | 'all';
  batchSize: string;
  out?: string;
}

function quantileTitle(q: number): string {
  return q === 0.5 ? 'median (q50)' : `q${Math.round(q * 1000) / 10}`;
}

/**
 * Runs `uncertainty` and returns its JSON document:
 * `{command, model, method, samples, seed, quantileMethod, heatmapShape, results: [{input, target, targetName?, quantiles,
 * quantileMaps: [...], mean, std, predictions: {mean, std}, probabilities?: {mean, std}, samples?: [...]}]}`, maps nested
 * in the heatmap's shape. With `out`, also writes `uncertainty.json` and per input a row of quantile maps and the mean
 * (`quantile-maps[-<i>].svg/.png`) and the standard-deviation map on its own scale (`std-map[-<i>].svg/.png`).
 */
export async function runUncertainty(options: UncertaintyCommandOptions, io: CliIo): Promise<Record<string, unknown>> {
  const log = createLogger(io, options);
  if (!isAttributionMethodName(options.method)) {
    throw new WingbeatsError('INVALID_ARGUMENT', `Option '--method' must be one of ${attributionMethodNames.join(', ')} but got '${options.method}'.`);
  }
  const method = options.method;
  const samples = parseInteger(options.samples, '--samples', 1) as number;
  const quantiles = options.quantiles.split(',').map((q) => parseNumber(q, '--quantiles', 0, 1) as number);
  const seed = parseInteger(options.seed, '--seed', 0) as number;
  const batchSize = parseInteger(options.batchSize, '--batch-size', 1) as number;
  const output = parseOutput(options.output);
  if (options.out !== undefined) await checkOutputFolder(options.out);
  const model = await openModel(io, options.model);
  try {
    const items = await readInputs(options.input, model, { preset: options.preset, windows: options.windows });
    const values = items.length * (items[0]?.data.length ?? 0);
    // Every sample's heatmap is kept for the quantiles (float32), and written as JSON text with --keep-samples.
    checkMemoryEstimate(`uncertainty: ${samples} samples × ${values} input values`, samples * values * (options.keepSamples === true ? 40 : 4), 'lower --samples or give fewer inputs');
    const x = itemsToBatch(items);
    const progress = createProgress(io, `uncertainty (${samples} samples)`, { quiet: options.quiet });
    let mc;
    try {
      mc = await mcDropoutExplanations(model, x, {
        methodOptions: methodTuning(options),
        method,
        samples,
        seed,
        keepSamples: true,
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
    const shape = mc.heatmapShape;
    const nest = (values: ArrayLike<number>): unknown => nestArray(values, shape);
    const summaries = mc.examples.map((example) => quantileMaps(example.samples as Float32Array[], quantiles, { method: options.quantileMethod }));
    const document: Record<string, unknown> = {
      command: 'uncertainty',
      model: modelJson(model, output),
      method,
      samples,
      seed: mc.seed,
      scores: mc.scores,
      quantileMethod: options.quantileMethod,
      heatmapShape: shape,
      results: mc.examples.map((example, i) => ({
        input: items[i].name,
        target: example.target,
        ...(example.targetName === undefined ? {} : { targetName: example.targetName }),
        quantiles,
        quantileMaps: summaries[i].maps.map(nest),
        mean: nest(example.mean),
        std: nest(example.std),
        predictions: { mean: example.predictions.mean, std: example.predictions.std },
        ...(example.probabilities === undefined ? {} : { probabilities: example.probabilities }),
        ...(options.keepSamples === true ? { samples: (example.samples as Float32Array[]).map(nest) } : {}),
      })),
    };
    if (options.out !== undefined) {
      const written = await writeStaged(options.out, async (staged) => {
        await staged.write('uncertainty.json', `${toJson(document)}\n`);
        const grid = (values: ArrayLike<number>): Grid => (shape.length >= 2 ? { values, rows: shape[0], cols: shape.slice(1).reduce((a, b) => a * b, 1) } : { values, rows: 1, cols: shape[0] });
        for (const [i, example] of mc.examples.entries()) {
        const suffix = mc.examples.length === 1 ? '' : `-${i}`;
        const subtitle = `target ${example.targetName ?? example.target}; ${samples} samples, ${options.quantileMethod} quantiles`;
        const charts = [
          {
            name: `quantile-maps${suffix}`,
            spec: heatmapRowSpec(
              {
                panels: [
                  ...quantiles.map((q, k) => ({ title: quantileTitle(q), grid: grid(summaries[i].maps[k]) })),
                  { title: 'mean', grid: grid(example.mean) },
                ],
                title: `${method} under Monte-Carlo dropout: ${items[i].name}`,
                subtitle,
              },
              { legendTitle: 'Relevance' },
            ),
          },
          {
            // The standard deviation gets its own colour scale (it is much smaller than the maps).
            name: `std-map${suffix}`,
            spec: heatmapRowSpec({ panels: [{ title: 'std', grid: grid(example.std) }], title: `Standard deviation over samples: ${items[i].name}`, subtitle }, { legendTitle: 'Std' }),
          },
        ];
        for (const { name, spec } of charts) {
          await staged.writeChart(name, spec);
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
  const results = document.results as { input: string; target: number; targetName?: string; predictions: { mean: number[]; std: number[] }; probabilities?: { mean: number[]; std: number[] }; std: unknown }[];
  return results
    .map((r) => {
      const spread = r.probabilities ?? r.predictions;
      const kind = r.probabilities === undefined ? 'score' : 'probability';
      const stds = [r.std].flat(Infinity) as number[];
      const meanStd = stds.reduce((a, b) => a + b, 0) / stds.length;
      return `${r.input}: target ${r.targetName ?? r.target}, ${kind} ${spread.mean[r.target].toFixed(4)} ± ${spread.std[r.target].toFixed(4)} over ${String(document.samples)} samples; mean heatmap std ${meanStd.toFixed(4)}\n`;
    })
    .join('');
}

/** Builds the `uncertainty` command. */
export function uncertaintyCommand(io: CliIo): Command {
  const command = new Command('uncertainty')
    .description('explanations under Monte-Carlo dropout (only Dropout layers on): per-position quantile, mean and std maps')
    .requiredOption('-m, --model <file>', 'Keras .h5 (full or wingbeats weights-only) or TensorFlow.js model.json with a Dropout layer')
    .requiredOption('-i, --input <file>', '.wav (features by --preset), .npy or .json input(s) in the model layout')
    .addOption(new Option('--method <name>', 'attribution method').choices(attributionMethodNames).default('saliency'))
    .option('--samples <n>', 'number of Monte-Carlo dropout samples', '100')
    .option('--quantiles <list>', 'comma-separated quantiles in [0, 1]', '0.25,0.5,0.75')
    .addOption(new Option('--quantile-method <rule>', "'exact' (NumPy's linear rule) or 'histogram' (the original 50-bin rule)").choices([...quantileMethods]).default('exact'))
    .option('--seed <n>', 'seed of the dropout masks', '0')
    .option('--keep-samples', 'include every sample\'s heatmap in the JSON')
    .option('--batch-size <n>', 'rows per model call', String(DEFAULT_BATCH_SIZE))
    .option('-o, --out <dir>', 'also write uncertainty.json and the quantile-map pictures (.svg, .png) into this folder');
  addMethodTuningOptions(command, integrationMethods);
  addTargetOptions(command);
  addRecordingOptions(command, FEATURE_PRESET_NAMES);
  addCommonOptions(command);
  command.action(async (options: UncertaintyCommandOptions) => {
    const document = await runUncertainty(options, io);
    if (options.json) writeJson(io, document);
    else io.stdout(summaryLines(document));
  });
  return command;
}
