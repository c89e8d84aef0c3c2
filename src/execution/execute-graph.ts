/**
 * Runs a tfjs LayersModel (Sequential, functional or nested) layer by layer with the ops of `layer-ops.ts`,
 * so that the adapter controls softmax, dropout and gradient rules. Synchronous and differentiable.
 */
import * as tf from '@tensorflow/tfjs';
import { ExecutionContext, layerOp } from './layer-ops.js';
import { withInputGradient } from './input-gradient.js';

type Symbolic = tf.SymbolicTensor;

/** Gradient rule applied to every ReLU during one execution. */
export type ReluRule = 'plain' | 'guided';

/** How one execution behaves. */
export interface ExecutionSettings {
  reluRule: ReluRule;
  /** When set, Dropout layers are active and draw their masks from this seed source. */
  dropoutSeed: (() => number) | null;
  /** When true, each Dropout mask is drawn once for the whole batch (shape `[1, ...]`) and broadcast over its rows. */
  shareDropoutMask?: boolean;
  /** For each output index, whether its final softmax is removed (logits). */
  stripFinalSoftmax: boolean[];
}

/** ReLU whose gradient passes only positive upstream gradients where the forward input was positive (guided backprop). */
const guidedRelu = withInputGradient(
  (x: tf.Tensor) => tf.relu(x),
  (dy, x) => tf.mul(tf.mul(dy, tf.step(x)), tf.step(dy)),
);

/** Is the named activation a softmax? */
export function isSoftmaxActivation(name: unknown): boolean {
  return name === 'softmax';
}

/** Does this layer end in a softmax (a Softmax layer, an Activation('softmax'), or a softmax activation)? */
export function layerEndsInSoftmax(layer: tf.layers.Layer): boolean {
  const className = layer.getClassName();
  if (className === 'Softmax') return true;
  const config = layer.getConfig() as Record<string, unknown>;
  return isSoftmaxActivation(config.activation);
}

function makeContext(settings: ExecutionSettings, applyLayer: ExecutionContext['apply'], keepSoftmax = true): ExecutionContext {
  const ctx: ExecutionContext = {
    apply: applyLayer,
    relu: (x) => (settings.reluRule === 'guided' ? guidedRelu(x) : tf.relu(x)),
    activation: (name, x) => {
      switch (name) {
        case 'linear':
        case undefined:
          return x;
        case 'relu':
          return ctx.relu(x);
        case 'softmax':
          return keepSoftmax ? tf.softmax(x) : x;
        case 'sigmoid':
          return tf.sigmoid(x);
        case 'tanh':
          return tf.tanh(x);
        case 'elu':
          return tf.elu(x);
        case 'selu':
          return tf.selu(x);
        case 'softplus':
          return tf.softplus(x);
        case 'relu6':
          return tf.clipByValue(ctx.relu(x), 0, 6);
        case 'swish':
          return tf.mul(x, tf.sigmoid(x));
        default:
          throw new Error(`Activation '${name}' is not supported by the explainable executor.`);
      }
    },
    dropout: (x, rate) => {
      if (settings.dropoutSeed === null || rate <= 0) return x;
      const shape = settings.shareDropoutMask === true ? [1, ...x.shape.slice(1)] : x.shape;
      const keep = tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', settings.dropoutSeed()), rate);
      return tf.div(tf.mul(x, tf.cast(keep, 'float32')), 1 - rate);
    },
  };
  return ctx;
}

/** Executes one layer on concrete tensors under `settings`. */
export function executeLayer(
  layer: tf.layers.Layer,
  inputs: tf.Tensor | tf.Tensor[],
  settings: ExecutionSettings,
  keepSoftmax = true,
): tf.Tensor | tf.Tensor[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (layer instanceof tf.LayersModel) {
    const outs = executeGraph(layer, list, { ...settings, stripFinalSoftmax: [] });
    return outs.length === 1 ? outs[0] : outs;
  }
  const ctx = makeContext(settings, (l, x) => executeLayer(l, x, settings, keepSoftmax), keepSoftmax);
  const op = layerOp(layer.getClassName());
  if (op !== undefined) return op(layer, list, ctx);
  return layer.apply(list.length === 1 ? list[0] : list, { training: false }) as tf.Tensor | tf.Tensor[];
}

/** Executes every output of `model` on `inputs` (one tensor per model input). */
export function executeGraph(model: tf.LayersModel, inputs: tf.Tensor[], settings: ExecutionSettings): tf.Tensor[] {
  const memo = new Map<number, tf.Tensor>();
  model.inputs.forEach((symbolic, i) => memo.set(symbolic.id, inputs[i]));
  const evaluate = (symbolic: Symbolic, stripSoftmax: boolean): tf.Tensor => {
    const known = stripSoftmax ? undefined : memo.get(symbolic.id);
    if (known !== undefined) return known;
    const layer = symbolic.sourceLayer as tf.layers.Layer;
    const node = (layer as unknown as { inboundNodes: { inputTensors: Symbolic[] }[] }).inboundNodes[symbolic.nodeIndex];
    const className = layer.getClassName();
    const config = layer.getConfig() as Record<string, unknown>;
    if (stripSoftmax && (className === 'Softmax' || (className === 'Activation' && isSoftmaxActivation(config.activation)))) {
      return evaluate(node.inputTensors[0], false);
    }
    const args = node.inputTensors.map((t) => evaluate(t, false));
    const out = executeLayer(layer, args.length === 1 ? args[0] : args, settings, !stripSoftmax);
    const value = Array.isArray(out) ? out[symbolic.tensorIndex] : out;
    if (!stripSoftmax) memo.set(symbolic.id, value);
    return value;
  };
  return model.outputs.map((symbolic, i) => evaluate(symbolic, settings.stripFinalSoftmax[i] ?? false));
}
