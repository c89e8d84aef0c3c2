/**
 * Lowerers of ZeroPadding2D (`Pad`), Cropping2D (`Slice`), UpSampling2D with nearest interpolation (each pixel
 * repeated: Reshape, Expand, Reshape, as TensorFlow.js's resizeNearestNeighbor computes an integer upscale) and
 * Conv2DTranspose (`ConvTranspose` with TensorFlow's output size), over channels-last values.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  LayerLowerer,
  channelsFirst,
  channelsLast,
  layerConfig,
  numberList,
  onlyInput,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';
import { plainLayer } from './plain-layer.js';

/** `[[top, bottom], [left, right]]` from Keras's forms (`p`, `[h, w]`, `[[t, b], [l, r]]`), non-negative integers. */
function pairs(layer: tf.layers.Layer, value: unknown, what: string): [number, number][] {
  const axes = typeof value === 'number' ? [value, value] : (value as unknown[]);
  const result = (Array.isArray(axes) ? axes : []).map((a) => (typeof a === 'number' ? [a, a] : a)) as number[][];
  if (result.length !== 2 || result.some((p) => !Array.isArray(p) || p.length !== 2 || p.some((v) => !(v >= 0))))
    throw unsupportedLayer(layer, `${what} ${JSON.stringify(value)}`);
  return result as [number, number][];
}

function requireImage(layer: tf.layers.Layer, shape: number[]): void {
  if ((layerConfig(layer).dataFormat ?? 'channelsLast') !== 'channelsLast')
    throw unsupportedLayer(layer, 'only channels-last data');
  if (shape.length !== 3) throw unsupportedLayer(layer, `input [${shape.join(',')}] is not rank 3`);
}

const zeroPadding2d: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  requireImage(layer, x.shape);
  const [[top, bottom], [left, right]] = pairs(layer, layerConfig(layer).padding, 'padding');
  const pads = ctx.graph.int64s([0, top, left, 0, 0, bottom, right, 0]);
  const shape = [x.shape[0] + top + bottom, x.shape[1] + left + right, x.shape[2]];
  return ctx.op('Pad', [x.name, pads], { mode: 'constant' }, shape);
};

const cropping2d: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  requireImage(layer, x.shape);
  const [[top, bottom], [left, right]] = pairs(layer, layerConfig(layer).cropping, 'cropping');
  const shape = [x.shape[0] - top - bottom, x.shape[1] - left - right, x.shape[2]];
  if (shape.some((d) => d < 1)) throw unsupportedLayer(layer, 'it crops away its whole input');
  const [starts, ends, axes] = [
    [top, left],
    [top + shape[0], left + shape[1]],
    [1, 2],
  ].map((v) => ctx.graph.int64s(v));
  return ctx.op('Slice', [x.name, starts, ends, axes], {}, shape);
};

const upSampling2d: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  requireImage(layer, x.shape);
  const c = layerConfig(layer);
  if ((c.interpolation ?? 'nearest') !== 'nearest')
    throw unsupportedLayer(layer, `interpolation '${String(c.interpolation)}' (only nearest)`);
  const [sh, sw] = numberList(c.size ?? 2, 2);
  const [h, w, channels] = x.shape;
  const spread = ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, h, 1, w, 1, channels])], {}, [h, 1, w, 1, channels]);
  const repeated = ctx.op('Expand', [spread.name, ctx.graph.int64s([1, 1, sh, 1, sw, 1])], {}, [
    h,
    sh,
    w,
    sw,
    channels,
  ]);
  const shape = [h * sh, w * sw, channels];
  return ctx.op('Reshape', [repeated.name, ctx.graph.int64s([-1, ...shape])], {}, shape);
};

/**
 * Conv2DTranspose as TensorFlow.js's layer computes it: `conv2dTranspose` to `in · stride` (`same`) or
 * `in · stride + max(k − stride, 0)` (`valid`), then bias and the layer's activation. Kernel `[kh, kw, out, in]` →
 * ONNX `[in, out, kh, kw]`; the pads are those of the convolution it transposes.
 */
const conv2dTranspose: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  requireImage(layer, x.shape);
  const c = layerConfig(layer);
  const padding = c.padding;
  if (padding !== 'same' && padding !== 'valid') throw unsupportedLayer(layer, `padding '${String(padding)}'`);
  if (numberList(c.dilationRate ?? 1, 2).some((d) => d !== 1)) throw unsupportedLayer(layer, 'a dilated transpose');
  const kernel = weightValues(layer, 'kernel');
  if (kernel === null) throw unsupportedLayer(layer, 'it has no kernel');
  const [kh, kw, cout, cin] = kernel.shape;
  const strides = numberList(c.strides ?? 1, 2);
  const spatial = [kh, kw];
  const size = x.shape.slice(0, 2);
  const out = size.map((n, i) => n * strides[i] + (padding === 'valid' ? Math.max(spatial[i] - strides[i], 0) : 0));
  // the convolution out → in that this transposes: TensorFlow's total pad, begin = ⌊total / 2⌋
  const total = size.map((n, i) => (padding === 'same' ? Math.max((n - 1) * strides[i] + spatial[i] - out[i], 0) : 0));
  const outputPadding = out.map((o, i) => o - ((size[i] - 1) * strides[i] + spatial[i] - total[i]));
  const taps = kh * kw;
  const w = new Float32Array(kernel.data.length);
  for (let t = 0; t < taps; t++)
    for (let o = 0; o < cout; o++)
      for (let i = 0; i < cin; i++) w[(i * cout + o) * taps + t] = kernel.data[(t * cout + o) * cin + i];
  const input = channelsFirst(ctx, x);
  const operands = [input.name, ctx.graph.floats(`${layer.name}_kernel`, w, [cin, cout, kh, kw])];
  const bias = c.useBias === false ? null : weightValues(layer, 'bias');
  if (bias !== null) operands.push(ctx.graph.floats(`${layer.name}_bias`, bias.data, [cout]));
  const attributes = {
    kernel_shape: spatial,
    strides,
    dilations: [1, 1],
    pads: [...total.map((t) => Math.floor(t / 2)), ...total.map((t) => t - Math.floor(t / 2))],
    output_padding: outputPadding,
  };
  const y = ctx.op('ConvTranspose', operands, attributes, [cout, ...out]);
  return ctx.activation(layer, c.activation, channelsLast(ctx, y));
};

/** The resampling lowerers by Keras class name (TensorFlow.js runs the first three with their own `call`). */
export const RESAMPLING_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['ZeroPadding2D', plainLayer(zeroPadding2d)],
  ['Cropping2D', plainLayer(cropping2d)],
  ['UpSampling2D', plainLayer(upSampling2d)],
  // the executor's layer op computes it too: propagation rules reach its ops (LRP's convolution rule, a ReLU's)
  ['Conv2DTranspose', conv2dTranspose],
];
