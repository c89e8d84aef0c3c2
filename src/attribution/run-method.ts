/**
 * The shared frame of every attribution method: the request frame (validation, predictions, targets, disposal) plus
 * the method's computation under its execution settings and the reduction to heatmaps — and everything freed on error,
 * so no tensor leaks either way.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ModelInput } from '../execution/explainable-model.js';
import type { ExecutionSettings } from '../execution/execution-settings.js';
import type { InputLike } from '../execution/inputs.js';
import { withModelRequest } from '../session/model-request.js';
import type { Session } from '../session/session.js';
import { HeatmapReduction, heatmapOf } from './heatmap.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Plain (tensor-free) fields a method adds to its result: the group methods' groups, values and statistics. */
export type ResultExtras = Pick<
  AttributionResult,
  'groups' | 'groupAttributions' | 'standardErrors' | 'fitR2' | 'f0Hz'
>;
import type { GradientSettings } from './target-gradients.js';

/** What a method's computation receives. */
export interface MethodContext extends GradientSettings {
  functionName: string;
  model: ExplainableModel;
  /** The session the call runs in: its worker pool and engine serve the method's jobs; pass it to nested calls. */
  session: Session;
  /** Validated input batch (owned by the frame; do not dispose). */
  x: tf.Tensor;
  targets: number[];
  /** The model's scores (of kind `scores`) for each example, `[batch][classes]`. */
  predictions: number[][];
  options: AttributionOptions;
  /** Worker threads the call may use (`undefined`: the number of cores). */
  workers: number | undefined;
}

/** What a method's computation returns (the frame takes ownership of `attributions`). */
export interface MethodOutput {
  attributions: tf.Tensor;
  delta?: number[];
  /** The method's name when it is only known after running (wrappers such as SmoothGrad). */
  method?: string;
  /** Grad-CAM: the map at the layer's resolution, and the layer. */
  layerMap?: tf.Tensor;
  layer?: string;
  /** Group methods: groups, group values, standard errors, fit R², f0 (copied into the result as they are). */
  extras?: ResultExtras;
}

/** How a method runs inside the frame. */
export interface MethodFrame {
  /** Registry name of the method. */
  method: string;
  /** The public function's name, for error messages. */
  functionName: string;
  /** Channel reduction of the heatmaps. */
  reduction: HeatmapReduction;
  /** Settings the method adds to the caller's for its gradient passes (e.g. guided backprop's rule, placed first). */
  execution?: ExecutionSettings;
}

function combined(caller: ExecutionSettings, method: ExecutionSettings | undefined): ExecutionSettings {
  if (method === undefined) return caller;
  return { ...caller, ...method, rules: [...(method.rules ?? []), ...(caller.rules ?? [])] };
}

/** Runs `compute` inside the shared frame and assembles the {@link AttributionResult}. */
export async function runMethod(
  frame: MethodFrame,
  modelInput: ModelInput,
  inputs: InputLike,
  options: AttributionOptions,
  compute: (ctx: MethodContext) => Promise<MethodOutput> | MethodOutput,
): Promise<AttributionResult> {
  const { functionName } = frame;
  return withModelRequest(functionName, modelInput, inputs, options ?? {}, async (request) => {
    const { model, x, targets, outputIndex, scores, batchSize, predictions, labels } = request;
    const execution = combined(request.execution, frame.execution);
    const ctx: MethodContext = {
      functionName,
      model,
      session: request.session,
      x,
      targets,
      predictions: request.rows,
      options,
      outputIndex,
      scores,
      batchSize,
      execution,
      workers: request.workers,
    };
    const owned: tf.Tensor[] = [];
    try {
      const { attributions, delta, method: computedName, layerMap, layer, extras } = await compute(ctx);
      owned.push(attributions);
      if (layerMap !== undefined) owned.push(layerMap);
      const heatmaps = heatmapOf(attributions, frame.reduction);
      owned.push(heatmaps);
      // Several model inputs: the packed attributions split back into one tensor (and heatmap) per input.
      const perInput = model.isMultiInput ? tf.tidy(() => model.unpackInputs(attributions)) : undefined;
      owned.push(...(perInput ?? []));
      const perInputHeatmaps = perInput?.map((a) => heatmapOf(a, frame.reduction));
      owned.push(...(perInputHeatmaps ?? []));
      let probabilities: tf.Tensor2D | undefined;
      if (model.endsInSoftmax(outputIndex))
        probabilities = scores === 'logits' ? tf.softmax(predictions) : tf.clone(predictions);
      else if (scores === 'probabilities') probabilities = tf.clone(predictions);
      return {
        method: computedName ?? frame.method,
        attributions,
        heatmaps,
        targets,
        targetNames: targets.map((t) => labels?.[t]),
        predictions: request.takePredictions(),
        probabilities,
        output: request.output,
        scores,
        engine: request.engine(),
        ...(delta === undefined ? {} : { delta }),
        ...extras,
        ...(layerMap === undefined ? {} : { layerMap, layer }),
        ...(perInput === undefined ? {} : { inputAttributions: perInput, inputHeatmaps: perInputHeatmaps }),
      };
    } catch (error) {
      owned.forEach((t) => t.dispose());
      throw error;
    }
  });
}
