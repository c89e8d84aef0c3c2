/**
 * Lowerers of AveragePooling1D/2D (channels-first `AveragePool` over the valid elements of each window, as
 * TensorFlow's `same` padding averages) and GlobalMaxPooling1D/2D (`ReduceMax` over the spatial axes).
 */
import {
  LayerLowerer,
  axisGeometry,
  channelsFirst,
  channelsLast,
  layerConfig,
  numberList,
  onlyInput,
  unsupportedLayer,
} from '../lowering-context.js';

/**
 * A pooling layer over windows (`poolSize`, `strides`, TensorFlow's `same`/`valid` padding as explicit pads) as the
 * channels-first ONNX op `opType` with `attributes` besides the window's: MaxPool, AveragePool.
 */
export function windowPooling(rank: 1 | 2, opType: string, attributes: Record<string, number> = {}): LayerLowerer {
  return (layer, inputs, ctx) => {
    const c = layerConfig(layer);
    const x = onlyInput(layer, inputs);
    if ((c.dataFormat ?? 'channelsLast') !== 'channelsLast') throw unsupportedLayer(layer, 'only channels-last data');
    if (x.shape.length !== rank + 1)
      throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not rank ${rank + 1}`);
    const padding = c.padding;
    if (padding !== 'same' && padding !== 'valid') throw unsupportedLayer(layer, `padding '${String(padding)}'`);
    const pool = numberList(c.poolSize, rank);
    const strides = numberList(c.strides ?? pool, rank);
    const input = channelsFirst(ctx, x);
    const axes = input.shape.slice(1).map((size, i) => axisGeometry(size, pool[i], strides[i], 1, padding));
    if (axes.some((a) => a.out < 1)) throw unsupportedLayer(layer, 'its window is larger than its input');
    const window = {
      kernel_shape: pool,
      strides,
      pads: [...axes.map((a) => a.begin), ...axes.map((a) => a.end)],
      ...attributes,
    };
    const y = ctx.op(opType, [input.name], window, [input.shape[0], ...axes.map((a) => a.out)]);
    return channelsLast(ctx, y);
  };
}

/** AveragePool over the valid elements of each window, as TensorFlow's `same` padding averages. */
const averagePooling = (rank: 1 | 2): LayerLowerer => windowPooling(rank, 'AveragePool', { count_include_pad: 0 });

function globalMaxPooling(rank: 1 | 2): LayerLowerer {
  return (layer, inputs, ctx) => {
    const x = onlyInput(layer, inputs);
    if (x.shape.length !== rank + 1)
      throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not rank ${rank + 1}`);
    if (layerConfig(layer).keepdims === true) throw unsupportedLayer(layer, 'keepdims');
    const channels = x.shape[rank];
    if (x.channelsFirst !== undefined) {
      const axes = Array.from({ length: rank }, (_, i) => i + 2);
      return ctx.op('ReduceMax', [x.channelsFirst.name], { axes, keepdims: 0 }, [channels]);
    }
    const axes = Array.from({ length: rank }, (_, i) => i + 1);
    return ctx.op('ReduceMax', [x.name], { axes, keepdims: 0 }, [channels]);
  };
}

/** The pooling lowerers of this file by Keras class name. */
export const POOLING_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['AveragePooling1D', averagePooling(1)],
  ['AveragePooling2D', averagePooling(2)],
  ['GlobalMaxPooling1D', globalMaxPooling(1)],
  ['GlobalMaxPooling2D', globalMaxPooling(2)],
];
