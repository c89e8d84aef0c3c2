/** The `evaluate` job: pixel flipping of attribution methods against random orders → a typed document and charts. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import { compareWithRandom, type InputComparison } from '../evaluation/compare-with-random.js';
import type { PixelStatistics } from '../evaluation/pixel-statistics.js';
import { pixelFlippingSpec } from '../render/pixel-flipping-chart.js';
import { requestOptions, type JobSettings, runsOn } from './explain-items.js';
import { withItemBatch, type InputItem } from './input-sources.js';
import { jsonFile, type OutputFile } from './output-files.js';
import { modelJson } from './result-json.js';
import type { FeatureAxes } from '../signal/feature-axes.js';

/** Settings of an evaluation. */
export interface EvaluationSettings extends JobSettings {
  methods: AttributionMethodName[];
  /** Number of random orders (seeds `seed`, `seed + 1`, ...). */
  randomSeeds: number;
  /** Fraction of all positions flipped in total. */
  fraction: number;
  /** Fraction of all positions flipped per step. */
  flipStep: number;
  /** Replacement statistics (default `'auto'`). */
  statistics?: PixelStatistics | 'auto';
}

/** The `evaluate --json` document. */
export interface EvaluationDocument {
  command: 'evaluate';
  model: Record<string, unknown>;
  /** The explained head (also in every result). */
  head: string;
  /** Every distinct warning about the inputs. */
  warnings: string[];
  /** How to read AOPC and AUC: which direction is better, in which unit, against what. */
  reading: { aopc: string; auc: string; replacement: string };
  methods: AttributionMethodName[];
  fraction: number;
  step: number;
  positionsPerStep: number;
  steps: number;
  positionCount: number;
  statistics: string;
  seed: number;
  randomSeeds: number[];
  scores: string;
  results: (InputComparison & { input: string; head: string; warnings: string[]; axes?: FeatureAxes })[];
}

/** How to read AOPC and AUC, for the JSON document and the text output. */
export function evaluationReading(
  scores: string,
  statistics = 'input',
): { aopc: string; auc: string; replacement: string } {
  const unit = scores === 'probabilities' ? 'probability' : 'logit';
  return {
    aopc: `AOPC: mean drop of the target ${unit} while the most relevant positions are replaced, in ${unit} units; higher is better (the explanation found what the model uses), and it should exceed the random orders' AOPC ("over random" > 0). Negative: the score rose.`,
    auc: 'AUC: area under the target score curve divided by the unflipped score, over the fraction flipped (0 to --fraction); lower is better (the score fell faster); n/a when the unflipped score is not positive.',
    replacement: `Flipped positions were replaced, all channels of a position together, by mean + std·z (one standard-normal z per flipped position, seeded) with mean and std per value from ${
      statistics === 'batch-norm'
        ? "the model's input batch normalisation (the training data's statistics)"
        : statistics === 'given'
          ? 'the --stats file'
          : "each input's own values"
    }. Positions are ordered by the heatmap (|attribution|, so negative evidence is flipped as early as positive evidence, and flipping it can raise the score). "No better than random" can mean the explanation is unfaithful, or that these replacement values are themselves unlike the data (an input far from the training data, whose replaced bins look like nothing the model saw); evaluate --metrics deletion,insertion,road compares orders over one removal and with imputation instead.`,
  };
}

/**
 * Compares each method's pixel-flipping curve with random orders on every item; returns the document and the files
 * (`evaluate.json`, one `pixel-flipping[-i]` chart per input).
 * @example const { document } = await evaluationJob(model, items, { methods: ['saliency'], randomSeeds: 5, fraction: 0.25, flipStep: 0.005, seed: 0 });
 */
export async function evaluationJob(
  model: ExplainableModel,
  items: InputItem[],
  settings: EvaluationSettings,
): Promise<{ document: EvaluationDocument; files: OutputFile[] }> {
  const comparison = await withItemBatch(items, settings.baselines, (x, baseline) =>
    compareWithRandom(runsOn(model, settings), x, {
      methodOptions: { ...settings.methodOptions, baseline },
      methods: settings.methods,
      randomSeeds: settings.randomSeeds,
      fraction: settings.fraction,
      step: settings.flipStep,
      statistics: settings.statistics ?? 'auto',
      seed: settings.seed,
      ...requestOptions(settings),
    }),
  );
  const head = model.outputNames[model.resolveOutput('evaluate', settings.output)];
  const document: EvaluationDocument = {
    command: 'evaluate',
    model: modelJson(model, settings.output),
    head,
    warnings: [...new Set(items.flatMap((i) => i.warnings))],
    reading: evaluationReading(comparison.scores, comparison.statistics),
    methods: settings.methods,
    fraction: settings.fraction,
    step: settings.flipStep,
    positionsPerStep: comparison.positionsPerStep,
    steps: comparison.steps,
    positionCount: comparison.positionCount,
    statistics: comparison.statistics,
    seed: comparison.seed,
    randomSeeds: comparison.randomSeeds,
    scores: comparison.scores,
    results: comparison.results.map((r, i) => ({
      input: items[i].name,
      head,
      warnings: items[i].warnings,
      ...(items[i].axes === undefined ? {} : { axes: items[i].axes }),
      ...r,
    })),
  };
  const fractions = Array.from(
    { length: comparison.steps + 1 },
    (_, k) => (k * comparison.positionsPerStep) / comparison.positionCount,
  );
  const charts = comparison.results.map((r, i): OutputFile => ({
    name: comparison.results.length === 1 ? 'pixel-flipping' : `pixel-flipping-${i}`,
    chart: () =>
      pixelFlippingSpec(
        {
          fractions,
          curves: r.curves
            .filter((c) => c.method !== 'random')
            .map((c) => ({ method: c.method, scores: c.targetScores })),
          random: r.curves.filter((c) => c.method === 'random').map((c) => c.targetScores),
          title: `Pixel flipping: ${items[i].name}`,
          subtitle: `target ${r.targetName ?? r.target}; most relevant first vs ${comparison.randomSeeds.length} random orders`,
        },
        { scoreLabel: comparison.scores === 'probabilities' ? 'Target probability' : 'Target logit' },
      ),
  }));
  return { document, files: [jsonFile('evaluate.json', document), ...charts] };
}

/**
 * Per input: the head, target and random AOPC, then each method's AOPC (in score units), whether it beats random, and
 * AUC; at the end how to read them ({@link evaluationReading}).
 */
export function evaluationSummary(document: EvaluationDocument): string {
  const unit = document.scores === 'probabilities' ? 'probability' : 'logit';
  const lines = document.results.map((r) => {
    const methods = r.methods.map(
      (m) =>
        `  ${m.method}: AOPC ${m.aopc.toFixed(3)} ${unit}s (${m.aopcOverRandom >= 0 ? '+' : ''}${m.aopcOverRandom.toFixed(3)} against random: ${m.aopcOverRandom > 0 ? 'better' : 'no better'} than random), AUC ${Number.isFinite(m.auc) ? m.auc.toFixed(4) : 'n/a'}`,
    );
    return `${r.input}: head '${r.head}', target ${r.targetName ?? r.target}; random orders AOPC ${r.random.aopc.mean.toFixed(3)} ± ${r.random.aopc.std.toFixed(3)} ${unit}s\n${methods.join('\n')}\n`;
  });
  return `${lines.join('')}${document.reading.aopc}\n${document.reading.auc}\n${document.reading.replacement}\n`;
}
