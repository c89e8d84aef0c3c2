/**
 * Propagation rules: how the gradient (or relevance) flows through one layer or one activation. A rule is attached per
 * pass through `ExecutionSettings.rules`, by layer class name or activation name; a new rule (guided ReLU, DeconvNet,
 * LRP, DeepLIFT) is a new file, never an edit of the executor.
 */
import type * as tf from '@tensorflow/tfjs';
import { withInputGradient } from './input-gradient.js';

/** Where a rule attaches: Keras layer class names (`'Dense'`, `'Conv2D'`, ...) and/or activation names (`'relu'`, ...). */
export interface RuleTargets {
  layers?: readonly string[];
  activations?: readonly string[];
}

/** One place in a model where a rule applies. */
export interface RuleSite {
  /** `'layer'`: the rule wraps a whole layer (its input → its output); `'activation'`: a named activation (pre-activation → activation). */
  kind: 'layer' | 'activation';
  /** The layer executed; at an activation site, the layer whose op applies the activation (a Dense, a ReLU layer, a block). */
  layer: tf.layers.Layer;
  /** `layer.getClassName()`. */
  className: string;
  /** The activation's name at an activation site. */
  activation?: string;
  /** A name unique within the model: nested layer names joined by `/`, plus `:relu#k` for the k-th activation a layer applies. */
  id: string;
  /** The current value of a weight of `layer` whose name ends with `suffix` (`'kernel'`, `'bias'`, ...). */
  weight(suffix: string): tf.Tensor | undefined;
}

/** A forward function of one tensor (a layer's op, or an activation). */
export type Forward = (x: tf.Tensor) => tf.Tensor;

/** A propagation rule. Prefer {@link gradientRule}, which builds one on the shared custom-gradient wrapper. */
export interface PropagationRule {
  /** A short name for messages (`'guided-relu'`). */
  readonly name: string;
  /** Layer classes and activations the rule applies to. */
  readonly appliesTo: RuleTargets;
  /**
   * Returns the function used in place of `forward` at `site`: same forward values, the rule's gradient. `x`, the
   * argument of the returned function, is the layer's input (layer sites) or the pre-activation (activation sites).
   */
  wrap(forward: Forward, site: RuleSite): Forward;
}

/**
 * A rule that keeps the forward values and replaces d(output)/d(input) by `inputGradient(dy, x, site)` — `dy` the
 * upstream gradient (shape of the output), `x` the layer input or pre-activation — through `withInputGradient`.
 * @example const deconvRelu = gradientRule('deconvnet-relu', { activations: ['relu'] }, (dy) => tf.relu(dy));
 */
export function gradientRule(
  name: string,
  appliesTo: RuleTargets,
  inputGradient: (dy: tf.Tensor, x: tf.Tensor, site: RuleSite) => tf.Tensor,
): PropagationRule {
  return {
    name,
    appliesTo,
    wrap: (forward, site) => withInputGradient(forward, (dy, x) => inputGradient(dy, x, site)),
  };
}

/** The first rule of `rules` that applies to layer class `className` (layer sites). */
export function ruleForLayer(
  rules: readonly PropagationRule[] | undefined,
  className: string,
): PropagationRule | undefined {
  return rules?.find((r) => r.appliesTo.layers?.includes(className) === true);
}

/** The first rule of `rules` that applies to activation `name` (activation sites). */
export function ruleForActivation(
  rules: readonly PropagationRule[] | undefined,
  name: string,
): PropagationRule | undefined {
  return rules?.find((r) => r.appliesTo.activations?.includes(name) === true);
}
