/**
 * The shared frame of every attribution method: wrap the model, validate inputs and options, predict, choose targets,
 * compute, reduce to heatmaps — and free everything on error, so no tensor leaks either way.
 */
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel, ModelInput, ScoreKind, asExplainableModel } from '../execution/explainable-model.js';
import { argumentError } from '../util/errors.js';
import { InputLike, toInputBatch } from '../execution/inputs.js';
import { resolveTargets } from '../execution/targets.js';
import { HeatmapReduction, heatmapOf } from './heatmap.js';
import { DEFAULT_BATCH_SIZE, chunks } from '../util/batching.js';
import type { AttributionOptions, AttributionResult } from './types.js';
import type { GradientSettings } from './target-gradients.js';

/** What a method's computation receives. */
export interface MethodContext extends GradientSettings {
  functionName: string;
  model: ExplainableModel;
  /** Validated input batch (owned by the frame; do not dispose). */
  x: tf.Tensor;
  targets: number[];
  /** The model's scores (of kind `scores`) for each example, `[batch][classes]`. */
  predictions: number[][];
  options: AttributionOptions;
}

/** What a method's computation returns (the frame takes ownership of `attributions`). */
export interface MethodOutput {
  attributions: tf.Tensor;
  delta?: number[];
  /** The method's name when it is only known after running (wrappers such as SmoothGrad). */
  method?: string;
}

/** Checks the options every method shares. */
export function checkCommonOptions(functionName: string, options: AttributionOptions): void {
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw argumentError(functionName, 'batchSize', 'a positive integer', options.batchSize);
  }
  if (options.scores !== undefined && options.scores !== 'logits' && options.scores !== 'probabilities') {
    throw argumentError(functionName, 'scores', "'logits' or 'probabilities'", options.scores);
  }
  if (options.seed !== undefined && !Number.isFinite(options.seed)) throw argumentError(functionName, 'seed', 'a finite number', options.seed);
}

/** Runs `compute` inside the shared frame and assembles the {@link AttributionResult}. */
export async function runMethod(
  method: string,
  functionName: string,
  modelInput: ModelInput,
  inputs: InputLike,
  options: AttributionOptions,
  reduction: HeatmapReduction,
  compute: (ctx: MethodContext) => Promise<MethodOutput> | MethodOutput,
): Promise<AttributionResult> {
  checkCommonOptions(functionName, options ?? {});
  const model = asExplainableModel(modelInput, functionName);
  const outputIndex = model.resolveOutput(functionName, options.output);
  const scores: ScoreKind = options.scores ?? 'logits';
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const x = toInputBatch(functionName, model, inputs);
  const owned: tf.Tensor[] = [];
  try {
    const predictions = tf.tidy(() => {
      const parts = chunks(x.shape[0], batchSize).map(({ start, end }) => model.run(tf.slice(x, start, end - start), { outputIndex, scores }));
      return (parts.length === 1 ? parts[0] : tf.concat(parts, 0)) as tf.Tensor2D;
    });
    owned.push(predictions);
    const rows = predictions.arraySync();
    const labels = model.labels(outputIndex);
    const targets = resolveTargets(functionName, options.target, rows, labels);
    const ctx: MethodContext = { functionName, model, x, targets, predictions: rows, options, outputIndex, scores, batchSize };
    const { attributions, delta, method: computedName } = await compute(ctx);
    owned.push(attributions);
    const heatmaps = heatmapOf(attributions, reduction);
    owned.push(heatmaps);
    let probabilities: tf.Tensor2D | undefined;
    if (model.endsInSoftmax(outputIndex)) probabilities = scores === 'logits' ? tf.softmax(predictions) : tf.clone(predictions);
    else if (scores === 'probabilities') probabilities = tf.clone(predictions);
    return {
      method: computedName ?? method,
      attributions,
      heatmaps,
      targets,
      targetNames: targets.map((t) => labels?.[t]),
      predictions,
      probabilities,
      output: model.outputNames[outputIndex],
      scores,
      ...(delta === undefined ? {} : { delta }),
    };
  } catch (error) {
    owned.forEach((t) => t.dispose());
    throw error;
  } finally {
    x.dispose();
  }
}
