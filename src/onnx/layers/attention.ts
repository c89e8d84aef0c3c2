/**
 * Lowerers of Keras's attention layers as `src/models/keras-attention-layers.ts` computes them on
 * `[batch, time, features]` inputs `[query, value(, key)]`: MultiHeadAttention (projections to heads, softmax of
 * Q·Kᵀ/√key_dim, weighted values, output projection), Attention (dot or concat scores) and AdditiveAttention. The
 * attention probabilities take a Monte-Carlo dropout keep-mask in the same order as the TensorFlow.js layer op draws
 * it. No rule reaches their ops on the TensorFlow.js path (its ops are plain), so they are rule-exempt here too.
 */
import type * as tf from '@tensorflow/tfjs';
import type { MultiHeadAttention } from '../../models/keras-attention-layers.js';
import {
  LayerLowerer,
  LoweringContext,
  Value,
  layerConfig,
  sizeOf,
  unsupportedLayer,
  weightValues,
} from '../lowering-context.js';
import { plainLayer } from './plain-layer.js';

/** `[query, value, key]` (key defaults to value), each `[time, features]`. */
function attentionInputs(layer: tf.layers.Layer, inputs: Value[]): [Value, Value, Value] {
  if (inputs.length < 2 || inputs.length > 3)
    throw unsupportedLayer(layer, `it takes [query, value(, key)] but got ${inputs.length} inputs`);
  if (inputs.some((v) => v.shape.length !== 2)) throw unsupportedLayer(layer, 'only [batch, time, features] inputs');
  return [inputs[0], inputs[1], inputs[2] ?? inputs[1]];
}

/** `x` with its last two axes swapped (a batch-carrying value of rank ≥ 2 without the batch). */
function swapLast(ctx: LoweringContext, x: Value): Value {
  const rank = x.shape.length + 1;
  const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  const shape = [...x.shape.slice(0, -2), x.shape[x.shape.length - 1], x.shape[x.shape.length - 2]];
  return ctx.op('Transpose', [x.name], { perm }, shape);
}

/** softmax over the last axis, then the layer's dropout on the probabilities, then times `value`. */
function attend(layer: tf.layers.Layer, ctx: LoweringContext, scores: Value, value: Value, rate: number): Value {
  const probabilities = ctx.dropout(layer, ctx.op('Softmax', [scores.name], { axis: -1 }, scores.shape), rate);
  const shape = [...probabilities.shape.slice(0, -1), value.shape[value.shape.length - 1]];
  return ctx.op('MatMul', [probabilities.name, value.name], {}, shape);
}

/** A constant weight of the layer, required. */
function weight(layer: tf.layers.Layer, suffix: string): { data: Float32Array; shape: number[] } {
  const w = weightValues(layer, suffix);
  if (w === null) throw unsupportedLayer(layer, `it has no ${suffix}`);
  return w;
}

/** `x` `[time, d]` projected by kernel `[d, heads, dim]` (+ bias `[heads, dim]`) to heads `[heads, time, dim]`. */
function heads(layer: tf.layers.Layer, ctx: LoweringContext, x: Value, projection: string, useBias: boolean): Value {
  const kernel = weight(layer, `${projection}/kernel`);
  const [d, count, dim] = kernel.shape;
  const time = x.shape[0];
  if (x.shape[1] !== d) throw unsupportedLayer(layer, `its ${projection} kernel takes ${d} features`);
  const w = ctx.graph.floats(`${layer.name}_${projection}_kernel`, kernel.data, [d, count * dim]);
  const flat = ctx.op('MatMul', [x.name, w], {}, [time, count * dim]);
  let y = ctx.op('Reshape', [flat.name, ctx.graph.int64s([-1, time, count, dim])], {}, [time, count, dim]);
  if (useBias) {
    const bias = weight(layer, `${projection}/bias`);
    y = ctx.op(
      'Add',
      [y.name, ctx.graph.floats(`${layer.name}_${projection}_bias`, bias.data, [count, dim])],
      {},
      y.shape,
    );
  }
  return ctx.op('Transpose', [y.name], { perm: [0, 2, 1, 3] }, [count, time, dim]);
}

