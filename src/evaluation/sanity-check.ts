/**
 * The model-parameter randomisation test of Adebayo et al. (2018), "Sanity Checks for Saliency Maps": the weights of a
 * COPY of the model are randomised layer by layer from the top down (cascading), and after each step every method's
 * explanation is compared with the one of the trained model. A method that explains the model, not the input, must
 * change as its layers lose their training.
 */
import * as tf from '@tensorflow/tfjs';
import { SANITY_DEFAULT_METHODS } from './sanity-defaults.js';
import { ModelInput, asExplainableModel } from '../execution/explainable-model.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import { InputLike, toInputBatch } from '../execution/inputs.js';
import { leafLayers } from '../execution/layer-walk.js';
import { copyExplainableModel } from '../execution/model-copy.js';
import { createRng, type Rng } from '../util/rng.js';
import { attributionMethods, isAttributionMethodName, type AttributionMethodName } from '../attribution/registry.js';
import { disposeAttribution, type AttributionOptions } from '../attribution/types.js';
import type { TargetOption } from '../execution/targets.js';
import { spearman } from './rank-correlation.js';
import { ssim } from './ssim.js';

export { SANITY_DEFAULT_METHODS } from './sanity-defaults.js';

/** Options of {@link sanityCheck}. */
export interface SanityCheckOptions extends AttributionOptions {
  /** Methods to check (default gradients, guided backprop, integrated gradients). */
  methods?: readonly AttributionMethodName[];
  /** Seed of the random weights (default 0). */
  seed?: number;
  /** Further options handed to every method (e.g. `steps`, `samples`, `layer`). */
  methodOptions?: Record<string, unknown>;
}

/** One method's similarity to its trained-model explanation after each randomisation step (index 0: nothing randomised). */
export interface SanityCurve {
  method: AttributionMethodName;
  /** Spearman rank correlation of the heatmaps, per step (step 0 is 1). */
  spearman: number[];
  /** Structural similarity of the heatmaps, per step, for inputs with two non-channel axes. */
  ssim?: number[];
}

/** Result of {@link sanityCheck}. */
export interface SanityCheckResult {
  /** Layers in the order they were randomised (top first); step k has the first k randomised. */
  layers: string[];
  /** Per example: the explained class and one curve per method. */
  results: { target: number; targetName?: string; curves: SanityCurve[] }[];
}

/** Is this weight a statistic rather than a learned parameter (batch-norm moving mean and variance stay)? */
function isStatistic(variable: tf.LayerVariable): boolean {
  return /moving_(mean|variance)/.test(variable.originalName ?? variable.name);
}

/** Replaces a weight by seeded Gaussian values with its own mean and standard deviation (0.05 when it is constant). */
function randomiseVariable(variable: tf.LayerVariable, rng: Rng): void {
  const values = variable.read().dataSync();
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / values.length) || 0.05;
  const fresh = tf.tensor(
    Float32Array.from(values, () => mean + std * rng.normal()),
    variable.shape as number[],
  );
  variable.write(fresh);
  fresh.dispose();
}

function heatmapRows(heatmaps: tf.Tensor): { rows: Float32Array[]; shape: number[] } {
  const shape = heatmaps.shape.slice(1);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = heatmaps.dataSync();
  return {
    rows: Array.from({ length: heatmaps.shape[0] }, (_, e) => data.slice(e * size, (e + 1) * size) as Float32Array),
    shape,
  };
}

/**
 * Cascading model-parameter randomisation (Adebayo et al. 2018). The learned weights of the model's layers are
 * replaced, top layer first and cumulatively, by seeded Gaussian values with each tensor's own mean and standard
 * deviation (batch-norm moving statistics are kept) — on a copy: the given model is never modified. After each step
 * every method explains the same targets again, and its heatmap is compared with the trained model's by Spearman rank
 * correlation and, for inputs with two non-channel axes (spectrograms), SSIM.
 *
 * Options: `methods` (gradients, guided backprop, integrated gradients), `seed` (0), `methodOptions`, and the shared
 * `target`, `output`, `scores`, `batchSize`, `onProgress` (one unit per method per step). Needs a tf.LayersModel.
 * @example const { layers, results } = await sanityCheck(model, x, { methods: ['saliency', 'grad-cam'], seed: 1 });
 */
