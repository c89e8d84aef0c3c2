/**
 * Contrastive explanations: why this class and not that one? Every method that can explains the margin
 * score(target) − score(contrast) instead of one score, built from the method's own public runs (see each
 * descriptor's `contrast` form), so a map shows what separates two classes instead of the evidence both share.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { withModelRequest } from '../session/model-request.js';
import { TargetOption, resolveTargets } from '../execution/targets.js';
import { WingbeatsError, argumentError } from '../util/errors.js';
import {
  attributionMethodNames,
  attributionMethods,
  type AttributionMethodName,
  type MethodDescriptor,
} from './registry.js';
import { heatmapOf } from './heatmap.js';
import { gradients } from './gradients.js';
import { smoothGrad } from './smooth-grad.js';
import { disposeAttribution, type AttributionOptions, type AttributionResult } from './types.js';

/** The class to contrast with: a class index or name, one per example, or `'rival'` (each example's runner-up). */
export type ContrastOption = TargetOption | 'rival';

/** Options of {@link contrastiveAttribution}: the method's own options plus `contrast`. */
export interface ContrastOptions extends AttributionOptions {
  /** The class whose score is subtracted (required). */
  contrast: ContrastOption;
  /** Any option of the method (e.g. `steps`, `baseline`). */
  [option: string]: unknown;
}

/** A contrastive result: the method's result for the margin, with the contrast class of each example. */
export interface ContrastiveResult extends AttributionResult {
  /** The contrast class of each example. */
  contrasts: number[];
  /** Their names where the head has labels. */
  contrastNames: (string | undefined)[];
}

const FUNCTION = 'contrast';

/** The methods that can explain a margin, in registry order. */
export const contrastMethodNames = attributionMethodNames.filter(
  (n) => (attributionMethods[n] as MethodDescriptor).contrast !== undefined,
);

/**
 * The contrast class of each example: `'rival'` = the highest-scoring class other than the example's target; otherwise
 * as `target` (index, name, or one per example). Throws INVALID_ARGUMENT naming `contrast` for a contrast equal to the
 * target, an unknown class, or a head with one class.
 */
export function resolveContrasts(
  functionName: string,
  contrast: ContrastOption | undefined,
  rows: ArrayLike<number>[],
  labels: readonly string[] | undefined,
  targets: readonly number[],
): number[] {
  if (contrast === undefined)
    throw argumentError(functionName, 'contrast', "a class index, a class name or 'rival'", contrast);
  const classes = rows[0]?.length ?? 0;
  if (classes < 2) throw argumentError(functionName, 'contrast', 'a head with at least 2 classes', classes);
  const contrasts =
    contrast === 'rival'
      ? rows.map((row, e) => {
          let best = -1;
          for (let c = 0; c < row.length; c++) if (c !== targets[e] && (best < 0 || row[c] > row[best])) best = c;
          return best;
        })
      : resolveTargets(functionName, contrast, rows, labels, 'contrast');
  contrasts.forEach((c, e) => {
    if (c === targets[e])
      throw argumentError(
        functionName,
        'contrast',
        `a class other than the target (${labels?.[c] ?? c}) of example ${e}`,
        contrast,
      );
  });
  return contrasts;
}

/** |gradients(target) − gradients(contrast)|: contrastive saliency, the inner method of contrastive SmoothGrad. */
async function contrastiveSaliency(
  model: ModelInput,
  inputs: InputLike,
  options?: AttributionOptions,
): Promise<AttributionResult> {
  return contrastiveAttribution('saliency', model, inputs, options as ContrastOptions);
}

/**
 * Explains score(target) − score(contrast) with the registered method `name` (Gu et al. 2019 "contrastive
 * explanations"; for gradients this is ∇target − ∇contrast exactly). How, per the descriptor's `contrast` form:
 * `'difference'` (gradients, input × gradient, integrated gradients, occlusion, DeepLIFT, LRP: attributions linear in
 * the explained score) runs the method for the targets and for the contrasts with the same options and seed and
 * subtracts (the completeness gap `delta` subtracts too); `'absolute-difference'` (saliency) is |∇target − ∇contrast|;
 * `'smoothed'` (SmoothGrad) averages that over the noisy copies. Guided backprop (its guided ReLU clips negative
 * gradients), Grad-CAM and guided Grad-CAM (a ReLU after the weighting) are not linear in the score and are refused.
 *
 * Options: those of the method, plus `contrast` (required: index, name, one per example, or `'rival'`). `seed` is drawn
 * once when omitted, so both runs share it. Returns the method's result for the margin (`heatmaps` recomputed with the
 * method's reduction; `predictions`, `probabilities` the model's) plus `contrasts`; all tensors owned by the caller.
 * Throws WingbeatsError naming `contrast` or the method.
 * @example const r = await contrastiveAttribution('integrated-gradients', model, x, { target: 'Ae_aegypti', contrast: 'Ae_albopictus' });
 */
