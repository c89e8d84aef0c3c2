/**
 * Lowers a loaded Keras model (Sequential or functional, nested models, several inputs) into an {@link OnnxGraph},
 * walking each output's inbound nodes with the TensorFlow.js executor's own walk (`walkGraph`,
 * src/execution/layer-walk.ts) — the same order, so Monte-Carlo dropout's keep-masks are drawn for the same layers in
 * the same order — and lowering each layer with its registered lowerer. It records which value is each layer's output
 * (by layer name), for graphs that also give a layer's activations and their gradient (Grad-CAM).
 */
import * as tf from '@tensorflow/tfjs';
import { walkGraph } from '../execution/layer-walk.js';
import type { OnnxGraph } from './onnx-graph.js';
import { layerLowering } from './layer-lowering.js';
import { LoweringContext, Value, layoutFree, unsupportedLayer } from './lowering-context.js';
import { elementwiseActivation, markActivationSite } from './layers/activations.js';
import { RESCALED_ACTIVATIONS } from '../rules/deeplift-rescale.js';

/** A keep-mask input of a graph lowered with Monte-Carlo dropout: `[batch, ...shape]`, channels last. */
export interface DropoutInput {
  name: string;
  rate: number;
  shape: number[];
}

interface PassState {
  graph: OnnxGraph;
  /** Dropout layers take fed keep-masks. */
  dropout: boolean;
  /** Inside a layer TensorFlow.js runs with `layer.apply` (no rules, no dropout). */
  plain: boolean;
  dropouts: DropoutInput[];
  /** The output of each layer the graph walk lowered (nested models' layers too), by layer name; see {@link LayerOutput}. */
  layerOutputs: Map<string, LayerOutput>;
}

/**
 * A layer's output in a lowered graph, as the TensorFlow.js executor's layer hook sees it (the layer's output after
 * its activation; logits for a final layer whose softmax the pass drops), and how many times the walk applied the
 * layer (a shared layer has several outputs: its activations are not one value).
 */
export interface LayerOutput {
  value: Value;
  calls: number;
  /** The number of outputs of the layer (the hook reads layers of one). */
  outputs: number;
  /** The layer gives its input's value itself (an identity: other ops may read that value too). */
  identity: boolean;
}

function activation(
  ctx: LoweringContext,
  layer: tf.layers.Layer,
  name: unknown,
  x: Value,
  keepSoftmax: boolean,
): Value {
  if (name === 'softmax' || name === undefined || name === null || name === 'linear')
    return elementwiseActivation(ctx, layer, name, x, keepSoftmax);
  const y = layoutFree(ctx, [x], ([v]) => elementwiseActivation(ctx, layer, name, v, keepSoftmax));
  // one rule site per nonlinearity, as the executor's `ctx.activation` (ReLU's rules go by its op)
  if ((RESCALED_ACTIVATIONS as readonly unknown[]).includes(name)) markActivationSite(ctx, y, x);
  return y;
}

function context(state: PassState, keepSoftmax: boolean): LoweringContext {
  const g = state.graph;
  const ctx: LoweringContext = {
    graph: g,
    op: (opType, inputs, attributes, shape) => {
      const name = g.op(opType, inputs, attributes);
      g.setShape(name, shape);
      return { name, shape };
    },
    apply: (layer, inputs) => recorded(state, layer, inputs, lowerLayer(state, layer, inputs, true)),
    applyPlain: (layer, inputs) => {
      const outer = state.plain;
      state.plain = true;
      g.ruleExempt = true;
      try {
        return lowerLayer(state, layer, inputs, true);
      } finally {
        state.plain = outer;
        g.ruleExempt = outer;
      }
    },
    activation: (layer, name, x) => activation(ctx, layer, name, x, keepSoftmax),
    dropout: (_layer, x, rate) => {
      if (!state.dropout || state.plain || rate <= 0) return x;
      // TensorFlow.js's order: (x · keep) / (1 − rate)
      const keep = g.input(`keep_${state.dropouts.length}`, x.shape);
      state.dropouts.push({ name: keep, rate, shape: x.shape });
      const kept = ctx.op('Mul', [x.name, keep], {}, x.shape);
      return ctx.op('Div', [kept.name, g.scalar(1 - rate)], {}, x.shape);
    },
  };
  return ctx;
}

function lowerLayer(state: PassState, layer: tf.layers.Layer, inputs: Value[], keepSoftmax: boolean): Value[] {
  if (layer instanceof tf.LayersModel) return lowerGraph(state, layer, inputs, []);
  const lowerer = layerLowering(layer.getClassName());
  if (lowerer === undefined) throw unsupportedLayer(layer, 'no ONNX lowering for this layer class');
  const out = lowerer(layer, inputs, context(state, keepSoftmax));
  return Array.isArray(out) ? out : [out];
}

/**
 * Records `out` as an output of `layer` (a layer of the graph walk or a composite's part lowered with `apply`, the
 * layers whose output the TensorFlow.js executor's layer hook reads) and returns it.
 */
function recorded(state: PassState, layer: tf.layers.Layer, inputs: Value[], out: Value[]): Value[] {
  const known = state.layerOutputs.get(layer.name);
  state.layerOutputs.set(layer.name, {
    value: out[0],
    calls: (known?.calls ?? 0) + 1,
    outputs: out.length,
    identity: inputs.some((x) => x.name === out[0].name),
  });
  return out;
}

/** The values of `model`'s outputs on `inputs` (one per model input); `stripFinalSoftmax[i]`: output i as logits. */
function lowerGraph(
  state: PassState,
  model: tf.LayersModel,
  inputs: Value[],
  stripFinalSoftmax: readonly boolean[],
  outputs: readonly number[] = model.outputs.map((_, i) => i),
): Value[] {
  return walkGraph<Value>(
    model,
    inputs,
    stripFinalSoftmax,
    (layer, args, keepSoftmax) => recorded(state, layer, args, lowerLayer(state, layer, args, keepSoftmax)),
    outputs,
  );
}

/**
 * Lowers head `outputIndex` of `model` on the graph values `inputs` (one per model input). With `dropout`, every
 * Dropout layer with a rate above 0 adds a keep-mask input (returned in the order the executor draws them).
 */
export function lowerModel(
  graph: OnnxGraph,
  model: tf.LayersModel,
  inputs: Value[],
  options: { outputIndex: number; stripFinalSoftmax: boolean; dropout: boolean },
): { output: Value; dropouts: DropoutInput[]; layerOutputs: ReadonlyMap<string, LayerOutput> } {
  const state: PassState = { graph, dropout: options.dropout, plain: false, dropouts: [], layerOutputs: new Map() };
  const strip = model.outputs.map((_, i) => i === options.outputIndex && options.stripFinalSoftmax);
  const [output] = lowerGraph(state, model, inputs, strip, [options.outputIndex]);
  return { output, dropouts: state.dropouts, layerOutputs: state.layerOutputs };
}
