import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { runMethod } from './run-method.js';
import { deeplift } from './deeplift.js';
import { backgroundBatch } from './background.js';
import { disposeAttribution, type AttributionOptions, type AttributionResult } from './types.js';

/** Options of {@link deepliftShap}. */
export interface DeepLiftShapOptions extends AttributionOptions {
  /** Reference inputs `[B, ...input shape]`: every one is a DeepLIFT baseline (required). */
  background?: InputLike;
}

export { DEEPLIFT_SHAP_OPTIONS } from './method-specs.js';

/**
 * DeepLIFT-SHAP (Lundberg & Lee 2017; Captum's `DeepLiftShap`): DeepLIFT (rescale rule, see `deeplift`) of each
 * example against every input of the background set, averaged over the background. By DeepLIFT's completeness,
 * Σ attributions = f(x) − mean over the background of f(b); `delta` is the gap to that, at float32 rounding.
 * The example × background pairs run through `deeplift` as one batch (chunked by `batchSize`).
 *
 * Options: `background` (required), and the shared options. Needs a tf.LayersModel (DeepLIFT's rules). Tensors are
 * owned by the caller.
 * @example const { attributions, delta } = await deepliftShap(model, x, { background: recordings });
 */
export async function deepliftShap(
  model: ModelInput,
  inputs: InputLike,
  options: DeepLiftShapOptions = {},
): Promise<AttributionResult> {
  const functionName = 'deepliftShap';
  const frame = { method: 'deeplift-shap', functionName, reduction: 'sum-abs' } as const;
  return runMethod(frame, model, inputs, options, async (ctx) => {
    const { x, targets } = ctx;
    const background = backgroundBatch(functionName, ctx.model, options.background);
    const count = background.shape[0];
    const batch = x.shape[0];
    let result: AttributionResult | undefined;
    try {
      // Pair row e·B + b: example e against background input b.
      const [pairedInputs, pairedBaselines] = tf.tidy(() => [
        tf.reshape(tf.tile(tf.expandDims(x, 1), [1, count, ...x.shape.slice(1).map(() => 1)]), [
          batch * count,
          ...x.shape.slice(1),
        ]),
        tf.tile(background, [batch, ...x.shape.slice(1).map(() => 1)]),
      ]);
      try {
        result = await deeplift(ctx.session, pairedInputs, {
          target: targets.flatMap((t) => new Array<number>(count).fill(t)),
          output: ctx.outputIndex,
          scores: ctx.scores,
          batchSize: ctx.batchSize,
          workers: ctx.workers,
          baseline: pairedBaselines,
          onProgress: options.onProgress,
        });
      } finally {
        pairedInputs.dispose();
        pairedBaselines.dispose();
      }
      const paired = result.attributions;
      const attributions = tf.tidy(() => tf.mean(tf.reshape(paired, [batch, count, ...x.shape.slice(1)]), 1));
      const deltas = result.delta ?? [];
      const delta = targets.map((_, e) => deltas.slice(e * count, (e + 1) * count).reduce((a, b) => a + b, 0) / count);
      return { attributions, delta };
    } finally {
      background.dispose();
      if (result !== undefined) disposeAttribution(result);
    }
  });
}
