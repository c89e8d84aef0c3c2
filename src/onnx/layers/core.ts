/**
 * Lowerers of the core Keras layers: InputLayer, Dense, Activation, ReLU, Softmax, Dropout, Flatten, Reshape, Permute,
 * RepeatVector, Rescaling — each as ONNX primitives over channels-last values, as the TensorFlow.js layer ops compute them.
 */
import type * as tf from '@tensorflow/tfjs';
import {
  LayerLowerer,
  Value,
  layerConfig,
  onlyInput,
  sizeOf,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';

const passThrough: LayerLowerer = (layer, inputs) => onlyInput(layer, inputs);

/** `x · W (+ b)` over the last axis of an input of any rank, then the layer's activation. */
const dense: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const kernel = weightValues(layer, 'kernel');
  if (kernel === null) throw unsupportedLayer(layer, 'it has no kernel');
  const [inUnits, units] = kernel.shape;
  if (x.shape[x.shape.length - 1] !== inUnits)
    throw unsupportedLayer(layer, `its kernel takes ${inUnits} features but the input is [${x.shape.join(',')}]`);
  const outShape = [...x.shape.slice(0, -1), units];
  let y = ctx.op('MatMul', [x.name, ctx.graph.floats(`${layer.name}_kernel`, kernel.data, kernel.shape)], {}, outShape);
  const bias = layerConfig(layer).useBias === false ? null : weightValues(layer, 'bias');
  if (bias !== null)
    y = ctx.op('Add', [y.name, ctx.graph.floats(`${layer.name}_bias`, bias.data, [units])], {}, outShape);
  return ctx.activation(layer, layerConfig(layer).activation, y);
};

const reLU: LayerLowerer = (layer, inputs, ctx) => {
  const c = layerConfig(layer);
  if ((c.threshold ?? 0) !== 0 || (c.negativeSlope ?? 0) !== 0)
    throw unsupportedLayer(layer, 'only the plain ReLU and ReLU with a max value (no threshold or slope)');
  const x = onlyInput(layer, inputs);
  const y = ctx.activation(layer, 'relu', x);
  if (c.maxValue == null) return y;
  const clip = [ctx.graph.scalar(0), ctx.graph.scalar(c.maxValue as number)];
  return ctx.op('Clip', [y.name, ...clip], {}, y.shape);
};

const softmax: LayerLowerer = (layer, inputs, ctx) => {
  const configured = layerConfig(layer).axis;
  const x = onlyInput(layer, inputs);
  const rank = x.shape.length + 1;
  const axis = Array.isArray(configured) && configured.length === 1 ? configured[0] : (configured ?? -1);
  if (typeof axis !== 'number' || (axis < 0 ? rank + axis : axis) !== rank - 1)
    throw unsupportedLayer(layer, `a softmax over axis ${JSON.stringify(configured)} (only the last axis)`);
  return ctx.op('Softmax', [x.name], { axis: -1 }, x.shape);
};

const dropout: LayerLowerer = (layer, inputs, ctx) =>
  ctx.dropout(layer, onlyInput(layer, inputs), Number(layerConfig(layer).rate ?? 0));

const flatten: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  if (x.shape.length === 1) return x;
  return ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, sizeOf(x.shape)])], {}, [sizeOf(x.shape)]);
};

/** `targetShape` with its one -1 resolved against `size` elements. */
function resolveShape(layer: tf.layers.Layer, target: number[], size: number): number[] {
  const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const shape = target.map((d) => (d === -1 ? size / known : d));
  if (sizeOf(shape) !== size || shape.some((d) => !Number.isInteger(d) || d < 1))
    throw unsupportedLayer(layer, `target shape [${target.join(',')}] does not hold ${size} values`);
  return shape;
}

const reshape: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const shape = resolveShape(layer, layerConfig(layer).targetShape as number[], sizeOf(x.shape));
  return ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, ...shape])], {}, shape);
};

const permute: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const dims = layerConfig(layer).dims as number[];
  return ctx.op(
    'Transpose',
    [x.name],
    { perm: [0, ...dims] },
    dims.map((d) => x.shape[d - 1]),
  );
};

/** `[b, f]` → `[b, n, f]`: n copies of the row, concatenated along a new axis. */
const repeatVector: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  if (x.shape.length !== 1) throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not flat`);
  const n = layerConfig(layer).n as number;
  const row = ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, 1, x.shape[0]])], {}, [1, x.shape[0]]);
  return ctx.op('Concat', Array<string>(n).fill(row.name), { axis: 1 }, [n, x.shape[0]]);
};

/** `x · scale + offset` (Keras Rescaling, as TensorFlow.js computes it; scalar factors). */
const rescaling: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const { scale, offset } = layerConfig(layer);
  if (typeof scale !== 'number' || !(offset === undefined || typeof offset === 'number'))
    throw unsupportedLayer(layer, 'only scalar scale and offset');
  const scaled = ctx.op('Mul', [x.name, ctx.graph.scalar(scale)], {}, x.shape);
  return ctx.op('Add', [scaled.name, ctx.graph.scalar(offset ?? 0)], {}, x.shape);
};

const activation: LayerLowerer = (layer, inputs, ctx): Value =>
  ctx.activation(layer, layerConfig(layer).activation, onlyInput(layer, inputs));

/** The core lowerers by Keras class name. */
export const CORE_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['InputLayer', passThrough],
  ['Dense', dense],
  ['Activation', activation],
  ['ReLU', reLU],
  ['Softmax', softmax],
  ['Dropout', dropout],
  ['SpatialDropout1D', dropout],
  ['Flatten', flatten],
  ['KerasFlatten', flatten],
  ['Reshape', reshape],
  ['Permute', permute],
  ['RepeatVector', repeatVector],
  ['Rescaling', rescaling],
];