export async function contrastiveAttribution(
  name: AttributionMethodName,
  model: ModelInput,
  inputs: InputLike,
  options: ContrastOptions,
): Promise<ContrastiveResult> {
  const descriptor = (Object.hasOwn(attributionMethods, name) ? attributionMethods[name] : undefined) as
    MethodDescriptor | undefined;
  if (descriptor === undefined)
    throw argumentError(FUNCTION, 'method', `one of ${contrastMethodNames.map((n) => `'${n}'`).join(', ')}`, name);
  const form = descriptor.contrast;
  if (form === undefined) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Argument 'contrast' of '${name}' is not supported: its attributions are not linear in the explained score, so a difference of two classes cannot be explained with it; use one of ${contrastMethodNames.join(', ')}.`,
    );
  }
  const { contrast, onProgress: _ignored, ...rest } = options ?? ({} as ContrastOptions);
  const seed = options?.seed ?? Math.floor(Math.random() * 2 ** 31);
  return withModelRequest(FUNCTION, model, inputs, { ...rest, seed }, async (request) => {
    const { targets, labels } = request;
    const contrasts = resolveContrasts(FUNCTION, contrast, request.rows, labels, targets);
    const common = { ...rest, output: request.outputIndex, scores: request.scores, batchSize: request.batchSize, seed };
    const named = { contrasts, contrastNames: contrasts.map((c) => labels?.[c]) };
    if (form === 'smoothed') {
      const smooth = smoothGrad(contrastiveSaliency);
      const result = await smooth(request.session, request.x, {
        ...common,
        target: targets,
        contrast: contrasts,
      } as never);
      return { ...result, method: name, ...named };
    }
    const run = form === 'difference' ? descriptor.run : gradients;
    const a = await run(request.session, request.x, { ...common, target: targets });
    let b: AttributionResult | undefined;
    const owned: tf.Tensor[] = [];
    try {
      b = await run(request.session, request.x, { ...common, target: contrasts });
      const margin = (p: tf.Tensor, q: tf.Tensor): tf.Tensor =>
        tf.tidy(() => (form === 'difference' ? tf.sub(p, q) : tf.abs(tf.sub(p, q))));
      const attributions = margin(a.attributions, (b as AttributionResult).attributions);
      owned.push(attributions);
      const heatmaps = heatmapOf(attributions, descriptor.reduction);
      owned.push(heatmaps);
      const inputAttributions = a.inputAttributions?.map((t, i) =>
        margin(t, (b as AttributionResult).inputAttributions?.[i] as tf.Tensor),
      );
      owned.push(...(inputAttributions ?? []));
      const inputHeatmaps = inputAttributions?.map((t) => heatmapOf(t, descriptor.reduction));
      owned.push(...(inputHeatmaps ?? []));
      const delta =
        a.delta !== undefined && b.delta !== undefined
          ? a.delta.map((d, e) => d - (b as AttributionResult).delta![e])
          : undefined;
      const result: ContrastiveResult = {
        method: name,
        attributions,
        heatmaps,
        targets,
        targetNames: targets.map((t) => labels?.[t]),
        predictions: a.predictions,
        ...(a.probabilities === undefined ? {} : { probabilities: a.probabilities }),
        output: a.output,
        scores: a.scores,
        engine: engineUnion(a.engine, (b as AttributionResult).engine),
        ...(delta === undefined ? {} : { delta }),
        ...(inputAttributions === undefined ? {} : { inputAttributions, inputHeatmaps }),
        ...named,
      };
      // Everything of the two runs except the predictions and probabilities handed on.
      a.attributions.dispose();
      a.heatmaps.dispose();
      a.layerMap?.dispose();
      a.inputAttributions?.forEach((t) => t.dispose());
      a.inputHeatmaps?.forEach((t) => t.dispose());
      return result;
    } catch (error) {
      owned.forEach((t) => t.dispose());
      disposeAttribution(a);
      throw error;
    } finally {
      if (b !== undefined) disposeAttribution(b);
    }
  });
}

/** The engines of two results together (`'onnx'`, `'tfjs'` or `'onnx+tfjs'`). */
function engineUnion(a: string, b: string): string {
  return [...new Set([...a.split('+'), ...b.split('+')])].sort().join('+');
}
