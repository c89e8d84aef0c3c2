/**
 * TensorFlow.js implementations of ONNX's shape and data-movement ops (one function per op type), including the
 * shape arithmetic torch exports for `view`/`flatten` (Shape → Gather → Unsqueeze → Concat → Reshape), which runs on
 * host tensors when its inputs are shapes and constants.
 */
import * as tf from '@tensorflow/tfjs';
import type { HostTensor } from './onnx-file-graph.js';
import { OpContext, OpImplementation, Value, hostInts, hostToTensor, isHost, normaliseAxis } from './op-context.js';

const shapeOf = (value: Value): number[] => (isHost(value) ? [...value.dims] : value.shape);

function required(ctx: OpContext, i: number): Value {
  const value = ctx.input(i);
  if (value === undefined) throw ctx.refuse(`needs input ${i}, which is missing`);
  return value;
}

function shape(ctx: OpContext): HostTensor {
  const dims = shapeOf(required(ctx, 0));
  const start = normaliseAxis(ctx.number('start', 0), dims.length);
  const end = ctx.attribute('end') === undefined ? dims.length : normaliseAxis(ctx.number('end', 0), dims.length);
  const part = dims.slice(Math.max(0, start), Math.min(dims.length, end));
  return hostInts(part);
}

function reshape(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  const target = ctx.opset >= 5 ? ctx.numbers(1) : ctx.ints('shape');
  if (target === undefined) throw ctx.refuse('has no target shape');
  const allowZero = ctx.number('allowzero', 0) === 1;
  return tf.reshape(
    x,
    target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d)),
  );
}

function flatten(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  const axis = normaliseAxis(ctx.number('axis', 1), x.rank);
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  return tf.reshape(x, [outer, x.shape.slice(axis).reduce((a, b) => a * b, 1)]);
}

function transpose(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  return tf.transpose(x, ctx.ints('perm'));
}

function squeeze(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  const axes = ctx.opset >= 13 ? ctx.numbers(1) : ctx.ints('axes');
  if (axes === undefined)
    return tf.reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const drop = new Set(axes.map((a) => normaliseAxis(a, x.rank)));
  return tf.reshape(
    x,
    x.shape.filter((_, i) => !drop.has(i)),
  );
}

function unsqueeze(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  const axes = (ctx.opset >= 13 ? ctx.numbers(1) : ctx.ints('axes')) ?? [];
  const rank = x.rank + axes.length;
  const inserted = new Set(axes.map((a) => normaliseAxis(a, rank)));
  const dims: number[] = [];
  let next = 0;
  for (let i = 0; i < rank; i++) dims.push(inserted.has(i) ? 1 : x.shape[next++]);
  return tf.reshape(x, dims);
}

function concat(ctx: OpContext): tf.Tensor {
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < ctx.inputCount; i++) if (ctx.input(i) !== undefined) parts.push(ctx.tensor(i));
  const nonEmpty = parts.filter((p) => p.size > 0);
  const axis = normaliseAxis(ctx.number('axis', 0), parts[0].rank);
  return nonEmpty.length === 0 ? parts[0] : tf.concat(nonEmpty, axis);
}

/** Constant index lists up to this length gather by slicing (whose gradient every backend has; wasm lacks gather's). */
const SLICED_GATHER_LIMIT = 64;

function gather(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  const axis = normaliseAxis(ctx.number('axis', 0), x.rank);
  const indices = required(ctx, 1);
  const dim = x.shape[axis];
  if (isHost(indices) && indices.data.length > 0 && indices.data.length <= SLICED_GATHER_LIMIT) {
    const rows = Array.from(indices.data, (v) => {
      const k = v < 0 ? v + dim : v;
      if (k < 0 || k >= dim) throw ctx.refuse(`reads index ${v} of an axis of size ${dim}`);
      return tf.slice(
        x,
        x.shape.map((_, i) => (i === axis ? k : 0)),
        x.shape.map((d, i) => (i === axis ? 1 : d)),
      );
    });
    const joined = rows.length === 1 ? rows[0] : tf.concat(rows, axis);
    return tf.reshape(joined, [...x.shape.slice(0, axis), ...indices.dims, ...x.shape.slice(axis + 1)]);
  }
  const idx = isHost(indices)
    ? hostToTensor({ ...indices, dtype: 'int', data: Float64Array.from(indices.data, (v) => (v < 0 ? v + dim : v)) })
    : tf.where(tf.less(indices, 0), tf.add(indices, dim), indices);
  return tf.gather(x, tf.cast(idx, 'int32'), axis);
}

