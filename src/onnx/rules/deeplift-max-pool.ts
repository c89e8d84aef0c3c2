/**
 * DeepLIFT's max-pool rule (src/rules/deeplift-max-pool.ts) as the gradient of the ONNX `MaxPool` on a paired batch:
 * the windows of a non-overlapping unpadded pool cut out with Reshape/Transpose, each window's first winner (values
 * within 1e-6 of the maximum tie) as a one-hot, and the gradient routed through the winners of both halves.
 */
import { RESCALE_EPSILON } from '../../rules/deeplift-rescale.js';
import { WingbeatsError } from '../../util/errors.js';
import { GradientBuilder, GradientContext, op, upstream } from '../op-gradient.js';
import { halves, indicator, paired } from './rule-graph.js';

/** Values within this relative distance of a window's maximum count as tied (as the TF.js rule). */
const TIE_TOLERANCE = 1e-6;

/** A channels-first pool input `[n, c, ...spatial]` cut into windows: `[n, c, ...outputs, cells]` and back. */
interface Windows {
  cells(x: string): string;
  /** A `[n, c, ...outputs, cells]` value laid back over the input (zeros where 'valid' pooling cropped). */
  spread(v: string): string;
}

function windows(ctx: GradientContext, pool: number[], size: number[], channels: number): Windows {
  const g = ctx.graph;
  const outs = size.map((s, i) => Math.floor(s / pool[i]));
  const covered = outs.map((o, i) => o * pool[i]);
  const axes = size.map((_, i) => i + 2);
  const cellCount = pool.reduce((a, b) => a * b, 1);
  // [n, c, o₁, p₁, o₂, p₂] ↔ [n, c, o₁, o₂, p₁, p₂] (2-D); 1-D needs no transpose
  const split = outs.flatMap((o, i) => [o, pool[i]]);
  const perm = [0, 1, ...outs.map((_, i) => 2 + 2 * i), ...outs.map((_, i) => 3 + 2 * i)];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return {
    cells: (x) => {
      const cropped = op(ctx, 'Slice', [x, g.int64s(axes.map(() => 0)), g.int64s(covered), g.int64s(axes)]);
      const grouped = op(ctx, 'Reshape', [cropped, g.int64s([-1, channels, ...split])]);
      const ordered = size.length === 1 ? grouped : op(ctx, 'Transpose', [grouped], { perm });
      return op(ctx, 'Reshape', [ordered, g.int64s([-1, channels, ...outs, cellCount])]);
    },
    spread: (v) => {
      const grouped = op(ctx, 'Reshape', [v, g.int64s([-1, channels, ...outs, ...pool])]);
      const ordered = size.length === 1 ? grouped : op(ctx, 'Transpose', [grouped], { perm: inverse });
      const laid = op(ctx, 'Reshape', [ordered, g.int64s([-1, channels, ...covered])]);
      if (covered.every((c, i) => c === size[i])) return laid;
      const pads = [0, 0, ...axes.map(() => 0), 0, 0, ...size.map((s, i) => s - covered[i])];
      return op(ctx, 'Pad', [laid, g.int64s(pads)], { mode: 'constant' });
    },
  };
}

/** One-hot `[n, c, ...outputs, cells]` of each window's first cell within `TIE_TOLERANCE` of the maximum. */
function firstWinners(ctx: GradientContext, cells: string, count: number): string {
  const g = ctx.graph;
  const top = op(ctx, 'ReduceMax', [cells], { axes: [-1], keepdims: 1 });
  const floor = op(ctx, 'Sub', [top, op(ctx, 'Mul', [op(ctx, 'Abs', [top]), g.scalar(TIE_TOLERANCE)])]);
  const tied = op(ctx, 'Cast', [op(ctx, 'GreaterOrEqual', [cells, floor])], { to: 6 });
  const winner = op(ctx, 'ArgMax', [tied], { axis: -1, keepdims: 1, select_last_index: 0 });
  return indicator(ctx, op(ctx, 'Equal', [winner, g.int64s(Array.from({ length: count }, (_, i) => i))]));
}

/**
 * On `[inputs; references]` with y = pool(x), y₀ = pool(x₀), m = max(y, y₀): the input rows take
 * [|Δx| < 1e-10]·U_x(dy) + (1/Δx)·[U_x(dy·(m − y₀)) + U_x₀(dy·(y − m))] (1/Δx taken as 0 where |Δx| < 1e-10), U routing
 * a window's value to its first winner; the reference rows take none.
 * @throws WingbeatsError UNSUPPORTED_MODEL for a pool with padding or strides other than its size.
 */
export const deepliftMaxPoolGradient: GradientBuilder = (ctx) => {
  const g = ctx.graph;
  const node = ctx.node;
  const { kernel_shape: pool, strides, pads } = node.attributes as Record<string, number[]>;
  if (strides.some((s, i) => s !== pool[i]) || (pads ?? []).some((p) => p !== 0))
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      "DeepLIFT's max-pool rule needs non-overlapping 'valid' pooling (strides = pool size); a MaxPool has another geometry.",
    );
  const [channels, ...size] = g.shapeOf(node.inputs[0]);
  const w = windows(ctx, pool, size, channels);
  const count = pool.reduce((a, b) => a * b, 1);
  const [x1, x0] = halves(ctx, node.inputs[0]);
  const [y1, y0] = halves(ctx, node.outputs[0]);
  const [dy1] = halves(ctx, upstream(ctx));
  const dx = op(ctx, 'Sub', [x1, x0]);
  const small = op(ctx, 'Less', [op(ctx, 'Abs', [dx]), g.scalar(RESCALE_EPSILON)]);
  const inverse = op(ctx, 'Where', [
    small,
    g.scalar(0),
    op(ctx, 'Div', [g.scalar(1), op(ctx, 'Where', [small, g.scalar(1), dx])]),
  ]);
  const top = op(ctx, 'Max', [y1, y0]);
  const own = firstWinners(ctx, w.cells(x1), count);
  const theirs = firstWinners(ctx, w.cells(x0), count);
  const route = (v: string, winners: string): string =>
    w.spread(op(ctx, 'Mul', [op(ctx, 'Unsqueeze', [v, g.int64s([-1])]), winners]));
  const plainTerm = op(ctx, 'Mul', [route(dy1, own), indicator(ctx, small)]);
  const ownTerm = route(op(ctx, 'Mul', [dy1, op(ctx, 'Sub', [top, y0])]), own);
  const referenceTerm = route(op(ctx, 'Mul', [dy1, op(ctx, 'Sub', [y1, top])]), theirs);
  const scaled = op(ctx, 'Mul', [op(ctx, 'Add', [ownTerm, referenceTerm]), inverse]);
  const input = op(ctx, 'Add', [plainTerm, scaled]);
  return [paired(ctx, input, op(ctx, 'ConstantOfShape', [op(ctx, 'Shape', [x0])]))];
};
