/**
 * Explanations under Monte-Carlo dropout: any registered attribution method run on N thinned networks (only the
 * Dropout layers switched on), with running mean and standard-deviation maps and, on request, every sample's heatmap
 * for quantile maps.
 */
import type { ExplainableModel, ModelInput } from '../execution/explainable-model.js';
import { MC_DROPOUT_OPTIONS } from './mc-dropout-option-specs.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import type { InputLike } from '../execution/inputs.js';
import { withModelRequest } from '../session/model-request.js';
import { createRng } from '../util/rng.js';
import { leafLayers } from '../execution/layer-walk.js';
import { checkOption } from '../util/option-spec.js';
import {
  AttributionMethodName,
  attributionMethodNames,
  attributionMethods,
  isAttributionMethodName,
} from '../attribution/registry.js';
import { gradientFormOf } from '../attribution/gradient-forms.js';
import { SampleReducer, type McDropoutSample, type SampleSpread } from './sample-reducer.js';
import { mcDropoutRows } from './mc-dropout-rows.js';
import { mcDropoutNested } from './mc-dropout-nested.js';
import type { AttributionOptions } from '../attribution/types.js';

export { MC_DROPOUT_OPTIONS } from './mc-dropout-option-specs.js';

export type { McDropoutSample, SampleSpread } from './sample-reducer.js';

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
  /** The engines that ran the call's passes (`'onnx'`, `'tfjs'` or `'onnx+tfjs'`; see `AttributionResult.engine`). */
  engine: string;
}

const FUNCTION = 'mcDropoutExplanations';

function checkDropoutModel(model: ExplainableModel): void {
  if (model.layersModel === null && model.info.format === 'onnx')
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${FUNCTION}' switches Dropout on, and the ONNX file '${String(model.info.fileName)}' has none (exports in eval mode leave Dropout out); explain the Keras model, or use a method without sampling.`,
    );
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
      const { x, targets, labels } = request;
      const heatmapShape = x.rank >= 3 ? x.shape.slice(1, -1) : x.shape.slice(1);
      const positions = heatmapShape.reduce((a, b) => a * b, 1);
      const reducer = new SampleReducer(targets.length, positions, request.rows[0].length, {
        keepSamples: keepSamples === true,
        samples,
        onSample,
        onProgress,
      });
      // Every sample's dropout seed is drawn up front, so neither chunking nor threads change a sample's masks.
      const rng = createRng(seed);
      const sampleSeeds = Array.from({ length: samples }, () => rng.int32());
      const form = gradientFormOf(methodName);
      if (form !== undefined) await mcDropoutRows(request, form, sampleSeeds, mapKind, reducer);
      else await mcDropoutNested(request, run, methodOptions, sampleSeeds, mapKind, reducer);
      const examples = targets.map((target, e): McDropoutExample => ({
        target,
        ...(labels?.[target] === undefined ? {} : { targetName: labels[target] }),
        ...reducer.example(e),
      }));
      return {
        method: methodName,
        samples,
        seed,
        output: request.output,
        scores: request.scores,
        heatmapShape,
        examples,
        engine: request.engine(),
      };
    },
    checkDropoutModel,
  );
}
