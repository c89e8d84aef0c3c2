/**
 * Which LRP rule applies where (a composite, in Zennit's terms): the chosen rule on convolutions (transposed ones too,
 * and each of a separable convolution's two); ε on Dense, batch norm, Normalization, Rescaling and averaging pools;
 * max pooling, ReLU, flatten, up-sampling and dropout pass relevance by their ordinary gradient (max pooling to the
 * winner). Batch norm is its own affine layer, or folded into the convolution before it.
 */
import * as tf from '@tensorflow/tfjs';
import { LRP_RULE_NAMES } from './lrp-rule-names.js';
import { WingbeatsError } from '../util/errors.js';
import type { PropagationRule } from '../execution/propagation-rule.js';
import { activationName } from '../execution/layer-op.js';
import { leafLayers } from '../execution/layer-walk.js';
import { foldBatchNorm, foldablePairs } from '../execution/batch-norm-folding.js';
import { stopGradient, withSurrogateGradient } from './gradient-tricks.js';
import {
  LRP_AFFINE_CLASSES,
  LRP_PASS_CLASSES,
  LRP_WEIGHTED_CLASSES,
  LinearStage,
  LrpLinearRule,
  batchNormAffine,
  linearStages,
  relevanceRatio,
} from './lrp-linear.js';
import { lrpEpsilon } from './lrp-epsilon.js';
import { lrpGamma } from './lrp-gamma.js';
import { lrpAlphaBeta } from './lrp-alpha-beta.js';

export { LRP_RULE_NAMES } from './lrp-rule-names.js';
/** Name of an LRP rule. */
export type LrpRuleName = (typeof LRP_RULE_NAMES)[number];

/** Settings of an LRP composite. */
export interface LrpCompositeSettings {
  /** Rule on convolutions. */
  rule: LrpRuleName;
  /** Stabiliser ε of every rule. */
  epsilon: number;
  gamma: number;
  alpha: number;
  beta: number;
  /** Fold each batch norm into the convolution it follows (Zennit's canonisation). */
  foldBatchNorm: boolean;
}

/**
 * Throws a clear error, one line, for a layer LRP has no textbook rule for (LSTM, depthwise convolutions, attention,
 * layer normalization, ...), naming the layer, the model file when known, and what to use instead.
 */
export function checkLrpSupport(model: tf.LayersModel, functionName: string, fileName?: string): void {
  const known = new Set<string>([...LRP_WEIGHTED_CLASSES, ...LRP_AFFINE_CLASSES, ...LRP_PASS_CLASSES]);
  const instead = `${fileName === undefined ? 'this model' : `'${fileName}'`}: explain it with 'deeplift' or a gradient method (saliency, integrated-gradients) instead`;
  for (const layer of leafLayers(model)) {
    const className = layer.getClassName();
    if (!known.has(className)) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${functionName}' has no LRP rule for layer '${layer.name}' of class ${className}; supported: ${[...known].join(', ')}. For ${instead}.`,
      );
    }
    const act = activationName(layer);
    if (
      (className === 'Activation' || LRP_WEIGHTED_CLASSES.includes(className as never)) &&
      !['linear', 'relu', 'softmax'].includes(act)
    ) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${functionName}' propagates relevance through ReLU networks; layer '${layer.name}' uses activation '${act}'. For ${instead}.`,
      );
    }
  }
}

/**
 * The rule a composite's settings put on convolutions, from one family of rule implementations (TensorFlow.js's here,
 * the ONNX engine's gradient overrides in src/onnx/rules): z⁺ is α = 1, β = 0.
 */
export function convolutionRuleOf<R>(
  settings: LrpCompositeSettings,
  family: { epsilon: R; gamma: (gamma: number) => R; alphaBeta: (alpha: number, beta: number) => R },
): R {
  switch (settings.rule) {
    case 'epsilon':
      return family.epsilon;
    case 'gamma':
      return family.gamma(settings.gamma);
    case 'alpha-beta':
      return family.alphaBeta(settings.alpha, settings.beta);
    case 'z-plus':
      return family.alphaBeta(1, 0);
  }
}

const convolutionRule = (settings: LrpCompositeSettings): LrpLinearRule =>
  convolutionRuleOf(settings, { epsilon: lrpEpsilon, gamma: lrpGamma, alphaBeta: lrpAlphaBeta });

/** An LRP composite for one call: the rule for `execution.rules`, and `dispose()` for the weights it prepared. */
export interface LrpComposite {
  rule: PropagationRule;
  dispose(): void;
}

