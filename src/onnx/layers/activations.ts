/**
 * The Keras activations (by name, inside Dense, convolutions and Activation layers) and the activation layers
 * (LeakyReLU, PReLU, ELU, and the loader's KerasELU/KerasReLU for the options TensorFlow.js lacks), lowered to ONNX
 * primitives that compute what the TensorFlow.js path computes: the executor's `applyActivation`
 * (`src/execution/activations.ts`) for named activations, the layers' own `call` for the layers (rule-exempt, as
 * that path runs them).
 */
import type * as tf from '@tensorflow/tfjs';
import {
  LayerLowerer,
  LoweringContext,
  Value,
  layerConfig,
  layoutFree,
  onlyInput,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';
import { plainLayer } from './plain-layer.js';

/**
 * Activation `name` on `x` in whatever layout `x` is (only the softmax needs channels last). A softmax is kept only
 * when `keepSoftmax` (the executor drops a final softmax for logits).
 */
export function elementwiseActivation(
  ctx: LoweringContext,
  layer: tf.layers.Layer,
  name: unknown,
  x: Value,
  keepSoftmax: boolean,
): Value {
  const unary = (opType: string, attributes = {}): Value => ctx.op(opType, [x.name], attributes, x.shape);
  switch (name) {
    case undefined:
    case null:
    case 'linear':
      return x;
    case 'relu':
      return unary('Relu');
    case 'softmax':
      return keepSoftmax ? unary('Softmax', { axis: -1 }) : x;
    case 'sigmoid':
      return unary('Sigmoid');
    case 'tanh':
      return unary('Tanh');
    case 'elu':
      return unary('Elu', { alpha: 1 });
    case 'selu':
      // ONNX's default α and γ are SELU's constants (TensorFlow.js: scale·x, or scale·α·(eˣ − 1))
      return unary('Selu');
    case 'softplus':
      return unary('Softplus');
    case 'relu6': {
      const relu = unary('Relu');
      return ctx.op('Clip', [relu.name, ctx.graph.scalar(0), ctx.graph.scalar(6)], {}, x.shape);
    }
    case 'swish':
      return ctx.op('Mul', [x.name, unary('Sigmoid').name], {}, x.shape);
    case 'gelu': {
      // the executor's exact form, op for op: (x · 0.5) · (1 + erf(x · √½))
      const half = ctx.op('Mul', [x.name, ctx.graph.scalar(0.5)], {}, x.shape);
      const scaled = ctx.op('Mul', [x.name, ctx.graph.scalar(Math.SQRT1_2)], {}, x.shape);
      const erf = ctx.op('Erf', [scaled.name], {}, x.shape);
      const onePlus = ctx.op('Add', [erf.name, ctx.graph.scalar(1)], {}, x.shape);
      return ctx.op('Mul', [half.name, onePlus.name], {}, x.shape);
    }
    default:
      throw unsupportedLayer(layer, `activation '${String(name)}' has no ONNX lowering`);
  }
}

/**
 * Marks `y` as one elementwise activation of `x` at a rule site (`GraphNode.activationSite`), in both layouts where
 * they have both (the next ops may read either); nothing inside rule-exempt ops.
 */
export function markActivationSite(ctx: LoweringContext, y: Value, x: Value): void {
  ctx.graph.markActivationSite(y.name, x.name);
  if (y.channelsFirst !== undefined && x.channelsFirst !== undefined)
    ctx.graph.markActivationSite(y.channelsFirst.name, x.channelsFirst.name);
}

/** TensorFlow.js's LeakyReLU: x for x > 0, α·x otherwise (default α 0.3). */
const leakyReLU: LayerLowerer = (layer, inputs, ctx) => {
  const alpha = Number(layerConfig(layer).alpha ?? 0.3);
  return layoutFree(ctx, [onlyInput(layer, inputs)], ([x]) => ctx.op('LeakyRelu', [x.name], { alpha }, x.shape));
};

/** TensorFlow.js's ELU layer (α 1; the loader makes other α a KerasELU). */
const elu: LayerLowerer = (layer, inputs, ctx) => {
  const alpha = Number(layerConfig(layer).alpha ?? 1);
  if (alpha !== 1) throw unsupportedLayer(layer, `an ELU with alpha ${alpha} (TensorFlow.js runs only alpha 1)`);
  return layoutFree(ctx, [onlyInput(layer, inputs)], ([x]) => ctx.op('Elu', [x.name], { alpha: 1 }, x.shape));
};

/** PReLU: x for x > 0, α·x otherwise, with the learned α broadcast over its shared axes (channels last). */
const pReLU: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const alpha = weightValues(layer, 'alpha');
  if (alpha === null) throw unsupportedLayer(layer, 'it has no alpha');
  const slope = ctx.graph.floats(`${layer.name}_alpha`, alpha.data, alpha.shape);
  return ctx.op('PRelu', [x.name, slope], {}, x.shape);
};

