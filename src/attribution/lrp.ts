import * as tf from '@tensorflow/tfjs';
import { LRP_OPTIONS } from './method-specs.js';
import type { ModelInput } from '../execution/explainable-model.js';
import { WingbeatsError } from '../util/errors.js';
import type { InputLike } from '../execution/inputs.js';
import { batchRows, rowsOf } from '../parallel/row-task.js';
import { checkOption } from '../util/option-spec.js';
import { LrpRuleName, checkLrpSupport } from '../rules/lrp-composite.js';
import { lrpSettingsNumbers } from './lrp-rows.js';
import { runMethodRows } from './method-rows.js';
import { runMethod } from './run-method.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options of {@link lrp}. */
export interface LrpOptions extends AttributionOptions {
  /** Rule on convolution layers (default `'epsilon'`); dense, batch-norm and pooling layers always take ε. */
  rule?: LrpRuleName;
  /** Stabiliser ε of every rule (default 1e-6); 0 gives LRP-0. */
  epsilon?: number;
  /** γ of the γ-rule (default 0.25). */
  gamma?: number;
  /** α of the αβ-rule (default 2). */
  alpha?: number;
  /** β of the αβ-rule (default 1). */
  beta?: number;
  /** Fold each batch norm into the convolution before it (Zennit's canonisation; default false: batch norm is its own layer). */
  foldBatchNorm?: boolean;
}

export { LRP_OPTIONS } from './method-specs.js';

const [RULE, EPSILON, GAMMA, ALPHA, BETA, FOLD] = LRP_OPTIONS;

/**
 * Layer-wise relevance propagation (Bach et al. 2015; Montavon et al. 2019, "Layer-Wise Relevance Propagation: An
 * Overview"): relevance starts at the target score (its logit, or its probability with `scores: 'probabilities'`) and
 * flows back layer by layer — the chosen `rule` on convolutions (`'epsilon'`, `'gamma'`, `'alpha-beta'` without
 * biases, `'z-plus'` = α1β0; transposed convolutions and each of a SeparableConv1D's two convolutions too), ε on
 * dense, batch-norm (its own affine layer, or folded into the preceding convolution with `foldBatchNorm`),
 * Normalization, Rescaling and averaging layers; max pooling passes relevance to the winner, ReLU, up-sampling and
 * Keras's Resizing and CenterCrop pass it on.
 * With ε = 0 it equals input × gradient on ReLU networks (LRP-0). Computed in one gradient pass per chunk through the
 * rule mechanism (the rules shape the gradient so that activation ⊙ gradient is each layer's relevance).
 *
 * Options: `rule`, `epsilon` (1e-6), `gamma` (0.25), `alpha` (2), `beta` (1), `foldBatchNorm` (false), and
 * {@link AttributionOptions}. Needs a tf.LayersModel of those layers with ReLU or linear activations (any other layer is
 * refused in one line naming it, the file and what to use instead). Tensors are owned by the caller.
 * @example const { attributions } = await lrp(model, x, { rule: 'alpha-beta', alpha: 1, beta: 0 });
 */
export async function lrp(model: ModelInput, inputs: InputLike, options: LrpOptions = {}): Promise<AttributionResult> {
  const functionName = 'lrp';
  const settings = {
    rule: checkOption(functionName, RULE, options.rule) as LrpRuleName,
    epsilon: checkOption(functionName, EPSILON, options.epsilon) as number,
    gamma: checkOption(functionName, GAMMA, options.gamma) as number,
    alpha: checkOption(functionName, ALPHA, options.alpha) as number,
    beta: checkOption(functionName, BETA, options.beta) as number,
    foldBatchNorm: checkOption(functionName, FOLD, options.foldBatchNorm) as boolean,
  };
  return runMethod({ method: 'lrp', functionName, reduction: 'sum-abs' }, model, inputs, options, async (ctx) => {
    const layersModel = ctx.model.layersModel;
    // an imported ONNX file runs LRP on the native engine, whose overrides find the linear ops by op type
    if (layersModel === null && ctx.model.info.format !== 'onnx')
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${functionName}' propagates relevance layer by layer, which needs a tf.LayersModel; a plain function model has no layers.`,
      );
    if (layersModel !== null) {
      const fileName = ctx.model.info.fileName;
      checkLrpSupport(layersModel, functionName, typeof fileName === 'string' ? fileName : undefined);
    }
    // one 'lrp' row task per chunk (src/attribution/lrp-rows.ts): ONNX Runtime runs them where it takes the model
    const total = ctx.x.shape[0];
    const rows = batchRows(ctx.x);
    const out = new Float32Array(total * rows.rowSize);
    const numbers = lrpSettingsNumbers(settings);
    await runMethodRows(
      ctx,
      total,
      ctx.batchSize,
      ({ start, end }) => ({
        kind: 'lrp',
        arrays: { rows: rowsOf(rows, start, end) },
        numbers: { targets: ctx.targets.slice(start, end), settings: numbers },
      }),
      ({ start }, result) => out.set(result.data, start * rows.rowSize),
    );
    return { attributions: tf.tensor(out, ctx.x.shape, 'float32') };
  });
}