const multiHeadAttention: LayerLowerer = (layer, inputs, ctx) => {
  const [query, value, key] = attentionInputs(layer, inputs);
  const mha = layer as unknown as MultiHeadAttention;
  const q = heads(layer, ctx, query, 'query', mha.useBias);
  const scaled = ctx.op('Mul', [q.name, ctx.graph.scalar(1 / Math.sqrt(mha.keyDim))], {}, q.shape);
  const k = heads(layer, ctx, key, 'key', mha.useBias);
  const v = heads(layer, ctx, value, 'value', mha.useBias);
  const kt = swapLast(ctx, k);
  const scores = ctx.op('MatMul', [scaled.name, kt.name], {}, [q.shape[0], q.shape[1], k.shape[1]]);
  const attended = attend(layer, ctx, scores, v, mha.dropoutRate); // [heads, Tq, value_dim]
  const [count, time, dim] = attended.shape;
  const back = ctx.op('Transpose', [attended.name], { perm: [0, 2, 1, 3] }, [time, count, dim]);
  const flat = ctx.op('Reshape', [back.name, ctx.graph.int64s([-1, time, count * dim])], {}, [time, count * dim]);
  const kernel = weight(layer, 'attention_output/kernel');
  const out = kernel.shape[2];
  const w = ctx.graph.floats(`${layer.name}_output_kernel`, kernel.data, [count * dim, out]);
  const y = ctx.op('MatMul', [flat.name, w], {}, [time, out]);
  if (!mha.useBias) return y;
  const bias = weight(layer, 'attention_output/bias');
  return ctx.op('Add', [y.name, ctx.graph.floats(`${layer.name}_output_bias`, bias.data, [out])], {}, y.shape);
};

/** Σ over features of `scale`·tanh(q + k) (`inside`: tanh(scale·(q + k))): scores `[Tq, Tv]`. */
function additiveScores(
  layer: tf.layers.Layer,
  ctx: LoweringContext,
  query: Value,
  key: Value,
  scale: string | null,
  inside: boolean,
): Value {
  const [tq, d] = query.shape;
  const tv = key.shape[0];
  const q = ctx.op('Reshape', [query.name, ctx.graph.int64s([-1, tq, 1, d])], {}, [tq, 1, d]);
  const k = ctx.op('Reshape', [key.name, ctx.graph.int64s([-1, 1, tv, d])], {}, [1, tv, d]);
  const sum = ctx.op('Add', [q.name, k.name], {}, [tq, tv, d]);
  let terms: Value;
  if (scale === null) terms = ctx.op('Tanh', [sum.name], {}, sum.shape);
  else if (inside) terms = ctx.op('Tanh', [ctx.op('Mul', [sum.name, scale], {}, sum.shape).name], {}, sum.shape);
  else terms = ctx.op('Mul', [ctx.op('Tanh', [sum.name], {}, sum.shape).name, scale], {}, sum.shape);
  if (key.shape[1] !== d) throw unsupportedLayer(layer, 'query and key of different feature sizes');
  return ctx.op('ReduceSum', [terms.name, ctx.graph.int64s([-1])], { keepdims: 0 }, [tq, tv]);
}

/** A scalar or per-feature variable of an attention layer as a constant, or null when the layer has none. */
function scoreVariable(layer: tf.layers.Layer, ctx: LoweringContext, name: string): string | null {
  const w = weightValues(layer, name);
  return w === null ? null : ctx.graph.floats(`${layer.name}_${name}`, w.data, w.shape);
}

const attention: LayerLowerer = (layer, inputs, ctx) => {
  const [query, value, key] = attentionInputs(layer, inputs);
  const c = layerConfig(layer);
  const scale = c.useScale === true ? scoreVariable(layer, ctx, 'scale') : null;
  let scores: Value;
  if (String(c.scoreMode ?? 'dot').toLowerCase() === 'concat') {
    const additive = additiveScores(layer, ctx, query, key, scale, true);
    const weightName = scoreVariable(layer, ctx, 'concat_score_weight');
    if (weightName === null) throw unsupportedLayer(layer, 'it has no concat_score_weight');
    scores = ctx.op('Mul', [weightName, additive.name], {}, additive.shape);
  } else {
    if (key.shape[1] !== query.shape[1]) throw unsupportedLayer(layer, 'query and key of different feature sizes');
    const kt = swapLast(ctx, key);
    scores = ctx.op('MatMul', [query.name, kt.name], {}, [query.shape[0], key.shape[0]]);
    if (scale !== null) scores = ctx.op('Mul', [scores.name, scale], {}, scores.shape);
  }
  return attend(layer, ctx, scores, value, Number(c.dropout ?? 0));
};

const additiveAttention: LayerLowerer = (layer, inputs, ctx) => {
  const [query, value, key] = attentionInputs(layer, inputs);
  const c = layerConfig(layer);
  const scale = c.useScale === false ? null : scoreVariable(layer, ctx, 'scale');
  if (scale !== null && sizeOf(ctx.graph.constantData(scale)!.dims) !== query.shape[1])
    throw unsupportedLayer(layer, 'its scale does not match the feature size');
  const scores = additiveScores(layer, ctx, query, key, scale, false);
  return attend(layer, ctx, scores, value, Number(c.dropout ?? 0));
};

/** The attention lowerers by Keras class name. */
export const ATTENTION_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['MultiHeadAttention', plainLayer(multiHeadAttention)],
  ['Attention', plainLayer(attention)],
  ['AdditiveAttention', plainLayer(additiveAttention)],
];
