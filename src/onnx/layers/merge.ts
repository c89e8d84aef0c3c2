/**
 * Lowerers of the Keras merge layers (Add, Multiply, Average, Maximum, Minimum, Concatenate; TensorFlow.js has no Subtract layer): residual
 * connections and branches of functional models, folded left in input order as TensorFlow.js does.
 */
import type * as tf from '@tensorflow/tfjs';
import { LayerLowerer, Value, layerConfig, layoutFree, unsupportedLayer } from '../lowering-context.js';

function sameShapes(layer: tf.layers.Layer, inputs: Value[]): number[] {
  const shape = inputs[0].shape;
  if (inputs.length < 2) throw unsupportedLayer(layer, 'a merge of fewer than two inputs');
  if (inputs.some((v) => v.shape.join(',') !== shape.join(',')))
    throw unsupportedLayer(
      layer,
      `inputs of different shapes (${inputs.map((v) => `[${v.shape.join(',')}]`).join(' ')})`,
    );
  return shape;
}

/** Folds the inputs left with the binary op `opType`. */
function fold(opType: string): LayerLowerer {
  return (layer, inputs, ctx) => {
    sameShapes(layer, inputs);
    return layoutFree(ctx, inputs, (vs) =>
      vs.slice(1).reduce((acc, v) => ctx.op(opType, [acc.name, v.name], {}, acc.shape), vs[0]),
    );
  };
}

const average: LayerLowerer = (layer, inputs, ctx) => {
  sameShapes(layer, inputs);
  return layoutFree(ctx, inputs, (vs) => {
    const sum = vs.slice(1).reduce((acc, v) => ctx.op('Add', [acc.name, v.name], {}, acc.shape), vs[0]);
    return ctx.op('Mul', [sum.name, ctx.graph.scalar(1 / vs.length)], {}, sum.shape);
  });
};

const concatenate: LayerLowerer = (layer, inputs, ctx) => {
  const rank = inputs[0].shape.length + 1;
  const configured = Number(layerConfig(layer).axis ?? -1);
  const axis = configured < 0 ? rank + configured : configured;
  if (axis < 1 || axis >= rank || inputs.some((v) => v.shape.length + 1 !== rank))
    throw unsupportedLayer(
      layer,
      `concatenation along axis ${configured} of inputs of different ranks or the batch axis`,
    );
  const shape = inputs[0].shape.slice();
  shape[axis - 1] = inputs.reduce((n, v) => n + v.shape[axis - 1], 0);
  const others = (v: Value) => v.shape.filter((_, i) => i !== axis - 1).join(',');
  if (inputs.some((v) => others(v) !== others(inputs[0])))
    throw unsupportedLayer(layer, 'inputs that differ outside the concatenation axis');
  return ctx.op(
    'Concat',
    inputs.map((v) => v.name),
    { axis },
    shape,
  );
};

/** The merge lowerers by Keras class name. */
export const MERGE_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['Add', fold('Add')],
  ['Multiply', fold('Mul')],
  ['Average', average],
  ['Maximum', fold('Max')],
  ['Minimum', fold('Min')],
  ['Concatenate', concatenate],
];
