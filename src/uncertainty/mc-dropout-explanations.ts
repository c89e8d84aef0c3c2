/**
 * Explanations under Monte-Carlo dropout: any registered attribution method run on N thinned networks (only the
 * Dropout layers switched on), with running mean and standard-deviation maps and, on request, every sample's heatmap
 * for quantile maps.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ModelInput } from '../execution/explainable-model.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import type { InputLike } from '../execution/inputs.js';
import { withModelRequest } from '../execution/model-request.js';
import { createRng } from '../util/rng.js';
import { leafLayers } from '../execution/layer-walk.js';
import { OptionSpec, checkOption } from '../util/option-spec.js';
import {
  AttributionMethodName,
  attributionMethodNames,
  attributionMethods,
  isAttributionMethodName,
} from '../attribution/registry.js';
import { disposeAttribution } from '../attribution/types.js';
import type { AttributionOptions } from '../attribution/types.js';

/** One Monte-Carlo sample, as passed to `onSample`. */
export interface McDropoutSample {
  /** Sample number, from 0. */
  index: number;
  /**
   * The sample's map per example (flat over the non-channel axes): the [0, 1] heatmap, or with `maps: 'signed'` the
   * attributions summed over channels. Yours to keep.
   */
  heatmaps: Float32Array[];
  /** The sample's scores per example (`[classes]` each, of kind `scores`). */
  predictions: number[][];
}

/** Options of {@link mcDropoutExplanations}; any further option is passed to the attribution method (e.g. `steps`). */
export interface McDropoutExplanationsOptions extends AttributionOptions {
  /** Registry name of the attribution method (default `'saliency'`). */
  method?: AttributionMethodName;
  /** Number of Monte-Carlo samples (default 100, at most 100000). */
  samples?: number;
  /** Keep every sample's heatmap in the result (default false: only running mean and std maps). */
  keepSamples?: boolean;
  /**
   * What is summarised per sample: `'heatmap'` (default: the method's [0, 1] heatmap, sign lost) or `'signed'` (the
   * attributions summed over channels, in score units, so quantile maps of signed methods such as integrated
   * gradients keep evidence for and against the class apart).
   */
  maps?: 'heatmap' | 'signed';
  /** Called after every sample with its heatmaps and predictions (may be async; awaited). */
  onSample?: (sample: McDropoutSample) => void | Promise<void>;
  /** Options of the attribution method, given apart (e.g. `{ steps: 64 }`); they win over the further options below. */
  methodOptions?: Record<string, unknown>;
  /** Further method options. */
  [methodOption: string]: unknown;
}

/** Mean and standard deviation over samples. */
export interface SampleSpread {
  mean: number[];
  std: number[];
}

/** The Monte-Carlo explanation of one example. */
export interface McDropoutExample {
  /** Class explained (chosen once, on the deterministic model). */
  target: number;
  targetName?: string;
  /** Mean heatmap over samples (flat over `heatmapShape`). */
  mean: Float64Array;
  /** Population standard deviation of the heatmaps over samples. */
  std: Float64Array;
  /** Every sample's heatmap (only with `keepSamples`). */
  samples?: Float32Array[];
  /** The scores under dropout: mean and std per class, and every sample's scores. */
  predictions: SampleSpread & { samples: number[][] };
  /** Softmax probabilities under dropout (classifier heads): mean and std per class. */
  probabilities?: SampleSpread;
}

/** Result of {@link mcDropoutExplanations}: plain numbers and typed arrays, no tensors. */
export interface McDropoutExplanations {
  method: string;
  samples: number;
  /** The seed used (pass it back to reproduce the run). */
  seed: number;
  output: string;
  scores: string;
  /** Shape of one heatmap (the input's non-channel axes). */
  heatmapShape: number[];
  /** One entry per example. */
  examples: McDropoutExample[];
}

const FUNCTION = 'mcDropoutExplanations';

/** The Monte-Carlo options, as specs (flags, defaults, ranges, help). */
export const MC_DROPOUT_OPTIONS = [
  {
    name: 'samples',
    flag: '--samples',
    type: 'integer',
    default: 100,
    min: 1,
    max: 100000,
    help: 'number of Monte-Carlo dropout samples',
  },
] as const satisfies readonly OptionSpec[];

function checkDropoutModel(model: ExplainableModel): void {
  if (model.layersModel === null) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${FUNCTION}' needs a tf.LayersModel with Dropout layers; a plain function model has no dropout to switch on.`,
    );
  }
  if (!leafLayers(model.layersModel).some((l) => /Dropout/.test(l.getClassName()))) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${FUNCTION}' needs a model with a Dropout layer, but ${model.describe()} has none: every sample would be the same.`,
    );
  }
}

class Moments {
  readonly sum: Float64Array;
  readonly sumSq: Float64Array;

  constructor(size: number) {
    this.sum = new Float64Array(size);
    this.sumSq = new Float64Array(size);
  }

  add(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) {
      this.sum[i] += values[i];
      this.sumSq[i] += values[i] * values[i];
    }
  }

  mean(n: number): Float64Array {
    return this.sum.map((s) => s / n);
  }

  std(n: number): Float64Array {
    return this.sumSq.map((q, i) => Math.sqrt(Math.max(0, q / n - (this.sum[i] / n) ** 2)));
  }
}

