/**
 * Runs a tfjs LayersModel (Sequential, functional or nested) layer by layer with the ops of `layer-ops.ts`, under the
 * execution settings of one pass (rules, dropout, layer hook), so that the adapter controls softmax, dropout and
 * gradients. Synchronous and differentiable.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { layerOp } from './layer-ops.js';
import { ConvolutionWeights, ExecutionContext, layerBias, layerWeight } from './layer-op.js';
import type { FastPaths, LayerHook } from './execution-settings.js';
import type { KernelCache } from './kernel-cache.js';
import { foldBatchNorm } from './batch-norm-folding.js';
import type { DropoutKeepMask } from './dropout-masks.js';
import { Forward, PropagationRule, RuleSite, ruleForActivation, ruleForLayer } from './propagation-rule.js';
import { applyActivation, isSoftmaxActivation } from './activations.js';
import { walkGraph } from './layer-walk.js';

/** The state of one pass (built by `ExplainableModel.run` from its execution settings). */
export interface PassState {
  rules?: readonly PropagationRule[];
  /** When set, Dropout layers are active and draw their keep-masks from this source. */
  dropoutKeep: DropoutKeepMask | null;
  layerHook?: LayerHook;
  /** How many times the layer hook was called in this pass. */
  hookCalls: number;
  /** The fast paths of this pass, every switch resolved. */
  fastPaths: Required<FastPaths>;
  /** conv → batch norm pairs folded in this pass. */
  folds: Map<tf.layers.Layer, tf.layers.Layer>;
  /** The batch norms of `folds`: they pass their input through. */
  foldedNorms: Set<tf.layers.Layer>;
  /** The model's cached fast-path weights, used when `fastPaths.kernelCache` (null: computed in the pass). */
  kernels: KernelCache | null;
}

/** The weights `layer` (a Conv1D/Conv2D) uses in the pass `state`; computed here when not cached. */
function convolutionWeights(state: PassState, layer: tf.layers.Layer): ConvolutionWeights {
  const norm = state.folds.get(layer);
  const cached = state.fastPaths.kernelCache ? state.kernels?.weights(layer, norm !== undefined) : undefined;
  if (cached !== undefined) return cached;
  const kernel = layerWeight(layer, 'kernel');
  if (kernel === undefined)
    throw new WingbeatsError('UNSUPPORTED_MODEL', `${layer.getClassName()} layer '${layer.name}' has no kernel.`);
  const bias = layerBias(layer);
  if (norm !== undefined) return foldBatchNorm(kernel, bias, norm);
  return bias === undefined ? { kernel } : { kernel, bias };
}

/** Does this layer end in a softmax (a Softmax layer, an Activation('softmax'), or a softmax activation)? */
export function layerEndsInSoftmax(layer: tf.layers.Layer): boolean {
  const className = layer.getClassName();
  if (className === 'Softmax') return true;
  const config = layer.getConfig() as Record<string, unknown>;
  return isSoftmaxActivation(config.activation);
}

function site(kind: RuleSite['kind'], layer: tf.layers.Layer, id: string, activation?: string): RuleSite {
  return {
    kind,
    layer,
    className: layer.getClassName(),
    id,
    ...(activation === undefined ? {} : { activation }),
    weight: (suffix) => layerWeight(layer, suffix),
  };
}

function makeContext(state: PassState, layer: tf.layers.Layer, path: string, keepSoftmax: boolean): ExecutionContext {
  let activations = 0;
  const ctx: ExecutionContext = {
    apply: (l, x) => executeLayer(l, x, state, keepSoftmax, path),
    relu: (x) => ctx.activation('relu', x),
    activation: (name, x) => {
      const forward: Forward = (v) => applyActivation(name, v, ctx, keepSoftmax);
      const rule = ruleForActivation(state.rules, name);
      if (rule === undefined) return forward(x);
      return rule.wrap(forward, site('activation', layer, `${path}:${name}#${activations++}`, name))(x);
    },
    dropout: (x, rate) => {
      if (state.dropoutKeep === null || rate <= 0) return x;
      return tf.div(tf.mul(x, state.dropoutKeep(x.shape, rate)), 1 - rate);
    },
    fastPaths: state.fastPaths,
    convolutionWeights: (l) => convolutionWeights(state, l),
  };
  return ctx;
}

function runLayer(
  layer: tf.layers.Layer,
  list: tf.Tensor[],
  state: PassState,
  keepSoftmax: boolean,
  path: string,
): tf.Tensor | tf.Tensor[] {
  if (layer instanceof tf.LayersModel) {
    const outs = executeGraph(layer, list, state, [], path);
    return outs.length === 1 ? outs[0] : outs;
  }
  const ctx = makeContext(state, layer, path, keepSoftmax);
  const op = layerOp(layer.getClassName());
  if (op !== undefined) return op(layer, list, ctx);
  return layer.apply(list.length === 1 ? list[0] : list, { training: false }) as tf.Tensor | tf.Tensor[];
}

function single(value: tf.Tensor | tf.Tensor[], layer: tf.layers.Layer, what: string): tf.Tensor {
  if (!Array.isArray(value)) return value;
  if (value.length === 1) return value[0];
  throw new WingbeatsError(
    'UNSUPPORTED_MODEL',
    `${what} needs layer '${layer.name}' (${layer.getClassName()}) to have one input and one output, but it has ${value.length}.`,
  );
}

/** Executes one layer on concrete tensors under the pass `state` (`path`: names of the enclosing layers, for rule sites). */
export function executeLayer(
  layer: tf.layers.Layer,
  inputs: tf.Tensor | tf.Tensor[],
  state: PassState,
  keepSoftmax = true,
  parentPath = '',
): tf.Tensor | tf.Tensor[] {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  // A batch norm folded into the convolution before it: that convolution already applied it.
  if (state.foldedNorms.has(layer)) return single(list, layer, 'A folded batch norm');
  const path = parentPath === '' ? layer.name : `${parentPath}/${layer.name}`;
  const rule = ruleForLayer(state.rules, layer.getClassName());
  let out: tf.Tensor | tf.Tensor[];
  if (rule === undefined) {
    out = runLayer(layer, list, state, keepSoftmax, path);
  } else {
    const x = single(list, layer, `Rule '${rule.name}'`);
    const forward: Forward = (v) =>
      single(runLayer(layer, [v], state, keepSoftmax, path), layer, `Rule '${rule.name}'`);
    out = rule.wrap(forward, site('layer', layer, path))(x);
  }
  const hook = state.layerHook;
  if (hook !== undefined && hook.layer === layer.name) {
    state.hookCalls++;
    out = hook.hook(single(out, layer, 'A layer hook'));
  }
  return out;
}

/** Executes every output of `model` on `inputs` (one tensor per model input); `stripFinalSoftmax[i]`: output i as logits. */
export function executeGraph(
  model: tf.LayersModel,
  inputs: tf.Tensor[],
  state: PassState,
  stripFinalSoftmax: readonly boolean[],
  parentPath = '',
): tf.Tensor[] {
  return walkGraph<tf.Tensor>(model, inputs, stripFinalSoftmax, (layer, args, keepSoftmax) =>
    executeLayer(layer, args.length === 1 ? args[0] : args, state, keepSoftmax, parentPath),
  );
}
