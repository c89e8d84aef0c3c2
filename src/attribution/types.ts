/** The contract every attribution method shares: `(model, inputs, options) => Promise<AttributionResult>`. */
import type * as tf from '@tensorflow/tfjs';
import type { ModelInput, OutputSelector, ScoreKind } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import type { TargetOption } from '../execution/targets.js';

/** Options every method accepts. */
export interface AttributionOptions {
  /** Class to explain: omitted = top class per example; an index; a class name; or one per example. */
  target?: TargetOption;
  /** Head name or index of a multi-output model (default: the finest classifier head, `species` > `genus` > first labelled head). */
  output?: OutputSelector;
  /** Explain `'logits'` (default; a final softmax is removed) or `'probabilities'`. */
  scores?: ScoreKind;
  /** Largest number of rows sent through the model at once (default 64). Does not change results. */
  batchSize?: number;
  /** Seed for sampled methods (noise, dropout). */
  seed?: number;
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
  /** Integrated gradients only: per example, sum(attributions) − (f(input) − f(baseline)). */
  delta?: number[];
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
}