/**
 * Heatmaps of any registered attribution method under Monte-Carlo dropout (Gal & Ghahramani 2016), the input of the
 * original `quantile_maps`. Each sample runs the method with `execution.dropout = { seed, fixedMasks: true }` (only
 * the Dropout layers on, batch norm in inference mode, for that call only) so that the sample is ONE thinned network:
 * its prediction and its explanation come from the same dropout masks. The target is chosen once, on the model
 * without dropout (`target`, default top class), and explained in every sample.
 *
 * Memory does not grow with `samples`: mean and std maps are running float64 sums; per-sample heatmaps are kept only
 * with `keepSamples` (samples × positions float32, 5.8 MB for 100 samples of 129×113) or streamed to `onSample`.
 * No tensor outlives a sample.
 *
 * Options: `method` ('saliency'), `samples` (100), `seed` (random, reported), `keepSamples` (false), `maps` ('heatmap' or
 * 'signed': attributions summed over channels, for quantile maps that keep the sign), `onSample`,
 * `target`, `output` (the finest classifier head), `scores` ('logits'), `batchSize` (64), `onProgress`, and any option of the method.
 * Returns plain arrays per example: `mean`, `std`, `samples?`, `predictions` {mean, std, samples}, `probabilities?`.
 * Throws INVALID_ARGUMENT (unknown method, bad `samples`), UNSUPPORTED_MODEL (a function model, or no Dropout layer).
 * @example
 * const mc = await mcDropoutExplanations(model, x, { method: 'saliency', samples: 100, seed: 1, keepSamples: true });
 * const q = quantileMaps(mc.examples[0].samples!, [0.25, 0.5, 0.75]);
 */
export async function mcDropoutExplanations(
  modelInput: ModelInput,
  inputs: InputLike,
  options: McDropoutExplanationsOptions = {},
): Promise<McDropoutExplanations> {
  const {
    method: methodOption,
    samples: samplesOption,
    keepSamples,
    onSample,
    onProgress,
    methodOptions: nested,
    maps: mapsOption,
    ...rest
  } = options;
  const mapKind = mapsOption ?? 'heatmap';
  if (mapKind !== 'heatmap' && mapKind !== 'signed')
    throw argumentError(FUNCTION, 'maps', "'heatmap' or 'signed'", mapKind);
  const methodOptions = { ...rest, ...(nested ?? {}) };
  const methodName = methodOption ?? 'saliency';
  if (typeof methodName !== 'string' || !isAttributionMethodName(methodName)) {
    throw argumentError(
      FUNCTION,
      'method',
      `one of ${attributionMethodNames.map((n) => `'${n}'`).join(', ')}`,
      methodName,
    );
  }
  const samples = checkOption(FUNCTION, MC_DROPOUT_OPTIONS[0], samplesOption) as number;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const run = attributionMethods[methodName].run;
  return withModelRequest(
    FUNCTION,
    modelInput,
    inputs,
    options,
    async (request) => {
      const { model, x, targets, labels, outputIndex, batchSize } = request;
      const classes = request.rows[0].length;
      const heatmapShape = x.rank >= 3 ? x.shape.slice(1, -1) : x.shape.slice(1);
      const positions = heatmapShape.reduce((a, b) => a * b, 1);
      const maps = targets.map(() => new Moments(positions));
      const scoreMoments = targets.map(() => new Moments(classes));
      const probabilityMoments = targets.map(() => new Moments(classes));
      let hasProbabilities = false;
      const kept: Float32Array[][] = targets.map(() => []);
      const perSampleScores: number[][][] = targets.map(() => []);
      const rng = createRng(seed);
      for (let s = 0; s < samples; s++) {
        const sampleSeed = rng.int32();
        const execution = { ...request.execution, dropout: { seed: sampleSeed, fixedMasks: true } };
        const result = await run(model, x, {
          ...methodOptions,
          target: targets,
          output: outputIndex,
          batchSize,
          seed: sampleSeed,
          execution,
        });
        let heatmaps: Float32Array[];
        let predictions: number[][];
        try {
          const attributions = result.attributions;
          // Signed maps: the attributions summed over channels (read outside any tidy, which would walk the array).
          const summed = mapKind === 'signed' && attributions.rank >= 3 ? tf.sum(attributions, -1) : null;
          const values = (
            mapKind === 'heatmap' ? result.heatmaps : (summed ?? attributions)
          ).dataSync() as Float32Array;
          summed?.dispose();
          heatmaps = targets.map((_, e) => values.slice(e * positions, (e + 1) * positions));
          predictions = result.predictions.arraySync();
          if (result.probabilities !== undefined) {
            hasProbabilities = true;
            result.probabilities.arraySync().forEach((row, e) => probabilityMoments[e].add(row));
          }
        } finally {
          disposeAttribution(result);
        }
        targets.forEach((_, e) => {
          maps[e].add(heatmaps[e]);
          scoreMoments[e].add(predictions[e]);
          perSampleScores[e].push(predictions[e]);
          if (keepSamples === true) kept[e].push(heatmaps[e]);
        });
        await onSample?.({ index: s, heatmaps, predictions });
        onProgress?.(s + 1, samples);
      }
      const examples = targets.map((target, e): McDropoutExample => ({
        target,
        ...(labels?.[target] === undefined ? {} : { targetName: labels[target] }),
        mean: maps[e].mean(samples),
        std: maps[e].std(samples),
        ...(keepSamples === true ? { samples: kept[e] } : {}),
        predictions: {
          mean: Array.from(scoreMoments[e].mean(samples)),
          std: Array.from(scoreMoments[e].std(samples)),
          samples: perSampleScores[e],
        },
        ...(hasProbabilities
          ? {
              probabilities: {
                mean: Array.from(probabilityMoments[e].mean(samples)),
                std: Array.from(probabilityMoments[e].std(samples)),
              },
            }
          : {}),
      }));
      return {
        method: methodName,
        samples,
        seed,
        output: request.output,
        scores: request.scores,
        heatmapShape,
        examples,
      };
    },
    checkDropoutModel,
  );
}
