/** Gradients of the network ops: Conv, MatMul, MaxPool, ReduceMean, GlobalAveragePool, BatchNormalization (input gradients only; weights are constants). */
import { GradientBuilder, GradientContext, internal, op, upstream } from '../op-gradient.js';
import { sizeOf } from '../lowering-context.js';

function constant(ctx: GradientContext, i: number): { data: Float32Array; dims: number[] } {
  if (ctx.wanted[i]) throw internal(`${ctx.node.opType} whose input ${i} depends on the model input`);
  const known = ctx.graph.constantData(ctx.node.inputs[i]);
  if (known === undefined) throw internal(`${ctx.node.opType} with a computed input ${i}`);
  return known;
}

/** Conv kernel `[out, in, k...]` flipped along every spatial axis with in/out swapped: `[in, out, k...]`. */
function flippedKernel(kernel: { data: Float32Array; dims: number[] }): { data: Float32Array; dims: number[] } {
  const [cout, cin, ...spatial] = kernel.dims;
  const taps = sizeOf(spatial);
  const data = new Float32Array(kernel.data.length);
  for (let o = 0; o < cout; o++)
    for (let i = 0; i < cin; i++)
      for (let t = 0; t < taps; t++) data[(i * cout + o) * taps + taps - 1 - t] = kernel.data[(o * cin + i) * taps + t];
  return { data, dims: [cin, cout, ...spatial] };
}

/**
 * d/dx of a convolution: for unit strides, a convolution of dy with the flipped, in/out-swapped kernel; otherwise
 * `ConvTranspose` with the forward kernel and the `output_padding` that restores the input size.
 */
const convGradient: GradientBuilder = (ctx) => {
  const attributes = ctx.node.attributes as Record<string, number[]>;
  if (ctx.node.inputs.length > 2) constant(ctx, 2);
  const kernel = constant(ctx, 1);
  const { kernel_shape: kernelShape, strides, dilations, pads } = attributes;
  if (ctx.node.attributes.group !== undefined && ctx.node.attributes.group !== 1) throw internal('a grouped Conv');
  const shape = ctx.graph.shapeOf(ctx.node.inputs[0]).slice(1);
  const out = ctx.graph.shapeOf(ctx.node.outputs[0]).slice(1);
  const rank = kernelShape.length;
  const span = kernelShape.map((k, i) => (k - 1) * dilations[i] + 1);
  const dy = upstream(ctx);
  let dx: string;
  if (strides.every((s) => s === 1)) {
    const backPads = [...span.map((s, i) => s - 1 - pads[i]), ...span.map((s, i) => s - 1 - pads[rank + i])];
    const w = ctx.graph.derivedConstant(`flip ${ctx.node.inputs[1]}`, () => {
      const flipped = flippedKernel(kernel);
      return ctx.graph.floats('kernel_flipped', flipped.data, flipped.dims);
    });
    dx = op(ctx, 'Conv', [dy, w], { kernel_shape: kernelShape, dilations, pads: backPads });
  } else {
    const outputPadding = shape.map(
      (size, i) => size - ((out[i] - 1) * strides[i] + span[i] - pads[i] - pads[rank + i]),
    );
    dx = op(ctx, 'ConvTranspose', [dy, ctx.node.inputs[1]], {
      kernel_shape: kernelShape,
      strides,
      dilations,
      pads,
      output_padding: outputPadding,
    });
  }
  return [dx, ...ctx.node.inputs.slice(1).map(() => undefined)];
};

/** dx = dy · Wᵀ for x · W with a constant 2-D W. */
const matMulGradient: GradientBuilder = (ctx) => {
  const w = constant(ctx, 1);
  if (w.dims.length !== 2) throw internal('a MatMul with a weight of rank other than 2');
  const [rows, cols] = w.dims;
  const wt = ctx.graph.derivedConstant(`transpose ${ctx.node.inputs[1]}`, () => {
    const transposed = new Float32Array(w.data.length);
    for (let i = 0; i < rows; i++) for (let o = 0; o < cols; o++) transposed[o * rows + i] = w.data[i * cols + o];
    return ctx.graph.floats('kernel_t', transposed, [cols, rows]);
  });
  return [op(ctx, 'MatMul', [upstream(ctx), wt]), undefined];
};

