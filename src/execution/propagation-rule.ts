/**
 * Propagation rules: how the gradient (or relevance) flows through one layer or one activation, attached per pass by
 * layer class name or activation name. A new rule is a new file, never an edit of the executor.
 */
import type * as tf from '@tensorflow/tfjs';
import { withInputGradient } from './input-gradient.js';

/** Where a rule attaches: Keras layer class names and/or activation names. */
export interface RuleTargets {
  layers?: readonly string[];
  activations?: readonly string[];
}

/** One place in a model where a rule applies. */
export interface RuleSite {
  kind: 'layer' | 'activation';
  layer: tf.layers.Layer;
  className: string;
  activation?: string;
}

/** A forward function of one tensor. */
export type Forward = (x: tf.Tensor) => tf.Tensor;

/** A propagation rule: `wrap` returns the function used in place of `forward` at `site` (same values, the rule's gradient). */
export interface PropagationRule {
  readonly name: string;
  readonly appliesTo: RuleTargets;
  wrap(forward: Forward, site: RuleSite): Forward;
}

/** A rule that keeps the forward values and replaces d(output)/d(input) by `inputGradient(dy, x, site)`. */
export function gradientRule(name: string, appliesTo: RuleTargets, inputGradient: (dy: tf.Tensor, x: tf.Tensor, site: RuleSite) => tf.Tensor): PropagationRule {
  return { name, appliesTo, wrap: (forward, site) => withInputGradient(forward, (dy, x) => inputGradient(dy, x, site)) };
}

/** The first rule that applies to layer class `className`. */
export function ruleForLayer(rules: readonly PropagationRule[] | undefined, className: string): PropagationRule | undefined {
  return rules?.find((r) => r.appliesTo.layers?.includes(className) === true);
}

/** The first rule that applies to activation `name`. */
export function ruleForActivation(rules: readonly PropagationRule[] | undefined, name: string): PropagationRule | undefined {
  return rules?.find((r) => r.appliesTo.activations?.includes(name) === true);
}

/** Reads or replaces the output of one named layer during a pass. */
export interface LayerHook {
  layer: string;
  hook: (output: tf.Tensor) => tf.Tensor;
}

/** Per-call execution settings of `ExplainableModel.run`. */
export interface ExecutionSettings {
  rules?: readonly PropagationRule[];
  layerHook?: LayerHook;
}