/** One linear map of a weighted layer as prepared: its kernel and bias in use, its rule and the rule's tensors. */
interface PreparedStage {
  linear: LinearStage['linear'];
  kernel: tf.Tensor;
  bias: tf.Tensor;
  rule: LrpLinearRule;
  prepared: tf.Tensor[];
}

interface PreparedLayer {
  /** Weighted layers: their linear maps in order (batch norm folded into a convolution when asked). */
  stages?: PreparedStage[];
  /** Batch norm as its own layer: its scale. */
  scale?: tf.Tensor;
}

/**
 * The LRP composite of `model` as ONE propagation rule (gradient form: in the pass, a layer's activation times its
 * gradient is its relevance). Every weight a rule needs is prepared here, once, outside the gradient pass; free them
 * with `dispose()` in `finally`. Pairs from {@link foldablePairs} are folded when `settings.foldBatchNorm`.
 */
export function lrpComposite(model: tf.LayersModel, settings: LrpCompositeSettings): LrpComposite {
  const onConvolutions = convolutionRule(settings);
  const pairs = settings.foldBatchNorm ? foldablePairs(model) : new Map<tf.layers.Layer, tf.layers.Layer>();
  const folded = new Set(pairs.values());
  const prepared = new Map<tf.layers.Layer, PreparedLayer>();
  const owned: tf.Tensor[] = [];
  try {
    for (const layer of leafLayers(model)) {
      const className = layer.getClassName();
      if ((LRP_WEIGHTED_CLASSES as readonly string[]).includes(className)) {
        const stages = linearStages(layer);
        stages.forEach((stage) => owned.push(stage.kernel, stage.bias));
        const norm = pairs.get(layer);
        if (norm !== undefined) {
          const { kernel, bias } = foldBatchNorm(stages[0].kernel, stages[0].bias, norm);
          owned.push(kernel, bias);
          stages[0] = { ...stages[0], kernel, bias };
        }
        const rule = className === 'Dense' ? lrpEpsilon : onConvolutions;
        const ready = stages.map((stage) => {
          const tensors = rule.prepare(stage.kernel, stage.bias);
          owned.push(...tensors);
          return { ...stage, rule, prepared: tensors };
        });
        prepared.set(layer, { stages: ready });
      } else if (className === 'BatchNormalization' && !folded.has(layer)) {
        const { scale, shift } = batchNormAffine(layer);
        owned.push(scale, shift);
        prepared.set(layer, { scale });
      }
    }
  } catch (error) {
    owned.forEach((t) => t.dispose());
    throw error;
  }
  const rule: PropagationRule = {
    name: `lrp-${settings.rule}`,
    appliesTo: { layers: [...LRP_WEIGHTED_CLASSES, ...LRP_AFFINE_CLASSES] },
    wrap: (forward, site) => (x) => {
      const y = forward(x);
      const layer = prepared.get(site.layer);
      if (site.className === 'BatchNormalization') {
        // Folded into the convolution before it: relevance passes unchanged (gradient identity).
        if (layer?.scale === undefined) return withSurrogateGradient(y, x);
        return withSurrogateGradient(
          y,
          tf.mul(tf.mul(x, layer.scale), stopGradient(relevanceRatio(y, y, settings.epsilon))),
        );
      }
      if (layer?.stages === undefined) {
        // Averaging pools, Normalization, Rescaling: ε on their own (affine) map.
        return withSurrogateGradient(y, tf.mul(forward(x), stopGradient(relevanceRatio(y, y, settings.epsilon))));
      }
      // each stage's rule in turn: a stage's output carries its value forward and its rule's gradient back
      let input = x;
      let surrogate = x;
      let z = x;
      for (const [i, stage] of layer.stages.entries()) {
        if (i > 0) input = withSurrogateGradient(z, surrogate);
        z = stopGradient(tf.add(stage.linear(stopGradient(input), stage.kernel), stage.bias));
        surrogate = stage.rule.surrogate({
          layer: site.layer,
          linear: stage.linear,
          x: input,
          z,
          epsilon: settings.epsilon,
          prepared: stage.prepared,
        });
      }
      const relu = activationName(site.layer) === 'relu';
      return withSurrogateGradient(y, relu ? tf.mul(surrogate, stopGradient(tf.step(z))) : surrogate);
    },
  };
  return { rule, dispose: () => owned.forEach((t) => t.dispose()) };
}
