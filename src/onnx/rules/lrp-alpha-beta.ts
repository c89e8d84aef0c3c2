/** LRP-αβ and z⁺ on an ONNX MatMul or Conv (src/rules/lrp-alpha-beta.ts): positive and negative contributions apart. */
import { op } from '../op-gradient.js';
import { LrpLinearRule, linearPart, mapKernel, transposed } from './lrp-linear.js';
import { indicator, relevanceRatio } from './rule-graph.js';

/**
 * With x⁺ = x·[x > 0], x⁻ = x·[x < 0], W⁺ = relu(W), W⁻ = −relu(−W), z⁺ = x⁺W⁺ + x⁻W⁻ and z⁻ = x⁺W⁻ + x⁻W⁺ (no
 * biases): a = α·z/stab(z⁺), b = β·z/stab(z⁻), and dx = [x > 0]·(W⁺ᵀ(dz·a) − W⁻ᵀ(dz·b)) + [x < 0]·(W⁻ᵀ(dz·a) − W⁺ᵀ(dz·b)),
 * the gradient of the TF.js rule's surrogate. β = 0 leaves the negative part out (z⁺-rule: α = 1).
 */
export function lrpAlphaBeta(alpha: number, beta: number): LrpLinearRule {
  return (site, dz) => {
    const { ctx, x } = site;
    const g = ctx.graph;
    const positiveWeights = mapKernel(site.kernel, (w) => Math.max(w, 0));
    const negativeWeights = mapKernel(site.kernel, (w) => (w < 0 ? w : 0));
    const isPositive = indicator(ctx, op(ctx, 'Greater', [x, g.scalar(0)]));
    const isNegative = indicator(ctx, op(ctx, 'Less', [x, g.scalar(0)]));
    const positiveInput = op(ctx, 'Mul', [x, isPositive]);
    const negativeInput = op(ctx, 'Mul', [x, isNegative]);
    const positive = op(ctx, 'Add', [
      linearPart(site, positiveInput, positiveWeights),
      linearPart(site, negativeInput, negativeWeights),
    ]);
    const share = op(ctx, 'Mul', [relevanceRatio(ctx, site.z, positive, site.epsilon), g.scalar(alpha)]);
    const dPositive = op(ctx, 'Mul', [dz, share]);
    let toPositiveInput = transposed(site, dPositive, positiveWeights);
    let toNegativeInput = transposed(site, dPositive, negativeWeights);
    if (beta !== 0) {
      const negative = op(ctx, 'Add', [
        linearPart(site, positiveInput, negativeWeights),
        linearPart(site, negativeInput, positiveWeights),
      ]);
      const against = op(ctx, 'Mul', [relevanceRatio(ctx, site.z, negative, site.epsilon), g.scalar(beta)]);
      const dNegative = op(ctx, 'Mul', [op(ctx, 'Neg', [dz]), against]);
      toPositiveInput = op(ctx, 'Add', [toPositiveInput, transposed(site, dNegative, negativeWeights)]);
      toNegativeInput = op(ctx, 'Add', [toNegativeInput, transposed(site, dNegative, positiveWeights)]);
    }
    return op(ctx, 'Add', [
      op(ctx, 'Mul', [toPositiveInput, isPositive]),
      op(ctx, 'Mul', [toNegativeInput, isNegative]),
    ]);
  };
}
