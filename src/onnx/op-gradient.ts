/**
 * The gradient of one ONNX primitive op, as a builder of more ONNX ops: given the forward node and the upstream
 * gradient of each of its outputs, it returns the gradient of each input that needs one (reverse mode, one builder per
 * op type, as TensorFlow.js registers one gradient per kernel). Builders live in `gradients/*.ts` and are collected in
 * `op-gradients.ts`; propagation rules replace the builder of the op they name.
 */
import { WingbeatsError } from '../util/errors.js';
import type { AttributeValue, GraphNode, OnnxGraph } from './onnx-graph.js';

/** What a gradient builder sees of one forward node. */
export interface GradientContext {
  readonly graph: OnnxGraph;
  readonly node: GraphNode;
  /** Upstream gradient of each output (undefined where none flows back). */
  readonly dys: readonly (string | undefined)[];
  /** Whether input i depends on the graph input (only those need a gradient). */
  readonly wanted: readonly boolean[];
  /**
   * The overrides of the pass (given to builders that run a reverse pass of their own: a `Scan`'s body). Such a
   * builder also sees the paired forward values of a {@link PairedBatchOverrides} pass, as an override does.
   */
  readonly overrides?: ReadonlyMap<string, GradientBuilder>;
}

/** Returns the gradient of each input (undefined where not wanted). */
export type GradientBuilder = (ctx: GradientContext) => (string | undefined)[];

/**
 * The overrides of a propagation rule defined on a paired batch `[inputs; references]` (DeepLIFT): the backward pass
 * then runs for the input rows only (the references' gradient is never used), from the first half of the seed. Its
 * builders see the paired forward values (to read both halves) and the upstream gradient of the input rows, and
 * return the input rows' gradient; every other builder sees the first half of each batch-carrying forward value.
 */
export interface PairedBatchOverrides extends ReadonlyMap<string, GradientBuilder> {
  readonly pairedBatch: true;
}

/**
 * The key of a rule's builder for activation sites (`GraphNode.activationSite`) in its overrides. The builder sees the
 * site as one node from the activation's input to its output and returns two values: the gradient of that input, and
 * the part of the upstream gradient that still flows down the activation's own ops with their plain gradients.
 */
export const ACTIVATION_SITE = 'ActivationSite';

/** Whether `overrides` are a {@link PairedBatchOverrides}. */
export function isPairedBatch(overrides: ReadonlyMap<string, GradientBuilder>): overrides is PairedBatchOverrides {
  return (overrides as Partial<PairedBatchOverrides>).pairedBatch === true;
}

/** Adds one op with one output (a backward value; no shape is recorded). */
export function op(
  ctx: GradientContext,
  opType: string,
  inputs: string[],
  attributes: Record<string, AttributeValue> = {},
) {
  return ctx.graph.op(opType, inputs, attributes);
}

/** The upstream gradient of output `index`, required. */
export function upstream(ctx: GradientContext, index = 0): string {
  const dy = ctx.dys[index];
  if (dy === undefined) throw internal(`${ctx.node.opType} received no gradient for output ${index}`);
  return dy;
}

/** An internal refusal (a lowerer emitted an op in a form its gradient does not cover). */
export function internal(why: string): WingbeatsError {
  return new WingbeatsError('UNSUPPORTED_MODEL', `The ONNX backward graph cannot be built: ${why}.`);
}

/**
 * `dy` (shaped like the op's output `out`) summed down to the shape `shape` of an input that was broadcast (both
 * without the batch axis, which every differentiated value carries).
 */
export function unbroadcast(ctx: GradientContext, dy: string, shape: number[], out: number[]): string {
  if (shape.join(',') === out.join(',')) return dy;
  const padded = [...Array<number>(out.length - shape.length).fill(1), ...shape];
  const axes = out.map((d, i) => (padded[i] === 1 && d !== 1 ? i + 1 : -1)).filter((a) => a > 0);
  const summed = axes.length === 0 ? dy : op(ctx, 'ReduceSum', [dy, ctx.graph.int64s(axes)], { keepdims: 1 });
  return op(ctx, 'Reshape', [summed, ctx.graph.int64s([-1, ...shape])]);
}

/** `value` where `condition`, else 0. */
export function where(ctx: GradientContext, condition: string, value: string): string {
  return op(ctx, 'Where', [condition, value, ctx.graph.scalar(0)]);
}
