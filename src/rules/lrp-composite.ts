/**
 * Which LRP rule applies where (a composite, in Zennit's terms): the chosen rule on convolutions; ε on Dense, batch
 * norm and averaging pools; max pooling, ReLU, flatten and dropout pass relevance by their ordinary gradient (max
 * pooling to the winner). Batch norm is its own affine layer, or folded into the convolution before it.
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
  LrpLinearRule,
  batchNormAffine,
  kernelAndBias,
  linearPart,
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

/** Throws a clear error for a layer with weights that LRP has no rule for (LSTM, depthwise convolutions, ...). */
export function checkLrpSupport(model: tf.LayersModel, functionName: string): void {
  const known = new Set<string>([...LRP_WEIGHTED_CLASSES, ...LRP_AFFINE_CLASSES, ...LRP_PASS_CLASSES]);
  for (const layer of leafLayers(model)) {
    const className = layer.getClassName();
    if (!known.has(className)) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${functionName}' has no LRP rule for layer '${layer.name}' of class ${className}; supported: ${[...known].join(', ')}.`,
      );
    }
    const act = activationName(layer);
    if (
      (className === 'Activation' || LRP_WEIGHTED_CLASSES.includes(className as never)) &&
      !['linear', 'relu', 'softmax'].includes(act)
    ) {
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `'${functionName}' propagates relevance through ReLU networks; layer '${layer.name}' uses activation '${act}'.`,
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

interface PreparedLayer {
  /** Weighted layers: the kernel and bias in use (batch norm folded in when asked), and the rule's own tensors. */
  kernel?: tf.Tensor;
  bias?: tf.Tensor;
  rule?: LrpLinearRule;
  prepared?: tf.Tensor[];
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
        let { kernel, bias } = kernelAndBias(layer);
        owned.push(kernel, bias);
        const norm = pairs.get(layer);
        if (norm !== undefined) {
          ({ kernel, bias } = foldBatchNorm(kernel, bias, norm));
          owned.push(kernel, bias);
        }
        const rule = className === 'Dense' ? lrpEpsilon : onConvolutions;
        const tensors = rule.prepare(kernel, bias);
        owned.push(...tensors);
        prepared.set(layer, { kernel, bias, rule, prepared: tensors });
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
      if (layer?.rule === undefined) {
        // Averaging pools: ε on their own linear map.
        return withSurrogateGradient(y, tf.mul(forward(x), stopGradient(relevanceRatio(y, y, settings.epsilon))));
      }
      const z = stopGradient(tf.add(linearPart(site.layer, x, layer.kernel as tf.Tensor), layer.bias as tf.Tensor));
      const surrogate = layer.rule.surrogate({
        layer: site.layer,
        x,
        z,
        epsilon: settings.epsilon,
        prepared: layer.prepared as tf.Tensor[],
      });
      const relu = activationName(site.layer) === 'relu';
      return withSurrogateGradient(y, relu ? tf.mul(surrogate, stopGradient(tf.step(z))) : surrogate);
    },
  };
  return { rule, dispose: () => owned.forEach((t) => t.dispose()) };
}
