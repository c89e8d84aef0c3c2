import * as tf from '@tensorflow/tfjs';
import type { ModelInput } from '../execution/explainable-model.js';
import type { InputLike } from '../execution/inputs.js';
import { batchRows, rowsOf } from '../parallel/row-task.js';
import { DEEPLIFT_RULES } from './deeplift-rows.js';
import { runMethodRows } from './method-rows.js';
import { runMethod } from './run-method.js';
import { Baseline, baselineBatch } from './baseline.js';
import type { AttributionOptions, AttributionResult } from './types.js';

/** Options of {@link deeplift}. */
export interface DeepLiftOptions extends AttributionOptions {
  /** Reference input (default zeros), as for integrated gradients. */
  baseline?: Baseline;
}

export { DEEPLIFT_OPTIONS } from './method-specs.js';

/**
 * DeepLIFT with the rescale rule (Shrikumar et al. 2017, "Learning Important Features Through Propagating Activation
 * Differences"), as Captum's `DeepLift`: inputs and baselines run as one paired batch; every elementwise
 * nonlinearity (ReLU; the tanh, sigmoid, elu, selu, softplus, swish and gelu activations, each as one; the LeakyReLU,
 * PReLU, ELU and ReLU-with-options layers) passes multipliers Δy/Δx (the gradient where |Δx| < 1e-10), max pooling
 * the DeepLIFT max-pool rule, linear layers (convolutions, dense, batch norm in inference, averaging, flatten) their
 * exact transposes; recurrent cells keep their gradient. attributions = (x − baseline) ⊙ multiplier; `delta[i]` =
 * Σ attributions − (f(x) − f(baseline)), zero up to float32 rounding on networks of these layers. With
 * `scores: 'probabilities'` the final softmax takes the rescaled gradient (completeness holds).
 *
 * Options: `baseline` (zeros), and {@link AttributionOptions}; `batchSize` counts the paired rows. Needs a
 * tf.LayersModel for its rules. Tensors are owned by the caller.
 * @example const { attributions, delta } = await deeplift(model, x, { baseline: 0 });
 */
export async function deeplift(
  model: ModelInput,
  inputs: InputLike,
  options: DeepLiftOptions = {},
): Promise<AttributionResult> {
  const functionName = 'deeplift';
  const frame = {
    method: 'deeplift',
    functionName,
    reduction: 'sum-abs',
    execution: { rules: DEEPLIFT_RULES },
  } as const;
  return runMethod(frame, model, inputs, options, async (ctx) => {
    const { x, targets } = ctx;
    const baseline = baselineBatch(functionName, ctx, options.baseline);
    try {
      // one 'deeplift' row task per chunk of pairs (src/attribution/deeplift-rows.ts), ONNX Runtime's where it takes them
      const total = x.shape[0];
      const inputs = batchRows(x);
      const references = batchRows(baseline);
      const size = inputs.rowSize;
      const out = new Float32Array(total * size);
      const delta = new Array<number>(total);
      await runMethodRows(
        ctx,
        total,
        Math.max(1, Math.floor(ctx.batchSize / 2)),
        ({ start, end }) => ({
          kind: 'deeplift',
          arrays: { rows: rowsOf(inputs, start, end), baselines: rowsOf(references, start, end) },
          numbers: { targets: targets.slice(start, end) },
        }),
        ({ start, end }, result) => {
          for (let r = 0; r < end - start; r++) {
            out.set(result.data.subarray(r * (size + 1), r * (size + 1) + size), (start + r) * size);
            delta[start + r] = result.data[r * (size + 1) + size];
          }
        },
      );
      return { attributions: tf.tensor(out, x.shape, 'float32'), delta };
    } finally {
      baseline.dispose();
    }
  });
}
