/**
 * Walks the layers a model executes: into nested models and composite layers (those exposing `sublayers()`), and
 * through a functional graph's inbound nodes in the one order every executor of the project uses.
 */
import * as tf from '@tensorflow/tfjs';
import { isSoftmaxActivation } from './activations.js';

/** The sublayers of a nested model or composite layer, or null for a leaf layer. */
function childLayers(layer: tf.layers.Layer): tf.layers.Layer[] | null {
  if (layer instanceof tf.LayersModel) return layer.layers as tf.layers.Layer[];
  const composite = layer as unknown as { sublayers?: () => tf.layers.Layer[] };
  return typeof composite.sublayers === 'function' ? composite.sublayers() : null;
}

/** Every leaf layer of `model`, depth-first in the order the model lists them (execution order for chains). */
export function leafLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  const visit = (layers: readonly tf.layers.Layer[]): void => {
    for (const layer of layers) {
      const children = childLayers(layer);
      if (children === null) out.push(layer);
      else visit(children);
    }
  };
  visit(model.layers as tf.layers.Layer[]);
  return out;
}

/**
 * How {@link walkGraph} runs one layer: on its evaluated inputs (one per inbound tensor), keeping or dropping a final
 * softmax (`keepSoftmax` false only for the layer whose softmax is stripped), giving one value or one per output.
 */
export type ApplyLayer<V> = (layer: tf.layers.Layer, args: V[], keepSoftmax: boolean) => V | V[];

/**
 * Evaluates outputs `outputs` of `model` on `inputs` (one value per model input) by walking each output's inbound
 * nodes depth-first, inputs in order, each symbolic tensor once — the order in which Monte-Carlo dropout draws its
 * keep-masks, so every executor that walks with it (TensorFlow.js's `executeGraph`, the ONNX lowering) draws them for
 * the same layers in the same order. `stripFinalSoftmax[i]`: output i as logits (a final Softmax layer or
 * Activation('softmax') is skipped; a softmax activation of the last layer is dropped by `apply`).
 */
export function walkGraph<V>(
  model: tf.LayersModel,
  inputs: readonly V[],
  stripFinalSoftmax: readonly boolean[],
  apply: ApplyLayer<V>,
  outputs: readonly number[] = model.outputs.map((_, i) => i),
): V[] {
  const memo = new Map<number, V>();
  model.inputs.forEach((symbolic, i) => memo.set(symbolic.id, inputs[i]));
  const evaluate = (symbolic: tf.SymbolicTensor, stripSoftmax: boolean): V => {
    const known = stripSoftmax ? undefined : memo.get(symbolic.id);
    if (known !== undefined) return known;
    const layer = symbolic.sourceLayer as tf.layers.Layer;
    const node = (layer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[] }[] }).inboundNodes[
      symbolic.nodeIndex
    ];
    const className = layer.getClassName();
    // The config is built only where a softmax may be stripped: getConfig() is too costly for every node of every pass.
    if (
      stripSoftmax &&
      (className === 'Softmax' ||
        (className === 'Activation' && isSoftmaxActivation((layer.getConfig() as Record<string, unknown>).activation)))
    )
      return evaluate(node.inputTensors[0], false);
    const args = node.inputTensors.map((t) => evaluate(t, false));
    const out = apply(layer, args, !stripSoftmax);
    const value = Array.isArray(out) ? (out as V[])[symbolic.tensorIndex] : (out as V);
    if (!stripSoftmax) memo.set(symbolic.id, value);
    return value;
  };
  return outputs.map((i) => evaluate(model.outputs[i], stripFinalSoftmax[i] ?? false));
}
