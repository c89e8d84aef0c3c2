/** The explanation metrics by name and their options as specs, free of TensorFlow.js (the command line builds its flags and help from them). */
import { argumentError } from '../util/errors.js';
import type { OptionSpec } from '../util/option-spec.js';

/** Every metric, by its stable name, with the direction that is better. */
export const explanationMetrics = {
  deletion: { title: 'Deletion', better: 'lower', kind: 'curve' },
  insertion: { title: 'Insertion', better: 'higher', kind: 'curve' },
  road: { title: 'ROAD', better: 'lower', kind: 'curve' },
  'faithfulness-correlation': { title: 'Faithfulness correlation', better: 'higher', kind: 'number' },
  infidelity: { title: 'Infidelity', better: 'lower', kind: 'number' },
  'sensitivity-max': { title: 'Max-sensitivity', better: 'lower', kind: 'number' },
  sparseness: { title: 'Sparseness (Gini)', better: 'higher', kind: 'number' },
  complexity: { title: 'Complexity (entropy)', better: 'lower', kind: 'number' },
  'random-logit': { title: 'Random-logit similarity', better: 'lower', kind: 'number' },
} as const;

/** Name of a metric. */
export type ExplanationMetricName = keyof typeof explanationMetrics;

/** The metric names, in registry order. */
export const explanationMetricNames = Object.keys(explanationMetrics) as ExplanationMetricName[];

/** The metrics' own options, as specs (flags, defaults, ranges, help). */
export const METRIC_OPTIONS = [
  {
    name: 'perturbations',
    flag: '--perturbations',
    type: 'integer',
    default: 10,
    min: 2,
    max: 100000,
    help: 'infidelity, sensitivity-max, faithfulness-correlation: perturbations (random subsets) per input',
  },
  {
    name: 'infidelityStdev',
    flag: '--infidelity-stdev',
    type: 'number',
    default: 0.15,
    min: 0,
    max: 1e6,
    help: "infidelity: σ of its perturbations I ~ N(0, σ²) per value, in input units (the library's noiseStdev; SmoothGrad's --noise-stdev is another option)",
  },
  {
    name: 'normalize',
    flag: '--normalize',
    type: 'boolean',
    default: false,
    help: "infidelity: scale the attributions by the best β first (Captum's normalize)",
  },
  {
    name: 'radius',
    flag: '--radius',
    type: 'number',
    default: 0.02,
    min: 0,
    max: 1e6,
    help: 'sensitivity-max: radius r of the uniform perturbation x + U(−r, r), in input units',
  },
  {
    name: 'subsetFraction',
    flag: '--subset-fraction',
    type: 'number',
    default: 0.1,
    min: 0,
    max: 1,
    help: 'faithfulness-correlation: size of each random subset, as a fraction of all positions',
  },
] as const satisfies readonly OptionSpec[];

/** Checks the `metrics` list against the registry. */
export function checkMetricNames(functionName: string, metrics: unknown): ExplanationMetricName[] {
  const list = metrics ?? explanationMetricNames;
  if (!Array.isArray(list) || list.length === 0 || list.some((m) => !Object.hasOwn(explanationMetrics, m))) {
    throw argumentError(
      functionName,
      'metrics',
      `a non-empty list of ${explanationMetricNames.map((n) => `'${n}'`).join(', ')}`,
      metrics,
    );
  }
  return list as ExplanationMetricName[];
}
