/**
 * Lowerers of Conv1D, Conv2D and CausalConv1D: channels-last input transposed to ONNX's channels-first `Conv` (kernel
 * `[k..., in, out]` → `[out, in, k...]`, bias inside), TensorFlow's `same`/`valid` padding as explicit pads, `causal`
 * as a left `Pad`, then back to channels last and the layer's activation.
 */
import type * as tf from '@tensorflow/tfjs';
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

/** Kernel `[k..., in, out]` (TensorFlow.js) → `[out, in, k...]` (ONNX). */
function onnxKernel(data: Float32Array, shape: number[], rank: number): { data: Float32Array; dims: number[] } {
  const spatial = shape.slice(0, rank);
  const [cin, cout] = shape.slice(rank);
  const taps = spatial.reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.length);
  for (let t = 0; t < taps; t++)
    for (let i = 0; i < cin; i++)
      for (let o = 0; o < cout; o++) out[(o * cin + i) * taps + t] = data[(t * cin + i) * cout + o];
  return { data: out, dims: [cout, cin, ...spatial] };
}

/** A causal Conv1D's left padding (`dilation · (k − 1)` zeros before the first step), channels first. */
function padLeft(ctx: LoweringContext, x: Value, left: number): Value {
  const pads = ctx.graph.int64s([0, 0, left, 0, 0, 0]);
  return ctx.op('Pad', [x.name, pads], { mode: 'constant' }, [x.shape[0], x.shape[1] + left]);
}

function convolution(rank: 1 | 2): LayerLowerer {
  return (layer: tf.layers.Layer, inputs, ctx) => {
    const c = layerConfig(layer);
    const x = onlyInput(layer, inputs);
    if ((c.dataFormat ?? 'channelsLast') !== 'channelsLast') throw unsupportedLayer(layer, 'only channels-last data');
    if ((c.groups ?? 1) !== 1) throw unsupportedLayer(layer, 'grouped convolutions are not lowered');
    if (x.shape.length !== rank + 1)
      throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not rank ${rank + 1}`);
    const kernel = weightValues(layer, 'kernel');
    if (kernel === null) throw unsupportedLayer(layer, 'it has no kernel');
    let padding = c.padding;
    if (padding !== 'same' && padding !== 'valid' && !(padding === 'causal' && rank === 1))
      throw unsupportedLayer(layer, `padding '${String(padding)}'`);
    const strides = numberList(c.strides ?? 1, rank);
    const dilations = numberList(c.dilationRate ?? 1, rank);
    const spatial = kernel.shape.slice(0, rank);
    const cout = kernel.shape[rank + 1];
    let input = channelsFirst(ctx, x);
    if (padding === 'causal') {
      input = padLeft(ctx, input, dilations[0] * (spatial[0] - 1));
      padding = 'valid';
    }
    const axes = input.shape
      .slice(1)
      .map((size, i) => axisGeometry(size, spatial[i], strides[i], dilations[i], padding as 'same' | 'valid'));
    if (axes.some((a) => a.out < 1)) throw unsupportedLayer(layer, 'its window is larger than its input');
    const weights = onnxKernel(kernel.data, kernel.shape, rank);
    const operands = [input.name, ctx.graph.floats(`${layer.name}_kernel`, weights.data, weights.dims)];
    const bias = c.useBias === false ? null : weightValues(layer, 'bias');
    if (bias !== null) operands.push(ctx.graph.floats(`${layer.name}_bias`, bias.data, [cout]));
    const attributes = {
      kernel_shape: spatial,
      strides,
      dilations,
      pads: [...axes.map((a) => a.begin), ...axes.map((a) => a.end)],
    };
    const y = ctx.op('Conv', operands, attributes, [cout, ...axes.map((a) => a.out)]);
    return ctx.activation(layer, c.activation, channelsLast(ctx, y));
  };
}

/** The convolution lowerers by Keras class name. */
export const CONVOLUTION_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['Conv1D', convolution(1)],
  ['Conv2D', convolution(2)],
  ['CausalConv1D', convolution(1)],
];
