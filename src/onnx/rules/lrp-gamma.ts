/** LRP-γ on an ONNX MatMul or Conv (src/rules/lrp-gamma.ts): positive weights and biases favoured by γ. */
import { op } from '../op-gradient.js';
import { LrpLinearRule, addBias, linearPart, mapKernel, transposed } from './lrp-linear.js';
import { relevanceRatio } from './rule-graph.js';

/** With W' = W + γW⁺ and b' = b + γb⁺ (float32, as the TF.js rule prepares them): dx = W'ᵀ(dz ⊙ z / stab(xW' + b')). */
export function lrpGamma(gamma: number): LrpLinearRule {
  const g32 = Math.fround(gamma);
  const favour = (w: number): number => Math.fround(w + Math.fround(Math.max(w, 0) * g32));
  return (site, dz) => {
    const favoured = mapKernel(site.kernel, favour);
    const favouredBias = site.bias.map(favour);
    const denominator = addBias(site, linearPart(site, site.x, favoured), favouredBias);
    const ratio = relevanceRatio(site.ctx, site.z, denominator, site.epsilon);
    return transposed(site, op(site.ctx, 'Mul', [dz, ratio]), favoured);
  };
}
