/**
 * Keras's `SeparableConv1D` (the loader's TensorFlow.js layer, `src/models/keras-separable-conv1d.ts`) lowered to
 * ONNX as its `call` computes it, on an added unit axis: a grouped 2-D `Conv` (one group per input channel, output
 * channel c · multiplier + j) with TensorFlow's `same`/`valid` pads, a 1×1 `Conv` with the bias, the activation.
 */
import type { SeparableConv1D } from '../../models/keras-separable-conv1d.js';
import {
  LayerLowerer,
  axisGeometry,
  channelsFirst,
  channelsLast,
  layerConfig,
  onlyInput,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';

const separableConv1d: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  if (x.shape.length !== 2) throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not [time, channels]`);
  const depthwise = weightValues(layer, 'depthwise_kernel');
  const pointwise = weightValues(layer, 'pointwise_kernel');
  if (depthwise === null || pointwise === null)
    throw unsupportedLayer(layer, 'it has no depthwise or pointwise kernel');
  const separable = layer as SeparableConv1D;
  const [k, channels, m] = depthwise.shape;
  const [, mixed, filters] = pointwise.shape;
  const [time] = x.shape;
  const axis = axisGeometry(time, k, separable.stride, 1, separable.padding);
  if (axis.out < 1) throw unsupportedLayer(layer, 'its window is larger than its input');
  // [k, in, m] → grouped [in·m, 1, k, 1]
  const dw = new Float32Array(depthwise.data.length);
  for (let t = 0; t < k; t++)
    for (let c = 0; c < channels; c++)
      for (let j = 0; j < m; j++) dw[(c * m + j) * k + t] = depthwise.data[(t * channels + c) * m + j];
  const column = ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, time, 1, channels])], {}, [time, 1, channels]);
  const input = channelsFirst(ctx, column);
  const spread = ctx.op(
    'Conv',
    [input.name, ctx.graph.floats(`${layer.name}_depthwise_kernel`, dw, [mixed, 1, k, 1])],
    {
      kernel_shape: [k, 1],
      strides: [separable.stride, 1],
      dilations: [1, 1],
      group: channels,
      pads: [axis.begin, 0, axis.end, 0],
    },
    [mixed, axis.out, 1],
  );
  // [1, in·m, filters] → [filters, in·m, 1, 1]
  const pw = new Float32Array(pointwise.data.length);
  for (let i = 0; i < mixed; i++) for (let o = 0; o < filters; o++) pw[o * mixed + i] = pointwise.data[i * filters + o];
  const operands = [spread.name, ctx.graph.floats(`${layer.name}_pointwise_kernel`, pw, [filters, mixed, 1, 1])];
  const bias = layerConfig(layer).useBias === false ? null : weightValues(layer, 'bias');
  if (bias !== null) operands.push(ctx.graph.floats(`${layer.name}_bias`, bias.data, [filters]));
  const attributes = { kernel_shape: [1, 1], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0] };
  const y = channelsLast(ctx, ctx.op('Conv', operands, attributes, [filters, axis.out, 1]));
  const flat = ctx.op('Reshape', [y.name, ctx.graph.int64s([-1, axis.out, filters])], {}, [axis.out, filters]);
  return ctx.activation(layer, layerConfig(layer).activation, flat);
};

/** The SeparableConv1D lowerer by Keras class name (the executor's layer op computes the same; propagation rules reach its ops). */
export const KERAS_SEPARABLE_CONV1D_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['SeparableConv1D', separableConv1d],
];