/** Slice along axes with steps, ONNX's clamping rules (ends beyond the axis, negative steps). */
function slice(ctx: OpContext): tf.Tensor {
  let x = ctx.tensor(0);
  const starts = ctx.opset >= 10 ? ctx.numbers(1) : ctx.ints('starts');
  const ends = ctx.opset >= 10 ? ctx.numbers(2) : ctx.ints('ends');
  if (starts === undefined || ends === undefined) throw ctx.refuse('has no starts or ends');
  const axes = (ctx.opset >= 10 ? ctx.numbers(3) : ctx.ints('axes')) ?? starts.map((_, i) => i);
  const steps = (ctx.opset >= 10 ? ctx.numbers(4) : undefined) ?? starts.map(() => 1);
  const begin = x.shape.map(() => 0);
  const end = [...x.shape];
  const stride = x.shape.map(() => 1);
  axes.forEach((a, i) => {
    const axis = normaliseAxis(a, x.rank);
    const dim = x.shape[axis];
    let step = steps[i];
    if (step === 0) throw ctx.refuse('has a step of 0');
    let s = starts[i] < 0 ? starts[i] + dim : starts[i];
    let e = ends[i] < 0 ? ends[i] + dim : ends[i];
    if (step < 0) {
      // Reverse the axis: index k becomes dim − 1 − k; the slice then runs forward.
      s = Math.min(Math.max(s, -1), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
      x = tf.reverse(x, [axis]);
      s = dim - 1 - s;
      e = dim - 1 - e;
      step = -step;
    }
    begin[axis] = Math.min(Math.max(s, 0), dim);
    end[axis] = Math.min(Math.max(e, 0), dim);
    stride[axis] = step;
  });
  if (begin.some((b, i) => end[i] <= b)) {
    return tf.zeros(
      x.shape.map((d, i) => Math.max(0, Math.ceil((end[i] - begin[i]) / stride[i]))),
      x.dtype,
    );
  }
  // tf.slice has a gradient (tf.stridedSlice has none): use it for unit steps
  if (stride.every((v) => v === 1))
    return tf.slice(
      x,
      begin,
      end.map((e, i) => e - begin[i]),
    );
  return tf.stridedSlice(x, begin, end, stride);
}

function pad(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  const pads = ctx.opset >= 11 ? ctx.numbers(1) : ctx.ints('pads');
  if (pads === undefined) throw ctx.refuse('has no pads');
  const value = ctx.opset >= 11 ? (ctx.numbers(2)?.[0] ?? 0) : ctx.number('value', 0);
  const axes =
    (ctx.opset >= 18 ? ctx.numbers(3) : undefined)?.map((a) => normaliseAxis(a, x.rank)) ?? x.shape.map((_, i) => i);
  const paddings: [number, number][] = x.shape.map(() => [0, 0]);
  axes.forEach((axis, i) => (paddings[axis] = [pads[i], pads[i + axes.length]]));
  if (paddings.some(([b, e]) => b < 0 || e < 0)) throw ctx.refuse('has negative pads (cropping)');
  const mode = ctx.string('mode', 'constant');
  if (mode === 'constant') return tf.pad(x, paddings, value);
  if (mode === 'reflect') return tf.mirrorPad(x, paddings, 'reflect');
  if (mode === 'edge') {
    let y = x;
    paddings.forEach(([b, e], axis) => {
      if (b === 0 && e === 0) return;
      const n = y.shape[axis];
      const first = tf.slice(
        y,
        y.shape.map(() => 0),
        y.shape.map((d, i) => (i === axis ? 1 : d)),
      );
      const last = tf.slice(
        y,
        y.shape.map((_, i) => (i === axis ? n - 1 : 0)),
        y.shape.map((d, i) => (i === axis ? 1 : d)),
      );
      const reps = (k: number) => y.shape.map((_, i) => (i === axis ? k : 1));
      y = tf.concat([...(b > 0 ? [tf.tile(first, reps(b))] : []), y, ...(e > 0 ? [tf.tile(last, reps(e))] : [])], axis);
    });
    return y;
  }
  throw ctx.refuse(`has pad mode '${mode}'`);
}

function split(ctx: OpContext): tf.Tensor[] {
  const x = ctx.tensor(0);
  const axis = normaliseAxis(ctx.number('axis', 0), x.rank);
  const sizes = (ctx.opset >= 13 ? ctx.numbers(1) : ctx.ints('split')) ?? undefined;
  const count = ctx.node.outputs.length;
  if (sizes !== undefined) return tf.split(x, sizes, axis);
  const each = Math.ceil(x.shape[axis] / count);
  const parts = Array.from({ length: count }, (_, i) => Math.min(each, x.shape[axis] - i * each));
  return tf.split(x, parts, axis);
}

function reduce(f: (x: tf.Tensor, axes: number[], keep: boolean) => tf.Tensor, axesInput: number): OpImplementation {
  return (ctx) => {
    const x = ctx.float(0);
    const axes = ctx.opset >= axesInput ? ctx.numbers(1) : ctx.ints('axes');
    const keep = ctx.number('keepdims', 1) === 1;
    if (axes === undefined || axes.length === 0) {
      if (ctx.number('noop_with_empty_axes', 0) === 1) return x;
      return f(
        x,
        x.shape.map((_, i) => i),
        keep,
      );
    }
    return f(
      x,
      axes.map((a) => normaliseAxis(a, x.rank)),
      keep,
    );
  };
}

function constantOfShape(ctx: OpContext): tf.Tensor {
  const dims = ctx.numbers(0) ?? [];
  const value = ctx.attribute('value');
  const fill = value !== undefined && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  const tensor = fill === undefined ? tf.scalar(0) : hostToTensor(fill);
  return tf.fill(dims, tensor.dataSync()[0], tensor.dtype);
}

function expand(ctx: OpContext): tf.Tensor {
  const x = ctx.tensor(0);
  const target = ctx.numbers(1) ?? [];
  return tf.broadcastTo(x, tf.broadcast_util.assertAndGetBroadcastShape(x.shape, target));
}

function range(ctx: OpContext): tf.Tensor {
  const [start] = ctx.numbers(0) ?? [0];
  const [limit] = ctx.numbers(1) ?? [0];
  const [delta] = ctx.numbers(2) ?? [1];
  return tf.range(start, limit, delta, ctx.tensor(0).dtype === 'int32' ? 'int32' : 'float32');
}

/** Shape and data-movement ops by ONNX op type. */
export const STRUCTURAL_OPS: [string, OpImplementation][] = [
  ['Shape', shape],
  ['Size', (ctx) => hostInts([shapeOf(required(ctx, 0)).reduce((a, b) => a * b, 1)], [])],
  ['Reshape', reshape],
  ['Flatten', flatten],
  ['Transpose', transpose],
  ['Squeeze', squeeze],
  ['Unsqueeze', unsqueeze],
  ['Concat', concat],
  ['Gather', gather],
  ['Slice', slice],
  ['Pad', pad],
  ['Split', split],
  ['Tile', (ctx) => tf.tile(ctx.tensor(0), ctx.numbers(1) ?? [])],
  ['Expand', expand],
  ['ConstantOfShape', constantOfShape],
  ['Range', range],
  ['ReduceMean', reduce((x, axes, keep) => tf.mean(x, axes, keep), 18)],
  ['ReduceSum', reduce((x, axes, keep) => tf.sum(x, axes, keep), 13)],
  ['ReduceMax', reduce((x, axes, keep) => tf.max(x, axes, keep), 18)],
  ['ReduceMin', reduce((x, axes, keep) => tf.min(x, axes, keep), 18)],
  ['ReduceProd', reduce((x, axes, keep) => tf.prod(x, axes, keep), 18)],
  ['ReduceSumSquare', reduce((x, axes, keep) => tf.sum(tf.square(x), axes, keep), 18)],
  ['ReduceL2', reduce((x, axes, keep) => tf.sqrt(tf.sum(tf.square(x), axes, keep)), 18)],
  ['ReduceLogSumExp', reduce((x, axes, keep) => tf.logSumExp(x, axes, keep), 18)],
];