/**
 * Max pooling: each window's gradient goes to its first maximum (the indices output, added to the forward node here,
 * like TensorFlow's MaxPoolGrad); windows that do not overlap go through `MaxUnpool`, overlapping ones add up through
 * `ScatterElements` with reduction 'add'.
 */
const maxPoolGradient: GradientBuilder = (ctx) => {
  const node = ctx.node;
  if (node.outputs.length < 2) node.outputs.push(ctx.graph.name('maxpool_indices'));
  const indices = node.outputs[1];
  const dy = upstream(ctx);
  const x = node.inputs[0];
  const { kernel_shape: pool, strides } = node.attributes as Record<string, number[]>;
  const shape = op(ctx, 'Shape', [x]);
  if (strides.every((s, i) => s >= pool[i]))
    return [op(ctx, 'MaxUnpool', [dy, indices, shape], { kernel_shape: pool, strides, pads: node.attributes.pads })];
  const flat = ctx.graph.int64s([-1]);
  const zeros = op(ctx, 'Reshape', [op(ctx, 'ConstantOfShape', [shape]), flat]);
  const summed = op(
    ctx,
    'ScatterElements',
    [zeros, op(ctx, 'Reshape', [indices, flat]), op(ctx, 'Reshape', [dy, flat])],
    {
      axis: 0,
      reduction: 'add',
    },
  );
  return [op(ctx, 'Reshape', [summed, shape])];
};

/** Mean over `axes` (keepdims 0): dy / count, spread back over the reduced axes. */
const reduceMeanGradient: GradientBuilder = (ctx) => {
  const axes = ctx.node.attributes.axes as number[];
  if (ctx.node.attributes.keepdims !== 0) throw internal('ReduceMean with keepdims');
  const shape = ctx.graph.shapeOf(ctx.node.inputs[0]);
  const kept = shape.map((d, i) => (axes.includes(i + 1) ? 1 : d));
  const count = sizeOf(axes.map((a) => shape[a - 1]));
  const spread = op(ctx, 'Reshape', [upstream(ctx), ctx.graph.int64s([-1, ...kept])]);
  const mean = op(ctx, 'Div', [spread, ctx.graph.scalar(count)]);
  return [op(ctx, 'Expand', [mean, op(ctx, 'Shape', [ctx.node.inputs[0]])])];
};

/** Inference batch normalisation (channels first, constant statistics): dx = dy · γ / √(var + ε) per channel. */
const batchNormalizationGradient: GradientBuilder = (ctx) => {
  const [gamma, , , variance] = [1, 2, 3, 4].map((i) => constant(ctx, i).data);
  const epsilon = (ctx.node.attributes.epsilon as number | undefined) ?? 1e-5;
  const scale = gamma.map((g, i) => g / Math.sqrt(variance[i] + epsilon));
  const rank = ctx.graph.shapeOf(ctx.node.inputs[0]).length;
  const w = ctx.graph.floats('bn_scale', scale, [scale.length, ...Array<number>(rank - 1).fill(1)]);
  return [op(ctx, 'Mul', [upstream(ctx), w]), undefined, undefined, undefined, undefined];
};

/** Mean over every spatial axis (channels first, kept as size 1): dy / count, spread over the input. */
const globalAveragePoolGradient: GradientBuilder = (ctx) => {
  const count = sizeOf(ctx.graph.shapeOf(ctx.node.inputs[0]).slice(1));
  const mean = op(ctx, 'Div', [upstream(ctx), ctx.graph.scalar(count)]);
  return [op(ctx, 'Expand', [mean, op(ctx, 'Shape', [ctx.node.inputs[0]])])];
};

/** The network-op gradients by op type. */
export const NEURAL_GRADIENTS: readonly (readonly [string, GradientBuilder])[] = [
  ['Conv', convGradient],
  ['MatMul', matMulGradient],
  ['MaxPool', maxPoolGradient],
  ['ReduceMean', reduceMeanGradient],
  ['GlobalAveragePool', globalAveragePoolGradient],
  ['BatchNormalization', batchNormalizationGradient],
];
