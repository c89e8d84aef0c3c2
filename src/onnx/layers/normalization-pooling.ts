/**
 * Lowerers of BatchNormalization (inference: `x · scale + shift` with the executor's own scale and shift) and of
 * pooling: MaxPooling1D/2D through channels-first `MaxPool`, GlobalAveragePooling1D/2D as `ReduceMean`.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormAxis, batchNormScaleShift } from '../../execution/batch-norm-folding.js';
import { LayerLowerer, Value, channelsFirst, layoutFree, onlyInput, unsupportedLayer } from '../lowering-context.js';
import { windowPooling } from './pooling.js';

const batchNormalization: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const axis = batchNormAxis(layer, x.shape.length + 1) - 1;
  const { scale, shift } = batchNormScaleShift(layer);
  let values: Float32Array[];
  try {
    values = [scale.dataSync() as Float32Array, shift.dataSync() as Float32Array].map((v) => v.slice());
  } finally {
    tf.dispose([scale, shift]);
  }
  const normalise = (v: Value, dims: number[]): Value => {
    const scaled = ctx.op('Mul', [v.name, ctx.graph.floats(`${layer.name}_scale`, values[0], dims)], {}, v.shape);
    return ctx.op('Add', [scaled.name, ctx.graph.floats(`${layer.name}_shift`, values[1], dims)], {}, v.shape);
  };
  const lastAxis = x.shape.map((d, i) => (i === axis ? d : 1)).slice(axis);
  if (axis !== x.shape.length - 1) return normalise(x, lastAxis);
  // channels last: per channel of the last axis; channels first: [c, 1, ...]
  // channels first: ONNX BatchNormalization with the executor's scale and shift as γ and β (mean 0, variance 1, ε 0:
  // the same x · scale + shift), which onnxruntime folds into the convolution before it
  // spatial data goes channels first (the convolutions that usually follow read it so)
  const input =
    x.shape.length > 1 && x.channelsFirst === undefined ? { ...x, channelsFirst: channelsFirst(ctx, x) } : x;
  return layoutFree(
    ctx,
    [input],
    ([v]) => normalise(v, lastAxis),
    ([v]) => {
      const c = v.shape[0];
      const params = [values[0], values[1], new Float32Array(c), new Float32Array(c).fill(1)].map((data, i) =>
        ctx.graph.floats(`${layer.name}_${['scale', 'shift', 'zero', 'one'][i]}`, data, [c]),
      );
      return ctx.op('BatchNormalization', [v.name, ...params], { epsilon: 0 }, v.shape);
    },
  );
};

/** MaxPool over windows (see {@link windowPooling}). */
const maxPooling = (rank: 1 | 2): LayerLowerer => windowPooling(rank, 'MaxPool');

function globalAveragePooling(rank: 1 | 2): LayerLowerer {
  return (layer, inputs, ctx) => {
    const x = onlyInput(layer, inputs);
    if (x.shape.length !== rank + 1)
      throw unsupportedLayer(layer, `input [${x.shape.join(',')}] is not rank ${rank + 1}`);
    if (x.channelsFirst !== undefined) {
      const c = x.shape[rank];
      const pooled = ctx.op('GlobalAveragePool', [x.channelsFirst.name], {}, [c, ...Array<number>(rank).fill(1)]);
      return ctx.op('Reshape', [pooled.name, ctx.graph.int64s([-1, c])], {}, [c]);
    }
    const axes = Array.from({ length: rank }, (_, i) => i + 1);
    return ctx.op('ReduceMean', [x.name], { axes, keepdims: 0 }, [x.shape[rank]]);
  };
}

/** The normalisation and pooling lowerers by Keras class name. */
export const NORMALIZATION_POOLING_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['BatchNormalization', batchNormalization],
  ['MaxPooling1D', maxPooling(1)],
  ['MaxPooling2D', maxPooling(2)],
  ['GlobalAveragePooling1D', globalAveragePooling(1)],
  ['GlobalAveragePooling2D', globalAveragePooling(2)],
];
