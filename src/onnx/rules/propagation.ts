/**
 * How gradients flow through a compiled ONNX graph: plainly, or under one of the library's propagation rules, each of
 * them a set of gradient overrides of the ONNX primitives it names (never layer names): guided ReLU (`Relu`), the LRP
 * composite (`Conv`, `MatMul`, bias `Add`, `BatchNormalization`, averaging pools), DeepLIFT's rescale and max-pool
 * rules (`Relu`, the other activations at the sites the lowering marks, `MaxPool`, on a paired batch
 * `[inputs; references]`). Also the seed each rule's pass starts from:
 * LRP with probabilities starts from the target's probability over its logit, DeepLIFT from the multipliers of the
 * target score with respect to the logits of the input rows (src/attribution/lrp.ts and deeplift.ts).
 */
import type { LrpCompositeSettings } from '../../rules/lrp-composite.js';
import type { OnnxGraph } from '../onnx-graph.js';
import { ACTIVATION_SITE, type GradientBuilder, type PairedBatchOverrides } from '../op-gradient.js';
import { RULE_GRADIENTS } from '../op-gradients.js';
import { deepliftMaxPoolGradient } from './deeplift-max-pool.js';
import { deepliftActivationGradient, deepliftRescaleGradient } from './deeplift-rescale.js';
import { lrpOverrides } from './lrp-composite.js';
import { halves, paired, relevanceRatio, type RuleGraph } from './rule-graph.js';

/** The propagation of a compiled graph. */
export type OnnxPropagation =
  { kind: 'plain' } | { kind: 'guided' } | { kind: 'lrp'; settings: LrpCompositeSettings } | { kind: 'deeplift' };

/**
 * DeepLIFT's overrides: the rescale rule on every `Relu` and every other activation site (marked by the lowering:
 * not the gates of recurrent cells), the max-pool rule on every `MaxPool`, on a paired batch (the backward pass runs
 * for the input rows only).
 */
export const DEEPLIFT_GRADIENTS: PairedBatchOverrides = Object.assign(
  new Map<string, GradientBuilder>([
    ['Relu', deepliftRescaleGradient],
    [ACTIVATION_SITE, deepliftActivationGradient],
    ['MaxPool', deepliftMaxPoolGradient],
  ]),
  { pairedBatch: true as const },
);

/** A short key of `propagation` (for caches of compiled graphs). */
export function propagationKey(propagation: OnnxPropagation): string {
  if (propagation.kind !== 'lrp') return propagation.kind;
  const s = propagation.settings;
  return `lrp ${s.rule} ${s.epsilon} ${s.gamma} ${s.alpha} ${s.beta} ${s.foldBatchNorm}`;
}

/** The gradient overrides of `propagation` on the forward graph `rules` describes. */
export function propagationOverrides(
  propagation: OnnxPropagation,
  rules: RuleGraph,
): ReadonlyMap<string, GradientBuilder> {
  switch (propagation.kind) {
    case 'plain':
      return new Map();
    case 'guided':
      return RULE_GRADIENTS.guided;
    case 'lrp':
      return lrpOverrides(propagation.settings, rules);
    case 'deeplift':
      return DEEPLIFT_GRADIENTS;
  }
}

const op = (g: OnnxGraph, opType: string, inputs: string[], attributes: Record<string, number> = {}) =>
  g.op(opType, inputs, attributes);

/** Σ over the class axis, kept: `[rows, 1]`. */
const rowSum = (g: OnnxGraph, v: string): string => op(g, 'ReduceSum', [v, g.int64s([1])], { keepdims: 1 });

/**
 * LRP's seed with probabilities: mask ⊙ p_t / stab(z_t) (stabiliser 1e-12), the relevance at the output being the
 * target's probability while the pass runs on logits.
 */
export function lrpProbabilitySeed(g: OnnxGraph, logits: string, mask: string): string {
  const at = { graph: g };
  const probability = rowSum(g, op(g, 'Mul', [op(g, 'Softmax', [logits], { axis: -1 }), mask]));
  const logit = rowSum(g, op(g, 'Mul', [logits, mask]));
  return op(g, 'Mul', [mask, relevanceRatio(at, probability, logit, 1e-12)]);
}

/**
 * DeepLIFT's seed on `[inputs; references]` logits with `mask` the targets of the input rows (zero rows below): the
 * mask itself for logits; for probabilities the softmax gradient g = p_t(mask − p) at the input rows rescaled so that
 * Σ g·Δz = Δp_t (g itself where |g·Δz| < 1e-12); zero for the reference rows.
 */
export function deepliftProbabilitySeed(g: OnnxGraph, logits: string, mask: string): string {
  const at = { graph: g };
  const [z1, z0] = halves(at, logits);
  const [m1] = halves(at, mask);
  const p1 = op(g, 'Softmax', [z1], { axis: -1 });
  const pt1 = rowSum(g, op(g, 'Mul', [p1, m1]));
  const pt0 = rowSum(g, op(g, 'Mul', [op(g, 'Softmax', [z0], { axis: -1 }), m1]));
  const gradient = op(g, 'Mul', [pt1, op(g, 'Sub', [m1, p1])]);
  const projected = rowSum(g, op(g, 'Mul', [gradient, op(g, 'Sub', [z1, z0])]));
  const flat = op(g, 'Less', [op(g, 'Abs', [projected]), g.scalar(1e-12)]);
  const scale = op(g, 'Where', [
    flat,
    g.scalar(1),
    op(g, 'Div', [op(g, 'Sub', [pt1, pt0]), op(g, 'Where', [flat, g.scalar(1), projected])]),
  ]);
  const weights = op(g, 'Mul', [gradient, scale]);
  return paired(at, weights, op(g, 'ConstantOfShape', [op(g, 'Shape', [z0])]));
}
