/** DeepLIFT's rescale rule (src/rules/deeplift-rescale.ts) as the gradient of the ONNX `Relu` on a paired batch. */
import { RESCALE_EPSILON } from '../../rules/deeplift-rescale.js';
import { GradientBuilder, op, upstream } from '../op-gradient.js';
import { halves, indicator } from './rule-graph.js';

/**
 * On `[inputs; references]`: with x₁, x₀ the two halves of the ReLU's input and y₁, y₀ of its output, the input rows
 * take dy · m with the multiplier m = (y₁ − y₀)/(x₁ − x₀), or [x₁ > 0] where |x₁ − x₀| < 1e-10 (a paired-batch rule:
 * dy and the result are the input rows').
 */
export const deepliftRescaleGradient: GradientBuilder = (ctx) => {
  const g = ctx.graph;
  const [x1, x0] = halves(ctx, ctx.node.inputs[0]);
  const [y1, y0] = halves(ctx, ctx.node.outputs[0]);
  const dx = op(ctx, 'Sub', [x1, x0]);
  const small = op(ctx, 'Less', [op(ctx, 'Abs', [dx]), g.scalar(RESCALE_EPSILON)]);
  // Δy/Δx where it is used (|Δx| ≥ 1e-10); the Where below drops the other cells
  const ratio = op(ctx, 'Div', [op(ctx, 'Sub', [y1, y0]), dx]);
  const multiplier = op(ctx, 'Where', [small, indicator(ctx, op(ctx, 'Greater', [x1, g.scalar(0)])), ratio]);
  return [op(ctx, 'Mul', [upstream(ctx), multiplier])];
};
