/**
 * The lowering of `TensorOpLayer` (Keras 2's TFOpLambda/SlicingOpLambda as `src/models/tensor-op-layer.ts` runs
 * them): add, subtract, multiply (with a tensor of the same rank or a number), reshape, transpose, concat, reduce
 * mean/max and slicing, as ONNX primitives. What would touch the batch axis (a transpose moving it, a reduction or
 * slice over it, operands of different ranks) is refused by name.
 */
import type * as tf from '@tensorflow/tfjs';
import type { TensorOpLayer } from '../../models/tensor-op-layer.js';
import { LayerLowerer, LoweringContext, Value, sizeOf, unsupportedLayer } from '../lowering-context.js';
import { plainLayer } from './plain-layer.js';

const BINARY: Readonly<Record<string, string>> = { add: 'Add', subtract: 'Sub', multiply: 'Mul' };

/** Keyword argument `key` of the layer's call (camel-cased by TensorFlow.js's config reader or not). */
function kwarg(layer: TensorOpLayer, key: string): unknown {
  const camel = key.replace(/_(\w)/g, (_m, c: string) => c.toUpperCase());
  return layer.opKwargs[camel] ?? layer.opKwargs[key];
}

/** An axis of a rank-`rank` tensor (batch included), required to be a non-batch axis. */
function dataAxis(layer: tf.layers.Layer, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 1 || a >= rank)
    throw unsupportedLayer(layer, `it works on axis ${axis} (the batch axis or none)`);
  return a;
}

function binary(layer: TensorOpLayer, inputs: Value[], ctx: LoweringContext): Value {
  const [x, other] = inputs;
  const opType = BINARY[layer.kind];
  if (other === undefined) {
    const y = kwarg(layer, 'y');
    if (typeof y !== 'number') throw unsupportedLayer(layer, 'its second operand is neither a tensor nor a number');
    return ctx.op(opType, [x.name, ctx.graph.scalar(y)], {}, x.shape);
  }
  if (x.shape.length !== other.shape.length)
    throw unsupportedLayer(layer, `operands [${x.shape.join(',')}] and [${other.shape.join(',')}] of different ranks`);
  const shape = x.shape.map((d, i) => (d === 1 ? other.shape[i] : d));
  if (x.shape.some((d, i) => d !== 1 && other.shape[i] !== 1 && d !== other.shape[i]))
    throw unsupportedLayer(layer, `operands [${x.shape.join(',')}] and [${other.shape.join(',')}] do not broadcast`);
  return ctx.op(opType, [x.name, other.name], {}, shape);
}

function reduce(layer: TensorOpLayer, x: Value, ctx: LoweringContext): Value {
  const rank = x.shape.length + 1;
  const axis = kwarg(layer, 'axis');
  const listed = axis === undefined || axis === null ? [0] : Array.isArray(axis) ? axis : [axis];
  const axes = [...new Set(listed.map((a) => dataAxis(layer, Number(a), rank)))].sort((a, b) => a - b);
  const kept = x.shape.map((d, i) => (axes.includes(i + 1) ? 1 : d));
  const reduced = x.shape.filter((_, i) => !axes.includes(i + 1));
  const opType = layer.kind === 'mean' ? 'ReduceMean' : 'ReduceMax';
  const y = ctx.op(opType, [x.name], { axes, keepdims: 0 }, reduced);
  if (kwarg(layer, 'keepdims') !== true) return y;
  return ctx.op('Reshape', [y.name, ctx.graph.int64s([-1, ...kept])], {}, kept);
}

/** A Keras 2 slice spec entry: `{start, stop, step}`, an index, or Ellipsis. */
type SliceEntry = { start: number | null; stop: number | null; step: number | null } | number | string;

/** Whether a slice entry takes all of an axis (`:`). */
function whole(entry: SliceEntry): boolean {
  return typeof entry === 'object' && entry !== null && !entry.start && entry.stop == null && (entry.step ?? 1) === 1;
}

