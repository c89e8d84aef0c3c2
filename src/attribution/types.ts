/** The contract every attribution method shares: `(model, inputs, options) => Promise<AttributionResult>`. */
import type * as tf from '@tensorflow/tfjs';
import type { ModelInput, ScoreKind } from '../execution/explainable-model.js';
import type { RequestOptions } from '../session/model-request.js';
import type { InputLike } from '../execution/inputs.js';
import type { FeatureGroup } from './feature-groups.js';

/** Options every method accepts: those of the request frame (`target`, `output`, `scores`, `batchSize`, `seed`, `execution`) and `onProgress`. */
export interface AttributionOptions extends RequestOptions {
  /** Called with (done, total) work units while a long method runs. */
  onProgress?: (done: number, total: number) => void;
}

/** What every method returns. All tensors are owned by the caller: free them with {@link disposeAttribution}. */
export interface AttributionResult {
  /** Registry name of the method (e.g. `'integrated-gradients'`). */
  method: string;
  /** Same shape as the inputs (with batch axis). */
  attributions: tf.Tensor;
  /** `[batch, ...non-channel axes]` in [0, 1]: the method's channel reduction, min-max normalised per example. */
  heatmaps: tf.Tensor;
  /** The explained class index, one per example. */
  targets: number[];
  /** Class names of the targets where the head has labels. */
  targetNames: (string | undefined)[];
  /** `[batch, classes]` the model's scores (of kind `scores`) for each example. */
  predictions: tf.Tensor2D;
  /** `[batch, classes]` softmax probabilities, when the head is a classifier or `scores` is `'probabilities'`. */
  probabilities?: tf.Tensor2D;
  /** Name of the explained head. */
  output: string;
  /** Which scores were explained. */
  scores: ScoreKind;
  /**
   * The engines that ran the call's passes: `'onnx'` (ONNX Runtime), `'tfjs'` (TensorFlow.js), or `'onnx+tfjs'` when
   * part of the work ran on each (e.g. the predictions on ONNX Runtime and LRP's rules on TensorFlow.js).
   */
  engine: string;
  /**
   * Integrated gradients, DeepLIFT and the Shapley family: per example, sum(attributions) − (f(input) − f(baseline))
   * (over the groups for group methods: the efficiency gap; averaged over the background for the SHAP methods).
   */
  delta?: number[];
  /** Group methods: the groups of each example (harmonic groups follow each example's f0). */
  groups?: FeatureGroup[][];
  /** Group methods: one value per group and example (`attributions` holds each group's value at its positions). */
  groupAttributions?: number[][];
  /**
   * Sampled methods: per example, the standard error of each group's value (shapley-sampling, kernel-shap) or of each
   * attribution value, flat row-major (gradient-shap).
   */
  standardErrors?: number[][];
  /** LIME: the weighted R² of the surrogate fit, per example. */
  fitR2?: number[];
  /** `harmonics` groups: the estimated fundamental frequency of each example, Hz. */
  f0Hz?: (number | undefined)[];
  /** Grad-CAM: the map at the layer's resolution, `[batch, ...layer's non-channel axes]`. */
  layerMap?: tf.Tensor;
  /** Grad-CAM: the name of the explained layer. */
  layer?: string;
  /**
   * Models with several inputs only: the attributions of each model input, `[batch, ...inputShapes[i]]` (then
   * `attributions` holds them packed, `[batch, features]`).
   */
  inputAttributions?: tf.Tensor[];
  /** Models with several inputs only: the heatmap of each model input (the method's channel reduction, min-max per example). */
  inputHeatmaps?: tf.Tensor[];
}

/** An attribution method. */
export type AttributionMethod<O extends AttributionOptions = AttributionOptions> = (
  model: ModelInput,
  inputs: InputLike,
  options?: O,
) => Promise<AttributionResult>;

/** Frees every tensor of a result. */
export function disposeAttribution(result: AttributionResult): void {
  result.attributions.dispose();
  result.heatmaps.dispose();
  result.predictions.dispose();
  result.probabilities?.dispose();
  result.layerMap?.dispose();
  result.inputAttributions?.forEach((t) => t.dispose());
  result.inputHeatmaps?.forEach((t) => t.dispose());
}
