/**
 * What a layer lowerer works with: values (ONNX value names with their shape without the batch axis, channels last as
 * Keras keeps them) and a context that adds ONNX primitive ops to the graph being built. Lowerers are registered by
 * Keras class name in `layer-lowering.ts`; every op they emit gets its gradient from `op-gradients.ts`.
 */
import type * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { AttributeValue, OnnxGraph } from './onnx-graph.js';

/** A batch-carrying value: its ONNX name and its shape without the batch axis. */
export interface Value {
  name: string;
  shape: number[];
  /**
   * The same activation channels first (`[c, ...spatial]`), where a channels-first op made it: the next such op reads
   * it instead of transposing back and forth (the channels-last Transpose is then dropped as unused).
   */
  channelsFirst?: Value;
}

/** The graph under construction, seen from one layer. */
export interface LoweringContext {
  /** The graph (for constants: `floats`, `scalar`, `int64s`). */
  readonly graph: OnnxGraph;
  /** Adds one op whose output carries the batch axis and has shape `shape` (without it). */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue>, shape: number[]): Value;
  /** Lowers a sublayer (a composite's part, a wrapper's inner layer) on `inputs` under the same pass settings. */
  apply(layer: tf.layers.Layer, inputs: Value[]): Value[];
  /**
   * Lowers a sublayer as TensorFlow.js's own `layer.apply` computes it (a wrapper's inner layer): no propagation rule
   * reaches its ops and its Dropout stays the identity.
   */
  applyPlain(layer: tf.layers.Layer, inputs: Value[]): Value[];
  /** Keras activation `name` (a final softmax is dropped when the pass computes logits, as the executor does). */
  activation(layer: tf.layers.Layer, name: unknown, x: Value): Value;
  /** A Dropout of `rate`: the identity, or `x · keep / (1 − rate)` with a fed keep-mask under Monte-Carlo dropout. */
  dropout(layer: tf.layers.Layer, x: Value, rate: number): Value;
}

/** Lowers one layer (its inputs in inbound order) to ONNX ops; returns its outputs. */
export type LayerLowerer = (layer: tf.layers.Layer, inputs: Value[], ctx: LoweringContext) => Value | Value[];

/** The one-line refusal of a layer the lowering cannot express. */
export function unsupportedLayer(layer: tf.layers.Layer, why: string): WingbeatsError {
  return new WingbeatsError(
    'UNSUPPORTED_MODEL',
    `Layer '${layer.name}' (${layer.getClassName()}) cannot be compiled to ONNX: ${why}.`,
  );
}

/** The layer's config. */
export function layerConfig(layer: tf.layers.Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

/** The only input of a one-input layer. */
export function onlyInput(layer: tf.layers.Layer, inputs: Value[]): Value {
  if (inputs.length !== 1) throw unsupportedLayer(layer, `it takes ${inputs.length} inputs where one was expected`);
  return inputs[0];
}

/** A copy of weight `suffix` of the layer (matched on its name's last part), or null. */
export function weightValues(layer: tf.layers.Layer, suffix: string): { data: Float32Array; shape: number[] } | null {
  const weight = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.name.endsWith(`/${suffix}`));
  if (weight === undefined) return null;
  return { data: (weight.read().dataSync() as Float32Array).slice(), shape: weight.shape as number[] };
}

/** `value` as a list of `rank` numbers (Keras gives `3` or `[3]` or `[3, 3]`). */
export function numberList(value: unknown, rank: number): number[] {
  return Array.isArray(value) ? (value as number[]) : Array<number>(rank).fill(value as number);
}

/** The number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Permutation (batch axis included) from channels last `[b, ...spatial, c]` to channels first `[b, c, ...spatial]`. */
export function toChannelsFirst(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Permutation (batch axis included) from channels first back to channels last. */
export function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

/** `x` (channels last) as channels first: the form a channels-first op left, or a Transpose. */
export function channelsFirst(ctx: LoweringContext, x: Value): Value {
  if (x.channelsFirst !== undefined) return x.channelsFirst;
  const r = x.shape.length;
  return ctx.op('Transpose', [x.name], { perm: toChannelsFirst(r + 1) }, [x.shape[r - 1], ...x.shape.slice(0, r - 1)]);
}

/** The channels-first result `y` as a channels-last value (a Transpose) that keeps `y` for the next channels-first op. */
export function channelsLast(ctx: LoweringContext, y: Value): Value {
  const last = ctx.op('Transpose', [y.name], { perm: toChannelsLast(y.shape.length + 1) }, [
    ...y.shape.slice(1),
    y.shape[0],
  ]);
  return { ...last, channelsFirst: y };
}

/**
 * An elementwise (or per-channel) computation `f` of the values `xs`: done channels first when every input has that
 * form (`fFirst`, default `f`), so chains of convolutions, batch norms, activations and pools stay channels first.
 */
export function layoutFree(
  ctx: LoweringContext,
  xs: Value[],
  f: (values: Value[]) => Value,
  fFirst: (values: Value[]) => Value = f,
): Value {
  if (xs.every((x) => x.channelsFirst !== undefined)) return channelsLast(ctx, fFirst(xs.map((x) => x.channelsFirst!)));
  return f(xs);
}

/** Output size and ONNX begin/end pads of one spatial axis under TensorFlow's padding rule. */
export function axisGeometry(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: 'same' | 'valid',
): { out: number; begin: number; end: number; span: number } {
  const span = (kernel - 1) * dilation + 1;
  const out = padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
  const total = padding === 'same' ? Math.max((out - 1) * stride + span - size, 0) : 0;
  return { out, begin: Math.floor(total / 2), end: total - Math.floor(total / 2), span };
}
