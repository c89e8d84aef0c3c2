/**
 * Gradients of a MatMul of two computed values (attention's Q·Kᵀ and probabilities·V) and of ReduceSum: the
 * products with the other operand transposed over its last two axes, and dy spread back over the summed axes.
 */
import { GradientBuilder, GradientContext, internal, op, upstream } from '../op-gradient.js';

/** `value` (rank `rank` with the batch) with its last two axes swapped. */
function swapLast(ctx: GradientContext, value: string, rank: number): string {
  const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  return op(ctx, 'Transpose', [value], { perm });
}

/**
 * The gradient of `MatMul`: `plain` for a constant 2-D weight; for two computed operands of the same rank (no
 * broadcasting), dA = dy·Bᵀ and dB = Aᵀ·dy over the last two axes.
 */
export function computedMatMulGradient(plain: GradientBuilder): GradientBuilder {
  return (ctx) => {
    if (!ctx.wanted[1] && ctx.graph.constantData(ctx.node.inputs[1]) !== undefined) return plain(ctx);
    const [a, b] = ctx.node.inputs;
    const shapes = [a, b].map((v) => ctx.graph.shapeOf(v));
    if (shapes[0].length !== shapes[1].length || shapes[0].slice(0, -2).join() !== shapes[1].slice(0, -2).join())
      throw internal('a MatMul of computed operands with broadcasting');
    const rank = shapes[0].length + 1;
    const dy = upstream(ctx);
    return [
      ctx.wanted[0] ? op(ctx, 'MatMul', [dy, swapLast(ctx, b, rank)]) : undefined,
      ctx.wanted[1] ? op(ctx, 'MatMul', [swapLast(ctx, a, rank), dy]) : undefined,
    ];
  };
}

/** ReduceSum over constant axes (keepdims 0): dy reshaped with the summed axes kept as 1, expanded to the input. */
const reduceSumGradient: GradientBuilder = (ctx) => {
  if (ctx.node.attributes.keepdims !== 0) throw internal('ReduceSum with keepdims');
  const shape = ctx.graph.shapeOf(ctx.node.inputs[0]);
  const axes = ctx.graph.constantInts(ctx.node.inputs[1]);
  if (axes === undefined) throw internal('ReduceSum with computed axes');
  const rank = shape.length + 1;
  const summed = axes.map((a) => (a < 0 ? rank + a : a));
  const kept = ctx.graph.int64s([-1, ...shape.map((d, i) => (summed.includes(i + 1) ? 1 : d))]);
  const spread = op(ctx, 'Reshape', [upstream(ctx), kept]);
  return [op(ctx, 'Expand', [spread, op(ctx, 'Shape', [ctx.node.inputs[0]])]), undefined];
};

/** The gradients of this file by op type (the computed-operand `MatMul` wraps the plain one in op-gradients). */
export const MATMUL_GRADIENTS: readonly (readonly [string, GradientBuilder])[] = [['ReduceSum', reduceSumGradient]];
