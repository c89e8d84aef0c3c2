/**
 * Keras's `Conv1DTranspose` (the loader's TensorFlow.js layer, `src/models/keras-conv1d-transpose.ts`) lowered to
 * ONNX as its `call` computes it: a 2-D `ConvTranspose` on an added unit axis, to the layer's output length, with
 * TensorFlow's pads of the convolution it transposes (begin ⌊total / 2⌋), then bias and activation.
 */
import type { Conv1DTranspose } from '../../models/keras-conv1d-transpose.js';
import {
  LayerLowerer,
  channelsFirst,
  channelsLast,
  layerConfig,
  onlyInput,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';

const conv1dTranspose: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  if (x.shape.length !== 2) throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not [time, channels]`);
  const kernel = weightValues(layer, 'kernel');
  if (kernel === null) throw unsupportedLayer(layer, 'it has no kernel');
  const transpose = layer as Conv1DTranspose;
  const [k, cout, cin] = kernel.shape;
  const s = transpose.stride;
  const time = x.shape[0];
  const length = transpose.outputLength(time);
  const total = transpose.padding === 'same' ? Math.max((time - 1) * s + k - length, 0) : 0;
  const outputPadding = length - ((time - 1) * s + k - total);
  // [k, out, in] → ONNX [in, out, k, 1]
  const w = new Float32Array(kernel.data.length);
  for (let t = 0; t < k; t++)
    for (let o = 0; o < cout; o++)
      for (let i = 0; i < cin; i++) w[(i * cout + o) * k + t] = kernel.data[(t * cout + o) * cin + i];
  const column = ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, time, 1, cin])], {}, [time, 1, cin]);
  const input = channelsFirst(ctx, column);
  const operands = [input.name, ctx.graph.floats(`${layer.name}_kernel`, w, [cin, cout, k, 1])];
  const bias = layerConfig(layer).useBias === false ? null : weightValues(layer, 'bias');
  if (bias !== null) operands.push(ctx.graph.floats(`${layer.name}_bias`, bias.data, [cout]));
  const attributes = {
    kernel_shape: [k, 1],
    strides: [s, 1],
    dilations: [1, 1],
    pads: [Math.floor(total / 2), 0, total - Math.floor(total / 2), 0],
    output_padding: [outputPadding, 0],
  };
  const y = channelsLast(ctx, ctx.op('ConvTranspose', operands, attributes, [cout, length, 1]));
  const flat = ctx.op('Reshape', [y.name, ctx.graph.int64s([-1, length, cout])], {}, [length, cout]);
  return ctx.activation(layer, layerConfig(layer).activation, flat);
};

/** The Conv1DTranspose lowerer by Keras class name (the executor's layer op computes the same; propagation rules reach its ops). */
export const KERAS_CONV1D_TRANSPOSE_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['Conv1DTranspose', conv1dTranspose],
];
