/** LRP-ε on an ONNX MatMul or Conv (src/rules/lrp-epsilon.ts): dx = Wᵀ(dz ⊙ z / stab(z)). */
import { op } from '../op-gradient.js';
import { LrpLinearRule, transposed } from './lrp-linear.js';
import { relevanceRatio } from './rule-graph.js';

/** The ε-rule: the plain transposed map of the upstream gradient scaled by z / (z + ε·sign z). */
export const lrpEpsilon: LrpLinearRule = (site, dz) => {
  const ratio = relevanceRatio(site.ctx, site.z, site.z, site.epsilon);
  return transposed(site, op(site.ctx, 'Mul', [dz, ratio]), site.kernel);
};