export async function sanityCheck(
  modelInput: ModelInput,
  inputs: InputLike,
  options: SanityCheckOptions = {},
): Promise<SanityCheckResult> {
  const functionName = 'sanityCheck';
  const methods = options.methods ?? SANITY_DEFAULT_METHODS;
  if (
    !Array.isArray(methods) ||
    methods.length === 0 ||
    !methods.every((m) => typeof m === 'string' && isAttributionMethodName(m))
  ) {
    throw argumentError(
      functionName,
      'methods',
      `a non-empty list of ${Object.keys(attributionMethods)
        .map((m) => `'${m}'`)
        .join(', ')}`,
      methods,
    );
  }
  const seed = options.seed ?? 0;
  if (!Number.isFinite(seed)) throw argumentError(functionName, 'seed', 'a finite number', seed);
  const model = asExplainableModel(modelInput, functionName);
  if (model.layersModel === null)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${functionName}' needs a tf.LayersModel: a plain function model has no layers to randomise.`,
    );
  const x = toInputBatch(functionName, model, inputs);
  try {
    const shared = {
      ...(options.methodOptions ?? {}),
      output: options.output,
      scores: options.scores,
      batchSize: options.batchSize,
    };
    let targets: TargetOption | undefined = options.target;
    const original: { rows: Float32Array[]; shape: number[] }[] = [];
    let targetNames: (string | undefined)[] = [];
    let resolved: number[] = [];
    const total = methods.length;
    for (const name of methods) {
      const result = await attributionMethods[name].run(model, x, { ...shared, target: targets });
      try {
        original.push(heatmapRows(result.heatmaps));
        resolved = result.targets;
        targetNames = result.targetNames;
        targets = result.targets;
      } finally {
        disposeAttribution(result);
      }
    }
    const copy = await copyExplainableModel(model, functionName);
    try {
      const layers = leafLayers(copy.layersModel as tf.LayersModel)
        .filter((l) => l.weights.some((w) => !isStatistic(w)))
        .reverse();
      const spearmans = methods.map(() => original[0].rows.map(() => [1]));
      const ssims = methods.map(() => original[0].rows.map(() => [1]));
      const steps = layers.length + 1;
      options.onProgress?.(total, total * steps);
      const rng = createRng(seed);
      for (const [k, layer] of layers.entries()) {
        for (const variable of layer.weights) if (!isStatistic(variable)) randomiseVariable(variable, rng);
        for (const [m, name] of methods.entries()) {
          const result = await attributionMethods[name].run(copy, x, { ...shared, target: resolved });
          try {
            const { rows, shape } = heatmapRows(result.heatmaps);
            rows.forEach((row, e) => {
              spearmans[m][e].push(spearman(original[m].rows[e], row));
              if (shape.length === 2) ssims[m][e].push(ssim(original[m].rows[e], row, shape[0], shape[1]));
            });
          } finally {
            disposeAttribution(result);
          }
          options.onProgress?.(total * (k + 1) + m + 1, total * steps);
        }
      }
      const twoD = original[0].shape.length === 2;
      return {
        layers: layers.map((l) => l.name),
        results: resolved.map((target, e) => ({
          target,
          ...(targetNames[e] === undefined ? {} : { targetName: targetNames[e] }),
          curves: methods.map((method, m) => ({
            method,
            spearman: spearmans[m][e],
            ...(twoD ? { ssim: ssims[m][e] } : {}),
          })),
        })),
      };
    } finally {
      copy.dispose();
    }
  } finally {
    x.dispose();
  }
}
