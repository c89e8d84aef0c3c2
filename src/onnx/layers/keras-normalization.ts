/**
 * Keras's preprocessing `Normalization` (the loader's TensorFlow.js layer, `src/models/keras-normalization.ts`)
 * lowered to ONNX as its `call` computes it: (x − mean) / max(√variance, ε), mean and divisor fixed constants
 * broadcast over the input row, so the ops are a Sub and a Div whose input gradients the registry has.
 */
import type { Normalization } from '../../models/keras-normalization.js';
import { LayerLowerer, onlyInput } from '../lowering-context.js';

const normalization: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const { mean, divisor, shape } = (layer as Normalization).broadcastStatistics();
  const centred = ctx.op('Sub', [x.name, ctx.graph.floats(`${layer.name}_mean`, mean, shape)], {}, x.shape);
  return ctx.op('Div', [centred.name, ctx.graph.floats(`${layer.name}_divisor`, divisor, shape)], {}, x.shape);
};

/** The Normalization lowerer by Keras class name (LRP's ε reaches its Div as the TF.js composite's reaches the layer). */
export const KERAS_NORMALIZATION_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['Normalization', normalization],
];
