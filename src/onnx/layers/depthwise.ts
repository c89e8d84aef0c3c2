/**
 * Lowerers of DepthwiseConv2D (its kernel named `depthwise_kernel`, as the loader stores Keras 2's and Keras 3's) and
 * SeparableConv2D (the depthwise convolution, then a 1×1 `Conv` with the bias): channels-first `Conv` with one group
 * per input channel, TensorFlow's `same`/`valid` padding as explicit pads, then the layer's activation.
 */
import {
  LayerLowerer,
  LoweringContext,
  Value,
  axisGeometry,
  channelsFirst,
  channelsLast,
  layerConfig,
  numberList,
  onlyInput,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';

/** Depthwise kernel `[kh, kw, c, m]` (TensorFlow.js) → grouped ONNX kernel `[c·m, 1, kh, kw]` (output c·m + j). */
function groupedKernel(data: Float32Array, shape: number[]): { data: Float32Array; dims: number[] } {
  const [kh, kw, channels, multiplier] = shape;
  const taps = kh * kw;
  const out = new Float32Array(data.length);
  for (let t = 0; t < taps; t++)
    for (let c = 0; c < channels; c++)
      for (let j = 0; j < multiplier; j++)
        out[(c * multiplier + j) * taps + t] = data[(t * channels + c) * multiplier + j];
  return { data: out, dims: [channels * multiplier, 1, kh, kw] };
}

/** The depthwise part (with the layer's bias if `bias`; no activation) of a DepthwiseConv2D or SeparableConv2D, channels first. */
function depthwise(layer: Parameters<LayerLowerer>[0], x: Value, ctx: LoweringContext, bias: boolean): Value {
  const c = layerConfig(layer);
  if ((c.dataFormat ?? 'channelsLast') !== 'channelsLast') throw unsupportedLayer(layer, 'only channels-last data');
  if (x.shape.length !== 3) throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not rank 3`);
  const padding = c.padding;
  if (padding !== 'same' && padding !== 'valid') throw unsupportedLayer(layer, `padding '${String(padding)}'`);
  const kernel = weightValues(layer, 'depthwise_kernel');
  if (kernel === null) throw unsupportedLayer(layer, 'it has no depthwise_kernel');
  const strides = numberList(c.strides ?? 1, 2);
  const dilations = numberList(c.dilationRate ?? 1, 2);
  const spatial = kernel.shape.slice(0, 2);
  const input = channelsFirst(ctx, x);
  const axes = input.shape.slice(1).map((size, i) => axisGeometry(size, spatial[i], strides[i], dilations[i], padding));
  if (axes.some((a) => a.out < 1)) throw unsupportedLayer(layer, 'its window is larger than its input');
  const weights = groupedKernel(kernel.data, kernel.shape);
  const attributes = {
    kernel_shape: spatial,
    strides,
    dilations,
    group: input.shape[0],
    pads: [...axes.map((a) => a.begin), ...axes.map((a) => a.end)],
  };
  const operands = [input.name, ctx.graph.floats(`${layer.name}_depthwise_kernel`, weights.data, weights.dims)];
  const b = !bias || c.useBias === false ? null : weightValues(layer, 'bias');
  if (b !== null) operands.push(ctx.graph.floats(`${layer.name}_bias`, b.data, [weights.dims[0]]));
  return ctx.op('Conv', operands, attributes, [weights.dims[0], ...axes.map((a) => a.out)]);
}

const depthwiseConv2d: LayerLowerer = (layer, inputs, ctx) => {
  const y = depthwise(layer, onlyInput(layer, inputs), ctx, true);
  return ctx.activation(layer, layerConfig(layer).activation, channelsLast(ctx, y));
};

const separableConv2d: LayerLowerer = (layer, inputs, ctx) => {
  const spatial = depthwise(layer, onlyInput(layer, inputs), ctx, false);
  const pointwise = weightValues(layer, 'pointwise_kernel');
  if (pointwise === null) throw unsupportedLayer(layer, 'it has no pointwise_kernel');
  const [, , cin, cout] = pointwise.shape;
  // [1, 1, in, out] → [out, in, 1, 1]
  const w = new Float32Array(pointwise.data.length);
  for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) w[o * cin + i] = pointwise.data[i * cout + o];
  const operands = [spatial.name, ctx.graph.floats(`${layer.name}_pointwise_kernel`, w, [cout, cin, 1, 1])];
  const bias = layerConfig(layer).useBias === false ? null : weightValues(layer, 'bias');
  if (bias !== null) operands.push(ctx.graph.floats(`${layer.name}_bias`, bias.data, [cout]));
  const attributes = { kernel_shape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] };
  const y = ctx.op('Conv', operands, attributes, [cout, ...spatial.shape.slice(1)]);
  return ctx.activation(layer, layerConfig(layer).activation, channelsLast(ctx, y));
};

/** The depthwise-convolution lowerers by Keras class name. */
export const DEPTHWISE_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['DepthwiseConv2D', depthwiseConv2d],
  ['SeparableConv2D', separableConv2d],
];
