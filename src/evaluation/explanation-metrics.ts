/**
 * The metrics of the `evaluate --metrics` command in one call: every chosen attribution method explained once, then
 * every chosen metric of each method's explanation, with a plain reading of each number (what is good, against what,
 * and the perturbation used). Targets are chosen once on the clean inputs and shared by every method and metric.
 */
import type { ModelInput } from '../execution/explainable-model.js';
import { checkMetricNames } from './metric-catalog.js';
import type { ExplanationMetricName } from './metric-catalog.js';
import type { InputLike } from '../execution/inputs.js';
import { RequestOptions, withModelRequest } from '../session/model-request.js';
import { argumentError } from '../util/errors.js';
import { isAttributionMethodName, attributionMethodNames } from '../attribution/registry.js';
import { CurveSummary, perturbationCurves, removalSetup } from './perturbation-curves.js';
import { ROAD_FRACTIONS, roadCurves } from './road.js';
import { faithfulnessCorrelationOf } from './faithfulness-correlation.js';
import { infidelityOf } from './infidelity.js';
import { sensitivityMaxOf } from './sensitivity-max.js';
import { sparseness } from './sparseness.js';
import { complexity } from './complexity.js';
import { randomLogitOf } from './random-logit.js';
import { MethodRows, methodFunction, methodRows } from './method-attributions.js';
import type { StatisticsOption } from './replacement-statistics.js';
import { positionLayout } from './flip-order.js';

export { explanationMetrics, explanationMetricNames, METRIC_OPTIONS, checkMetricNames } from './metric-catalog.js';
export type { ExplanationMetricName } from './metric-catalog.js';

/** Signed relevance per position: the attributions summed over the channels of each position. */
export function positionSums(attributions: Float32Array, channels: number): Float64Array {
  const out = new Float64Array(attributions.length / channels);
  for (let i = 0; i < attributions.length; i++) out[Math.floor(i / channels)] += attributions[i];
  return out;
}

/** A metric's value for one method and input: a number, or a curve summary (deletion, insertion, ROAD). */
export type MetricValue = number | CurveSummary;

/** Options of {@link explanationMetricsOf}. */
export interface ExplanationMetricsOptions extends RequestOptions {
  /** Registry names of the methods (default `['saliency']`). */
  methods?: readonly string[];
  /** Metrics (default: all). */
  metrics?: readonly ExplanationMetricName[];
  /** Options of every method (e.g. `{ steps: 32 }`). */
  methodOptions?: Record<string, unknown>;
  /** Perturbations per input of infidelity and sensitivity-max (default 10), subsets of faithfulness correlation. */
  perturbations?: number;
  /** Infidelity's σ, in input units (default 0.15). */
  noiseStdev?: number;
  /** Infidelity's `normalize` (default false). */
  normalize?: boolean;
  /** Sensitivity-max's radius, in input units (default 0.02). */
  radius?: number;
  /** Faithfulness correlation's subset size as a fraction of the positions (default 0.1). */
  subsetFraction?: number;
  /** Deletion and insertion: fraction of all positions in total (default 1) and per step (default 0.01). */
  fraction?: number;
  step?: number;
  /** Random orders of deletion, insertion and ROAD (default 5). */
  randomSeeds?: number | readonly number[];
  /** Removal values of deletion, insertion, ROAD's 0 and faithfulness correlation (default `'auto'`). */
  statistics?: StatisticsOption;
  /** Called with (stages done, total stages): one per method and per method × metric. */
  onProgress?: (done: number, total: number) => void;
}

/** Result of {@link explanationMetricsOf}. */
export interface ExplanationMetricsResult {
  seed: number;
  methods: string[];
  metrics: ExplanationMetricName[];
  /** Per metric: what its number means (see {@link metricReadings}). */
  readings: Record<string, string>;
  results: {
    target: number;
    targetName?: string;
    /** `metrics[method][metric]`. */
    metrics: Record<string, Record<string, MetricValue>>;
  }[];
}

const FUNCTION = 'explanationMetrics';

