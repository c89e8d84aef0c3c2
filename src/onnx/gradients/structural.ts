/**
 * Gradients of the ops that move values without arithmetic: Reshape, Transpose, Concat, Split, Slice, Pad; and of
 * Shape and ConstantOfShape, which read only a value's shape (a recurrent layer's zero states).
 */
import { GradientBuilder, internal, op, upstream } from '../op-gradient.js';

function ints(ctx: Parameters<GradientBuilder>[0], value: string | undefined, what: string): number[] {
  const known = value === undefined ? undefined : ctx.graph.constantInts(value);
  if (known === undefined) throw internal(`${ctx.node.opType} with a computed ${what}`);
  return known;
}

/** The structural gradients by op type. */
export const STRUCTURAL_GRADIENTS: readonly (readonly [string, GradientBuilder])[] = [
  [
    'Reshape',
    (ctx) => [
      op(ctx, 'Reshape', [upstream(ctx), ctx.graph.int64s([-1, ...ctx.graph.shapeOf(ctx.node.inputs[0])])]),
      undefined,
    ],
  ],
  [
    'Transpose',
    (ctx) => {
      const perm = ctx.node.attributes.perm as number[];
      const inverse = perm.map((_, i) => perm.indexOf(i));
      return [op(ctx, 'Transpose', [upstream(ctx)], { perm: inverse })];
    },
  ],
  // each input's slab of dy along the axis
  [
    'Concat',
    (ctx) => {
      const dy = upstream(ctx);
      const axis = ctx.node.attributes.axis as number;
      let start = 0;
      return ctx.node.inputs.map((input, i) => {
        const length = ctx.graph.shapeOf(input)[axis - 1];
        start += length;
        if (!ctx.wanted[i]) return undefined;
        const [starts, ends, axes] = [[start - length], [start], [axis]].map((v) => ctx.graph.int64s(v));
        return op(ctx, 'Slice', [dy, starts, ends, axes]);
      });
    },
  ],
  // equal parts along a non-batch axis: the parts' gradients side by side (zeros for a part no gradient reaches)
  [
    'Split',
    (ctx) => {
      const axis = ctx.node.attributes.axis as number;
      if (ctx.node.inputs.length > 1 || axis < 1) throw internal('a Split with given sizes or along the batch axis');
      const parts = ctx.node.outputs.map(
        (out, i) => ctx.dys[i] ?? op(ctx, 'ConstantOfShape', [op(ctx, 'Shape', [out])]),
      );
      return [op(ctx, 'Concat', parts, { axis })];
    },
  ],
  // a static slice (constant starts/ends/axes, step 1): dy padded back with zeros
  [
    'Slice',
    (ctx) => {
      const [, startsName, endsName, axesName, stepsName] = ctx.node.inputs;
      if (stepsName !== undefined && ints(ctx, stepsName, 'step').some((s) => s !== 1)) throw internal('strided Slice');
      const shape = ctx.graph.shapeOf(ctx.node.inputs[0]);
      const rank = shape.length + 1;
      const pads = Array<number>(2 * rank).fill(0);
      const starts = ints(ctx, startsName, 'start');
      const ends = ints(ctx, endsName, 'end');
      ints(ctx, axesName, 'axis').forEach((axis, i) => {
        const size = shape[axis - 1];
        pads[axis] = starts[i];
        pads[rank + axis] = size - Math.min(ends[i], size);
      });
      return [op(ctx, 'Pad', [upstream(ctx), ctx.graph.int64s(pads)], { mode: 'constant' })];
    },
  ],
  // only shapes: no gradient flows through them
  ['Shape', () => [undefined]],
  ['ConstantOfShape', () => [undefined]],
  // a constant zero pad: the unpadded part of dy
  [
    'Pad',
    (ctx) => {
      if ((ctx.node.attributes.mode ?? 'constant') !== 'constant') throw internal('a Pad other than constant zeros');
      const pads = ints(ctx, ctx.node.inputs[1], 'pad');
      const shape = ctx.graph.shapeOf(ctx.node.inputs[0]);
      const rank = shape.length + 1;
      const axes = shape.map((_, i) => i + 1);
      const starts = axes.map((a) => pads[a]);
      const ends = axes.map((a, i) => pads[a] + shape[i]);
      const [s, e, a] = [starts, ends, axes].map((v) => ctx.graph.int64s(v));
      if (pads[0] !== 0 || pads[rank] !== 0) throw internal('a Pad of the batch axis');
      return [op(ctx, 'Slice', [upstream(ctx), s, e, a]), undefined];
    },
  ],
];
