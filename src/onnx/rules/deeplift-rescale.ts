/**
 * DeepLIFT's rescale rule (src/rules/deeplift-rescale.ts) on a paired batch: the gradient of the ONNX `Relu`, and of
 * every other elementwise activation at an activation site (`GraphNode.activationSite`).
 */
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

/**
 * The rescale rule at an activation site (one elementwise activation, however many ops it was lowered to), on
 * `[inputs; references]`: with x₁, x₀ the halves of its input and y₁, y₀ of its output, the input rows take
 * dy · (y₁ − y₀)/(x₁ − x₀) straight to x; where |x₁ − x₀| < 1e-10 dy goes on down the activation's own ops (its
 * gradient f′(x₁)), as the TensorFlow.js rule's fallback.
 */
export const deepliftActivationGradient: GradientBuilder = (ctx) => {
  const g = ctx.graph;
  const [x1, x0] = halves(ctx, ctx.node.inputs[0]);
  const [y1, y0] = halves(ctx, ctx.node.outputs[0]);
  const dy = upstream(ctx);
  const dx = op(ctx, 'Sub', [x1, x0]);
  const small = op(ctx, 'Less', [op(ctx, 'Abs', [dx]), g.scalar(RESCALE_EPSILON)]);
  // Δy/Δx where it is used (|Δx| ≥ 1e-10); the Where drops the other cells
  const ratio = op(ctx, 'Div', [op(ctx, 'Sub', [y1, y0]), dx]);
  const zero = g.scalar(0);
  return [op(ctx, 'Where', [small, zero, op(ctx, 'Mul', [dy, ratio])]), op(ctx, 'Where', [small, dy, zero])];
};
