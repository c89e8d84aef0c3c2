/**
 * Keras's `UpSampling1D` (the loader's TensorFlow.js layer, `src/models/keras-upsampling1d.ts`) lowered to ONNX as
 * its `call` computes it: each time step repeated `size` times (Reshape to `[time, 1, features]`, Expand, Reshape).
 */
import { LayerLowerer, layerConfig, onlyInput, unsupportedLayer } from '../lowering-context.js';
import { plainLayer } from './plain-layer.js';

const upSampling1d: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  if (x.shape.length !== 2) throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not [time, features]`);
  const size = Number(layerConfig(layer).size ?? 2);
  const [time, features] = x.shape;
  const spread = ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, time, 1, features])], {}, [time, 1, features]);
  const repeated = ctx.op('Expand', [spread.name, ctx.graph.int64s([1, 1, size, 1])], {}, [time, size, features]);
  const shape = [time * size, features];
  return ctx.op('Reshape', [repeated.name, ctx.graph.int64s([-1, ...shape])], {}, shape);
};

/** The UpSampling1D lowerer by Keras class name (TensorFlow.js runs the layer with its own `call`). */
export const KERAS_UPSAMPLING1D_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['UpSampling1D', plainLayer(upSampling1d)],
];