/** KerasELU as its `call` computes it: relu(x) + α·(exp(min(x, 0)) − 1). */
const kerasELU: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const alpha = Number(layerConfig(layer).alpha ?? 1);
  const relu = ctx.op('Relu', [x.name], {}, x.shape);
  const low = ctx.op('Min', [x.name, ctx.graph.scalar(0)], {}, x.shape);
  const exp = ctx.op('Exp', [low.name], {}, x.shape);
  const less = ctx.op('Sub', [exp.name, ctx.graph.scalar(1)], {}, x.shape);
  const scaled = ctx.op('Mul', [less.name, ctx.graph.scalar(alpha)], {}, x.shape);
  return ctx.op('Add', [relu.name, scaled.name], {}, x.shape);
};

/**
 * KerasReLU as its `call` computes it: x·[x > threshold] through relu (or clipped to [0, max_value]), minus
 * negative_slope·relu(threshold − x); the mask carries no gradient, as `tf.step`'s.
 */
const kerasReLU: LayerLowerer = (layer, inputs, ctx) => {
  const x = onlyInput(layer, inputs);
  const c = layerConfig(layer);
  const threshold = Number(c.threshold ?? 0);
  const slope = Number(c.negativeSlope ?? 0);
  const mask = ctx.op('Greater', [x.name, ctx.graph.scalar(threshold)], {}, x.shape);
  const above = ctx.op('Where', [mask.name, x.name, ctx.graph.scalar(0)], {}, x.shape);
  const positive =
    c.maxValue == null
      ? ctx.op('Relu', [above.name], {}, x.shape)
      : ctx.op('Clip', [above.name, ctx.graph.scalar(0), ctx.graph.scalar(Number(c.maxValue))], {}, x.shape);
  if (slope === 0) return positive;
  const below = ctx.op('Sub', [ctx.graph.scalar(threshold), x.name], {}, x.shape);
  const leak = ctx.op('Mul', [ctx.op('Relu', [below.name], {}, x.shape).name, ctx.graph.scalar(slope)], {}, x.shape);
  return ctx.op('Sub', [positive.name, leak.name], {}, x.shape);
};

/**
 * `lowerer`'s ops rule-exempt, its output one activation site of its input (TensorFlow.js runs the layer by its own
 * `call`, and rules on activation layers, DeepLIFT's rescale, wrap the whole layer).
 */
function activationLayer(lowerer: LayerLowerer): LayerLowerer {
  const plain = plainLayer(lowerer);
  return (layer, inputs, ctx) => {
    const y = plain(layer, inputs, ctx);
    if (!Array.isArray(y)) markActivationSite(ctx, y, onlyInput(layer, inputs));
    return y;
  };
}

/** The activation-layer lowerers by Keras class name (the layers of `RESCALED_LAYERS`, src/rules/deeplift-rescale.ts). */
export const ACTIVATION_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['LeakyReLU', activationLayer(leakyReLU)],
  ['ELU', activationLayer(elu)],
  ['PReLU', activationLayer(pReLU)],
  ['KerasELU', activationLayer(kerasELU)],
  ['KerasReLU', activationLayer(kerasReLU)],
];
