/**
 * The engine primitives on TensorFlow.js (src/engine/engine-primitives.ts): scores and input gradients of float32
 * rows through `ExplainableModel.run` under a pass context's execution settings — the engine the row-task kinds run on
 * in the calling thread and in workers. LRP's composite and DeepLIFT's seed are realised here as TensorFlow.js rules
 * and tensors (the ONNX engine realises them as op-gradient overrides: src/onnx/rules/).
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import type { ExecutionSettings } from '../execution/execution-settings.js';
import { safeGrad } from '../execution/safe-grad.js';
import { targetMask } from '../execution/target-mask.js';
import { lrpComposite } from '../rules/lrp-composite.js';
import { relevanceRatio } from '../rules/lrp-linear.js';
import { WingbeatsError } from '../util/errors.js';
import type {
  EnginePrimitives,
  GradientOutput,
  GradientPass,
  LayerGradientOutput,
  LayerGradientPass,
  TaskArray,
} from './engine-primitives.js';

/** What every pass of a task shares on TensorFlow.js: the model, head, score kind and execution settings. */
export interface TfjsPassContext {
  model: ExplainableModel;
  outputIndex: number;
  scores: ScoreKind;
  execution: ExecutionSettings;
}

const tensorOf = (array: TaskArray): tf.Tensor => tf.tensor(array.data, array.shape, 'float32');

/** The values of a tensor made in `tf.tidy` (every tensor freed). */
function valuesOf(compute: () => tf.Tensor): Float32Array {
  const tensor = tf.tidy(compute);
  try {
    return tensor.dataSync() as Float32Array;
  } finally {
    tensor.dispose();
  }
}

/**
 * The primitives of one pass context on TensorFlow.js. Results are plain arrays; no tensor outlives a call, also when
 * it throws.
 * @example const { gradient } = tfjsPrimitives({ model, outputIndex: 0, scores: 'logits', execution: {} })
 *   .gradients({ rows, output: { targets: [0, 2] }, propagation: { kind: 'plain' } });
 */
export function tfjsPrimitives(context: TfjsPassContext): EnginePrimitives<'sync'> {
  const { model, outputIndex, scores } = context;
  return {
    scores(pass) {
      const execution = withDropout(context.execution, pass);
      let classes = 0;
      const values = valuesOf(() => {
        const out = model.run(tensorOf(pass.rows), { outputIndex, scores, execution });
        classes = out.shape[1];
        return out;
      });
      return { scores: values, classes };
    },
    gradients(pass) {
      if (pass.propagation.kind === 'lrp') return lrpGradients(context, pass);
      if (pass.propagation.kind === 'deeplift') return deepliftGradients(context, pass);
      const execution = withDropout(context.execution, pass);
      let read: Float32Array | undefined;
      let classes = 0;
      const gradient = valuesOf(() =>
        safeGrad((input) => {
          const out = model.run(input, { outputIndex, scores, execution });
          classes = out.shape[1];
          if (pass.withScores === true) read = out.dataSync() as Float32Array;
          const seed =
            'targets' in pass.output
              ? targetMask(pass.output.targets, classes)
              : tf.tensor2d(pass.output.seed, [out.shape[0], classes]);
          return tf.sum(tf.mul(out, seed));
        }, tensorOf(pass.rows)),
      );
      return { gradient, classes, ...(read === undefined ? {} : { scores: read }) };
    },
    layerGradients: (pass) => layerGradients(context, pass),
  };
}

/**
 * A layer's activations and their gradient through the executor's layer hook: one pass reads the layer's output A and
 * the scores, one differentiates the target scores through `A + δ` at δ = 0 (the gradient w.r.t. A).
 */
function layerGradients(context: TfjsPassContext, pass: LayerGradientPass): LayerGradientOutput {
  const { model, outputIndex, scores, execution } = context;
  const { layer, targets } = pass;
  let classes = 0;
  let values: Float32Array | undefined;
  let activations: TaskArray | undefined;
  const read = tf.tidy(() => {
    let captured: tf.Tensor | undefined;
    const hook = { layer, hook: (output: tf.Tensor) => (captured = output) };
    const out = model.run(tensorOf(pass.rows), { outputIndex, scores, execution: { ...execution, layerHook: hook } });
    classes = out.shape[1];
    values = out.dataSync() as Float32Array;
    return captured as tf.Tensor;
  });
  try {
    activations = { data: read.dataSync() as Float32Array, shape: read.shape.slice() };
    const gradient = valuesOf(() => {
      const rows = tensorOf(pass.rows);
      const mask = targetMask(targets, classes);
      return safeGrad((delta) => {
        const shifted = { layer, hook: (output: tf.Tensor) => tf.add(output, delta) };
        const out = model.run(rows, { outputIndex, scores, execution: { ...execution, layerHook: shifted } });
        return tf.sum(tf.mul(out, mask));
      }, tf.zerosLike(read));
    });
    return { scores: values!, classes, activations, gradient: { data: gradient, shape: activations.shape } };
  } finally {
    read.dispose();
  }
}

