/**
 * Gradients of grouped convolutions (depthwise and separable layers), of ConvTranspose (transposed-convolution
 * layers) and of Expand (nearest upsampling): input gradients only, the weights are constants.
 */
import { GradientBuilder, internal, op, unbroadcast, upstream } from '../op-gradient.js';

/**
 * The gradient of `Conv` with groups: `ConvTranspose` of dy with the forward kernel (`[out, in/groups, k...]` is
 * ConvTranspose's `[in, out/groups, k...]` for the reverse direction) and the `output_padding` that restores the
 * input size. A convolution without groups keeps `plain`.
 */
export function groupedConvGradient(plain: GradientBuilder): GradientBuilder {
  return (ctx) => {
    const group = (ctx.node.attributes.group as number | undefined) ?? 1;
    if (group === 1) return plain(ctx);
    if (ctx.wanted.slice(1).some(Boolean)) throw internal('a Conv whose weights depend on the model input');
    const { kernel_shape: kernelShape, strides, dilations, pads } = ctx.node.attributes as Record<string, number[]>;
    const shape = ctx.graph.shapeOf(ctx.node.inputs[0]).slice(1);
    const out = ctx.graph.shapeOf(ctx.node.outputs[0]).slice(1);
    const rank = kernelShape.length;
    const span = kernelShape.map((k, i) => (k - 1) * dilations[i] + 1);
    const outputPadding = shape.map(
      (size, i) => size - ((out[i] - 1) * strides[i] + span[i] - pads[i] - pads[rank + i]),
    );
    const dx = op(ctx, 'ConvTranspose', [upstream(ctx), ctx.node.inputs[1]], {
      kernel_shape: kernelShape,
      strides,
      dilations,
      pads,
      group,
      output_padding: outputPadding,
    });
    return [dx, ...ctx.node.inputs.slice(1).map(() => undefined)];
  };
}

/** d/dx of ConvTranspose: the convolution of dy with the same kernel, strides, dilations, pads and groups. */
const convTransposeGradient: GradientBuilder = (ctx) => {
  if (ctx.wanted.slice(1).some(Boolean)) throw internal('a ConvTranspose whose weights depend on the model input');
  const { kernel_shape: kernelShape, strides, dilations, pads } = ctx.node.attributes as Record<string, number[]>;
  const group = (ctx.node.attributes.group as number | undefined) ?? 1;
  const dx = op(ctx, 'Conv', [upstream(ctx), ctx.node.inputs[1]], {
    kernel_shape: kernelShape,
    strides,
    dilations: dilations ?? kernelShape.map(() => 1),
    pads,
    group,
  });
  return [dx, ...ctx.node.inputs.slice(1).map(() => undefined)];
};

/** The convolution-family gradients of this file by op type (grouped `Conv` wraps the plain one in op-gradients). */
export const CONVOLUTION_GRADIENTS: readonly (readonly [string, GradientBuilder])[] = [
  ['ConvTranspose', convTransposeGradient],
  // Expand: dy summed over the broadcast axes
  [
    'Expand',
    (ctx) => [
      unbroadcast(ctx, upstream(ctx), ctx.graph.shapeOf(ctx.node.inputs[0]), ctx.graph.shapeOf(ctx.node.outputs[0])),
      undefined,
    ],
  ],
];