/** What each metric's number means under these settings: what is good, against what, the perturbation used. */
export function metricReadings(
  metrics: readonly ExplanationMetricName[],
  settings: {
    scores: string;
    perturbations: number;
    noiseStdev: number;
    normalize: boolean;
    radius: number;
    subsetFraction: number;
    fraction: number;
    randomSeeds: number;
    statistics: string;
  },
): Record<string, string> {
  const unit = settings.scores === 'probabilities' ? 'probability' : 'logit';
  const removal = `each removed position gets one value drawn from N(mean, std²) of the ${settings.statistics === 'batch-norm' ? "model's input batch normalisation" : settings.statistics === 'given' ? 'given pixel statistics' : "input's own values"} (the same value for the explanation's order and the ${settings.randomSeeds} random orders)`;
  const curve = `0 = the target ${unit} with every position removed, 1 = the original target ${unit}`;
  const texts: Record<ExplanationMetricName, string> = {
    deletion: `Deletion: positions removed most relevant first (largest attributions summed over channels: positive evidence first for signed methods), ${Math.round(settings.fraction * 100)} % of them in total; ${removal}. auc = mean normalised score over the curve (${curve}); "score unchanged" reads 1. Lower is better; compare with random.mean (overRandom > 0 = better than random). Above 1: the score rose while positions were removed.`,
    insertion: `Insertion: starting from the input with every position removed (${removal}), the original values are put back most relevant first, ${Math.round(settings.fraction * 100)} % of them in total. auc = mean normalised score over the curve (${curve}). Higher is better; compare with random.mean (overRandom > 0 = better than random).`,
    road: `ROAD: the most relevant ${ROAD_FRACTIONS[0] * 100} %, ..., ${ROAD_FRACTIONS[ROAD_FRACTIONS.length - 1] * 100} % of the positions removed by noisy linear imputation (each removed value = the weighted mean of its neighbours, plus noise of 0.01 × the input's standard deviation), so the removal's shape gives nothing away. auc as deletion's (${curve}); lower is better; compare with random.mean (overRandom > 0 = better than random).`,
    'faithfulness-correlation': `Faithfulness correlation: Pearson correlation, over ${settings.perturbations} random subsets of ${Math.round(settings.subsetFraction * 100)} % of the positions (removed as deletion removes them), between the attributions' sum over the subset and the drop of the target ${unit}. 1 = the attributions predict the drops; 0 = unrelated; negative = misleading. Higher is better.`,
    infidelity: `Infidelity (Captum's definition): mean over ${settings.perturbations} perturbations I ~ N(0, ${settings.noiseStdev}²) per value (input units; perturbed input x − I) of (Σ attributions·I − (f(x) − f(x − I)))², f the target ${unit}${settings.normalize ? ', attributions first scaled by the best β (normalize)' : ''}. 0 = the attributions predict every change; lower is better; in squared ${unit}s, so compare methods, not models.`,
    'sensitivity-max': `Max-sensitivity (Captum's definition): the largest ‖Φ(x+δ) − Φ(x)‖ / ‖Φ(x)‖ over ${settings.perturbations} perturbations δ ~ U(−${settings.radius}, ${settings.radius}) per value (input units), the explanation Φ recomputed for the same target. 0 = the explanation does not move; 0.1 = it changes by 10 %; lower is better.`,
    sparseness:
      'Sparseness: Gini index of |attributions| over all input values. 0 = relevance spread evenly, → 1 = concentrated on a few values; higher = sparser (easier to read), not by itself more faithful.',
    complexity:
      'Complexity: entropy (nats) of |attributions| / Σ|attributions| over all input values. 0 = all relevance on one value, ln(number of values) = spread evenly; lower = simpler.',
    'random-logit':
      'Random-logit: similarity of the heatmap for the explained class and the heatmap for a random other class (SSIM for 2-D maps, Spearman rank correlation for 1-D). Near 1 = the explanation hardly depends on the class (it shows the input, not the decision); lower is better.',
  };
  return Object.fromEntries(metrics.map((m) => [m, texts[m]]));
}

/**
 * Every chosen metric of every chosen method's explanation, per input: `results[i].metrics[method][metric]`, a number
 * or (deletion, insertion, ROAD) a {@link CurveSummary}, plus `readings`, the plain meaning of each number.
 * Options: see {@link ExplanationMetricsOptions}. Seeded: the same `seed` gives the same numbers. Returns plain numbers.
 * @example const r = await explanationMetricsOf(model, x, { methods: ['saliency'], metrics: ['deletion', 'infidelity'], seed: 0 });
 */