function slice(layer: TensorOpLayer, x: Value, ctx: LoweringContext): Value {
  const spec = kwarg(layer, 'slice_spec');
  const entries = (Array.isArray(spec) ? spec : [spec]) as SliceEntry[];
  const ellipsis = (entry: SliceEntry) => typeof entry === 'string' && /^(ellipsis|\.\.\.)$/i.test(entry);
  if (entries.length > 0 && !ellipsis(entries[0]) && !whole(entries[0]))
    throw unsupportedLayer(layer, 'it slices the batch axis');
  const rest = ellipsis(entries[0]) ? entries : entries.slice(1);
  const ranges: { start: number; stop: number; drop: boolean }[] = [];
  for (const [n, entry] of rest.entries()) {
    if (ellipsis(entry)) {
      while (ranges.length < x.shape.length - (rest.length - n - 1))
        ranges.push({ start: 0, stop: x.shape[ranges.length], drop: false });
      continue;
    }
    const size = x.shape[ranges.length];
    if (size === undefined) throw unsupportedLayer(layer, 'it slices more axes than its input has');
    // negative indices count from the end, as in Python (a stop of −1 leaves the last element out)
    const at = (v: number) => (v < 0 ? size + v : Math.min(v, size));
    if (typeof entry === 'number') ranges.push({ start: at(entry), stop: at(entry) + 1, drop: true });
    else if (typeof entry === 'object' && entry !== null && (entry.step ?? 1) === 1)
      ranges.push({ start: at(entry.start ?? 0), stop: entry.stop == null ? size : at(entry.stop), drop: false });
    else throw unsupportedLayer(layer, `it slices with ${JSON.stringify(entry)}`);
  }
  while (ranges.length < x.shape.length) ranges.push({ start: 0, stop: x.shape[ranges.length], drop: false });
  const shape = ranges.map((r) => r.stop - r.start);
  if (shape.some((d) => d < 1)) throw unsupportedLayer(layer, 'its slice is empty');
  const axes = ranges.map((_, i) => i + 1);
  const [starts, ends, axesName] = [ranges.map((r) => r.start), ranges.map((r) => r.stop), axes].map((v) =>
    ctx.graph.int64s(v),
  );
  const sliced = ctx.op('Slice', [x.name, starts, ends, axesName], {}, shape);
  if (!ranges.some((r) => r.drop)) return sliced;
  const squeezed = shape.filter((_, i) => !ranges[i].drop);
  return ctx.op('Reshape', [sliced.name, ctx.graph.int64s([-1, ...squeezed])], {}, squeezed);
}

const tensorOp: LayerLowerer = (layer, inputs, ctx) => {
  const op = layer as unknown as TensorOpLayer;
  const x = inputs[0];
  const rank = x.shape.length + 1;
  switch (op.kind) {
    case 'add':
    case 'subtract':
    case 'multiply':
      return binary(op, inputs, ctx);
    case 'reshape': {
      const target = (kwarg(op, 'shape') as (number | null)[]).slice(1).map((d) => d ?? -1);
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      const shape = target.map((d) => (d === -1 ? sizeOf(x.shape) / known : d));
      if (sizeOf(shape) !== sizeOf(x.shape) || shape.some((d) => !Number.isInteger(d) || d < 1))
        throw unsupportedLayer(layer, `target shape [${target.join(',')}] does not hold its input`);
      return ctx.op('Reshape', [x.name, ctx.graph.int64s([-1, ...shape])], {}, shape);
    }
    case 'transpose': {
      const perm = (kwarg(op, 'perm') as number[] | undefined) ?? [];
      if (perm.length !== rank || perm[0] !== 0) throw unsupportedLayer(layer, 'a transpose that moves the batch axis');
      return ctx.op(
        'Transpose',
        [x.name],
        { perm },
        perm.slice(1).map((p) => x.shape[p - 1]),
      );
    }
    case 'concat': {
      const axis = dataAxis(layer, Number(kwarg(op, 'axis') ?? -1), rank);
      const shape = x.shape.map((d, i) => (i + 1 === axis ? inputs.reduce((n, v) => n + v.shape[i], 0) : d));
      return ctx.op(
        'Concat',
        inputs.map((v) => v.name),
        { axis },
        shape,
      );
    }
    case 'mean':
    case 'max':
      return reduce(op, x, ctx);
    case 'slice':
      return slice(op, x, ctx);
    default:
      throw unsupportedLayer(layer, `tensor op '${op.kind}'`);
  }
};

/** The TFOpLambda lowering by the class name the loader gives it. */
export const TENSOR_OP_LOWERERS: readonly (readonly [string, LayerLowerer])[] = [
  ['TensorOpLayer', plainLayer(tensorOp)],
];