/** The pass's execution settings: the context's, with the pass's own dropout when it has one. */
function withDropout(
  execution: ExecutionSettings,
  pass: { dropout?: ExecutionSettings['dropout'] },
): ExecutionSettings {
  return pass.dropout === undefined ? execution : { ...execution, dropout: pass.dropout };
}

/** The one-hot targets of a relevance pass (LRP and DeepLIFT start from the target's score). */
function targetsOf(pass: GradientPass): readonly number[] {
  if (!('targets' in pass.output))
    throw new WingbeatsError('INVALID_ARGUMENT', `A '${pass.propagation.kind}' pass starts from targets, not a seed.`);
  return pass.output.targets;
}

/** LRP: the gradient under the composite's rules (first, before the context's), from LRP's output seed. */
function lrpGradients(context: TfjsPassContext, pass: GradientPass): GradientOutput {
  const { model, outputIndex, execution } = context;
  const layersModel = model.layersModel;
  if (layersModel === null && model.info.format === 'onnx')
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${String(model.info.fileName)}' is an ONNX file on the TensorFlow.js interpreter, where LRP cannot run: it runs on the native engine (engine 'auto' or 'onnx' in Node, with every op of the file lowered; a line above names the op that was not).`,
    );
  if (layersModel === null)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      'LRP propagates relevance layer by layer, which needs a tf.LayersModel.',
    );
  if (pass.propagation.kind !== 'lrp') throw new Error('unreachable');
  const composite = lrpComposite(layersModel, pass.propagation.settings);
  const ruled = { ...withDropout(execution, pass), rules: [composite.rule, ...(execution.rules ?? [])] };
  const targets = targetsOf(pass);
  let classes = 0;
  let read: Float32Array | undefined;
  try {
    const gradient = valuesOf(() => {
      const rows = tensorOf(pass.rows);
      const logits = model.run(rows, { outputIndex, scores: 'logits' });
      classes = logits.shape[1];
      const mask = targetMask(targets, classes);
      if (pass.withScores === true)
        read = (context.scores === 'probabilities' ? tf.softmax(logits) : logits).dataSync() as Float32Array;
      // Relevance at the output = the target score; in gradient form the output gradient is score / logit.
      const start =
        context.scores === 'probabilities'
          ? relevanceRatio(
              tf.sum(tf.mul(tf.softmax(logits), mask), 1, true),
              tf.sum(tf.mul(logits, mask), 1, true),
              1e-12,
            )
          : tf.onesLike(logits);
      const weights = tf.mul(mask, start);
      return safeGrad(
        (input) => tf.sum(tf.mul(model.run(input, { outputIndex, scores: 'logits', execution: ruled }), weights)),
        rows,
      );
    });
    return { gradient, classes, ...(read === undefined ? {} : { scores: read }) };
  } finally {
    composite.dispose();
  }
}

/**
 * Multipliers of the target score w.r.t. the logits: the one-hot target for logits; for probabilities the softmax
 * gradient g = ∂p_t/∂z at the input, rescaled so that Σ_c m_c Δz_c = Δp_t exactly (g itself when g·Δz ≈ 0).
 */
function outputMultipliers(logits: tf.Tensor2D, targets: readonly number[], probabilities: boolean): tf.Tensor2D {
  const mask = targetMask(targets, logits.shape[1]);
  if (!probabilities) return mask;
  const [z1, z0] = tf.split(logits, 2, 0) as [tf.Tensor2D, tf.Tensor2D];
  const p1 = tf.softmax(z1);
  const pt1 = tf.sum(tf.mul(p1, mask), 1, true);
  const pt0 = tf.sum(tf.mul(tf.softmax(z0), mask), 1, true);
  const g = tf.mul(pt1, tf.sub(mask, p1));
  const projected = tf.sum(tf.mul(g, tf.sub(z1, z0)), 1, true);
  const flat = tf.less(tf.abs(projected), 1e-12);
  const scale = tf.where(
    flat,
    tf.onesLike(projected),
    tf.div(tf.sub(pt1, pt0), tf.where(flat, tf.onesLike(projected), projected)),
  );
  return tf.mul(g, scale) as tf.Tensor2D;
}

/**
 * DeepLIFT: the paired batch `[inputs; references]` under the context's rules (DeepLIFT's, as its tasks name them),
 * from the multipliers of the input rows' target scores; the scores are those of both halves.
 */
function deepliftGradients(context: TfjsPassContext, pass: GradientPass): GradientOutput {
  const { model, outputIndex, execution } = context;
  const targets = targetsOf(pass);
  let classes = 0;
  let values: Float32Array | undefined;
  const gradient = valuesOf(() => {
    const paired = tensorOf(pass.rows);
    const logits = model.run(paired, { outputIndex, scores: 'logits' });
    classes = logits.shape[1];
    const weights = outputMultipliers(logits, targets, context.scores === 'probabilities');
    const ruled = withDropout(execution, pass);
    const gradient = safeGrad((input) => {
      const out = model.run(input, { outputIndex, scores: 'logits', execution: ruled });
      return tf.sum(tf.mul(tf.slice(out, 0, targets.length), weights));
    }, paired);
    values = (context.scores === 'probabilities' ? tf.softmax(logits) : logits).dataSync() as Float32Array;
    return gradient;
  });
  return { gradient, classes, scores: values };
}