export async function explanationMetricsOf(
  modelInput: ModelInput,
  inputs: InputLike,
  options: ExplanationMetricsOptions = {},
): Promise<ExplanationMetricsResult> {
  const methods = [...(options.methods ?? ['saliency'])];
  if (methods.length === 0 || methods.some((m) => typeof m !== 'string' || !isAttributionMethodName(m)))
    throw argumentError(
      FUNCTION,
      'methods',
      `a non-empty list of ${attributionMethodNames.join(', ')}`,
      options.methods,
    );
  const metrics = checkMetricNames(FUNCTION, options.metrics);
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const perturbations = options.perturbations ?? 10;
  const settings = {
    perturbations,
    noiseStdev: options.noiseStdev ?? 0.15,
    normalize: options.normalize ?? false,
    radius: options.radius ?? 0.02,
    subsetFraction: options.subsetFraction ?? 0.1,
    fraction: options.fraction ?? 1,
    step: options.step ?? 0.01,
  };
  return withModelRequest(FUNCTION, modelInput, inputs, options, async (request) => {
    const total = methods.length * (1 + metrics.length);
    let done = 0;
    const tick = (): void => options.onProgress?.(++done, total);
    const layout = positionLayout(request.x.shape.slice(1));
    const explained: MethodRows[] = [];
    for (const name of methods) {
      explained.push(
        await methodRows(
          methodFunction(FUNCTION, name),
          request,
          request.model,
          request.x,
          request.targets,
          seed,
          options.methodOptions,
        ),
      );
      tick();
    }
    const values = request.targets.map(() =>
      Object.fromEntries(methods.map((m) => [m, {} as Record<string, MetricValue>])),
    );
    const put = (metric: string, perMethod: MetricValue[][]): void =>
      perMethod.forEach((list, m) => list.forEach((v, e) => (values[e][methods[m]][metric] = v)));
    let statistics = 'input';
    for (const metric of metrics) {
      if (metric === 'deletion' || metric === 'insertion' || metric === 'road') {
        const relevance = explained.map((r) => r.attributions.map((a) => positionSums(a, layout.channels)));
        const common = { statistics: options.statistics, randomSeeds: options.randomSeeds, seed };
        const curves =
          metric === 'road'
            ? await roadCurves(request, relevance, common)
            : await perturbationCurves(FUNCTION, request, metric, relevance, {
                ...common,
                fraction: settings.fraction,
                step: settings.step,
              });
        put(metric, curves);
        done += methods.length - 1;
        tick();
        continue;
      }
      const perMethod: number[][] = [];
      for (let m = 0; m < methods.length; m++) {
        const { attributions, heatmaps } = explained[m];
        if (metric === 'sparseness') perMethod.push(attributions.map(sparseness));
        else if (metric === 'complexity') perMethod.push(attributions.map(complexity));
        else if (metric === 'faithfulness-correlation')
          perMethod.push(
            await faithfulnessCorrelationOf(request, attributions, {
              perturbations,
              subsetFraction: settings.subsetFraction,
              statistics: options.statistics,
              seed,
            }),
          );
        else if (metric === 'infidelity')
          perMethod.push(
            await infidelityOf(request, attributions, {
              perturbations,
              noiseStdev: settings.noiseStdev,
              normalize: settings.normalize,
              seed,
            }),
          );
        else if (metric === 'sensitivity-max')
          perMethod.push(
            await sensitivityMaxOf(request, attributions, {
              method: methods[m],
              methodOptions: options.methodOptions,
              perturbations,
              radius: settings.radius,
              seed,
            }),
          );
        else
          perMethod.push(
            (await randomLogitOf(request, heatmaps, { method: methods[m], methodOptions: options.methodOptions, seed }))
              .similarity,
          );
        tick();
      }
      put(metric, perMethod);
    }
    if (metrics.some((m) => m === 'deletion' || m === 'insertion' || m === 'road' || m === 'faithfulness-correlation'))
      statistics = removalSetup(FUNCTION, request, options.statistics, seed).source;
    const randomSeeds =
      typeof options.randomSeeds === 'number' ? options.randomSeeds : (options.randomSeeds?.length ?? 5);
    return {
      seed,
      methods,
      metrics,
      readings: metricReadings(metrics, { scores: request.scores, ...settings, randomSeeds, statistics }),
      results: request.targets.map((target, e) => ({
        target,
        ...(request.labels?.[target] === undefined ? {} : { targetName: request.labels[target] }),
        metrics: values[e],
      })),
    };
  });
}
