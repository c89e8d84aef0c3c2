/**
 * Gradients of AveragePool and ReduceMax as TensorFlow.js computes them: its AvgPoolGrad spreads dy / (window size)
 * over every window element (the full window size, even where `same` padding left fewer valid elements, exactly as
 * its cpu and wasm kernels do), and its max-reduction gradient gives dy to every element equal to the maximum (ties
 * all receive it).
 */
import { GradientBuilder, internal, op, upstream, where } from '../op-gradient.js';
import { sizeOf } from '../lowering-context.js';

/** dy / |window| spread back by a per-channel `ConvTranspose` with a kernel of ones (channels first). */
const averagePoolGradient: GradientBuilder = (ctx) => {
  const { kernel_shape: pool, strides, pads } = ctx.node.attributes as Record<string, number[]>;
  const shape = ctx.graph.shapeOf(ctx.node.inputs[0]);
  const out = ctx.graph.shapeOf(ctx.node.outputs[0]);
  const [channels, ...spatial] = shape;
  const rank = pool.length;
  const ones = ctx.graph.floats('avgpool_ones', new Float32Array(channels * sizeOf(pool)).fill(1), [
    channels,
    1,
    ...pool,
  ]);
  const outputPadding = spatial.map(
    (size, i) => size - ((out[i + 1] - 1) * strides[i] + pool[i] - pads[i] - pads[rank + i]),
  );
  if (outputPadding.some((p, i) => p < 0 || p >= Math.max(strides[i], 1)))
    throw internal('an AveragePool whose input size a transposed convolution cannot restore');
  const scaled = op(ctx, 'Mul', [upstream(ctx), ctx.graph.scalar(1 / sizeOf(pool))]);
  const dx = op(ctx, 'ConvTranspose', [scaled, ones], {
    kernel_shape: pool,
    strides,
    pads,
    group: channels,
    output_padding: outputPadding,
  });
  return [dx];
};

/** dy where x equals the maximum of its reduced group, every tie included. */
const reduceMaxGradient: GradientBuilder = (ctx) => {
  const axes = ctx.node.attributes.axes as number[];
  if (ctx.node.attributes.keepdims !== 0) throw internal('ReduceMax with keepdims');
  const shape = ctx.graph.shapeOf(ctx.node.inputs[0]);
  const kept = ctx.graph.int64s([-1, ...shape.map((d, i) => (axes.includes(i + 1) ? 1 : d))]);
  const max = op(ctx, 'Reshape', [ctx.node.outputs[0], kept]);
  const dy = op(ctx, 'Reshape', [upstream(ctx), kept]);
  const spread = op(ctx, 'Expand', [dy, op(ctx, 'Shape', [ctx.node.inputs[0]])]);
  return [where(ctx, op(ctx, 'Equal', [ctx.node.inputs[0], max]), spread)];
};

/** The pooling gradients by op type. */
export const POOLING_GRADIENTS: readonly (readonly [string, GradientBuilder])[] = [
  ['AveragePool', averagePoolGradient],
  ['ReduceMax', reduceMaxGradient],
];
