/**
 * DeepLIFT's max-pool rule (src/rules/deeplift-max-pool.ts) as the gradient of the ONNX `MaxPool` on a paired batch,
 * computed window by window: the cells of each window of a non-overlapping unpadded pool are laid out place-major
 * (`[n, places, c, ...outputs]`: SpaceToDepth for square 2-D pools, else Reshape and Transpose), so every per-window
 * value broadcasts over whole contiguous planes; each window's first winner (values within 1e-6 of the maximum tie)
 * comes from one maximum over a key per place, and the result is laid back over the input once.
 */
import { RESCALE_EPSILON } from '../../rules/deeplift-rescale.js';
import { WingbeatsError } from '../../util/errors.js';
import { GradientBuilder, GradientContext, op, upstream } from '../op-gradient.js';
import { halves } from './rule-graph.js';

/** Values within this relative distance of a window's maximum count as tied (as the TF.js rule). */
const TIE_TOLERANCE = 1e-6;

/** A channels-first pool input `[n, c, ...spatial]` seen window by window, and pooled values beside its windows. */
interface Windows {
  /** The cells of `x` (the part a 'valid' pool covers) as `[n, places, c, ...outputs]`. */
  cells(x: string): string;
  /** A pooled `[n, c, ...outputs]` value as `[n, 1, c, ...outputs]`, broadcast over the places of its window. */
  pooled(v: string): string;
  /** `[n, places, c, ...outputs]` laid back over the input (zeros where 'valid' pooling cropped). */
  spread(v: string): string;
  /** A constant `[1, places, 1, ...]` of `f(place)`, places in row-major window order. */
  perPlace(hint: string, f: (place: number) => number): string;
}

function windows(ctx: GradientContext, pool: number[], size: number[], channels: number): Windows {
  const g = ctx.graph;
  const rank = pool.length;
  const outs = size.map((s, i) => Math.floor(s / pool[i]));
  const covered = outs.map((o, i) => o * pool[i]);
  const axes = size.map((_, i) => i + 2);
  const cropped = covered.some((c, i) => c !== size[i]);
  const count = pool.reduce((a, b) => a * b, 1);
  const placeMajor = g.int64s([-1, count, channels, ...outs]);
  // [n, c, o₁, p₁, o₂, p₂, ...] ↔ [n, p₁, p₂, ..., c, o₁, o₂, ...] (SpaceToDepth's order for a square 2-D pool)
  const square = rank === 2 && pool[0] === pool[1];
  const perm = [0, ...pool.map((_, i) => 3 + 2 * i), 1, ...outs.map((_, i) => 2 + 2 * i)];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return {
    cells: (x) => {
      const part = cropped ? op(ctx, 'Slice', [x, g.int64s(axes.map(() => 0)), g.int64s(covered), g.int64s(axes)]) : x;
      const moved = square
        ? op(ctx, 'SpaceToDepth', [part], { blocksize: pool[0] })
        : op(
            ctx,
            'Transpose',
            [op(ctx, 'Reshape', [part, g.int64s([-1, channels, ...outs.flatMap((o, i) => [o, pool[i]])])])],
            { perm },
          );
      return op(ctx, 'Reshape', [moved, placeMajor]);
    },
    pooled: (v) => op(ctx, 'Reshape', [v, g.int64s([-1, 1, channels, ...outs])]),
    spread: (v) => {
      const laid = square
        ? op(ctx, 'DepthToSpace', [op(ctx, 'Reshape', [v, g.int64s([-1, count * channels, ...outs])])], {
            blocksize: pool[0],
            mode: 'DCR',
          })
        : op(ctx, 'Reshape', [
            op(ctx, 'Transpose', [op(ctx, 'Reshape', [v, g.int64s([-1, ...pool, channels, ...outs])])], {
              perm: inverse,
            }),
            g.int64s([-1, channels, ...covered]),
          ]);
      if (!cropped) return laid;
      const pads = [0, 0, ...axes.map(() => 0), 0, 0, ...size.map((s, i) => s - covered[i])];
      return op(ctx, 'Pad', [laid, g.int64s(pads)], { mode: 'constant' });
    },
    perPlace: (hint, f) =>
      g.floats(
        hint,
        Float32Array.from({ length: count }, (_, k) => f(k)),
        [1, count, 1, ...outs.map(() => 1)],
      ),
  };
}

/**
 * On `[inputs; references]` with y = pool(x), y₀ = pool(x₀), m = max(y, y₀): the input rows take
 * [|Δx| < 1e-10]·U_x(dy) + (1/Δx)·[U_x(dy·(m − y₀)) + U_x₀(dy·(y − m))] (1/Δx taken as 0 where |Δx| < 1e-10), U routing
 * a window's value to its first winner (a paired-batch rule: dy and the result are the input rows'). As one of m − y₀
 * and y − m is 0, the second term is dy·(y − y₀)/Δx at the winner of x where y ≥ y₀, else at the winner of x₀. (A
 * window where nothing ties its maximum — NaN values — routes nothing.)
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
  const dy = upstream(ctx);
  // Both halves at once: a cell's key is 3·count − place where it ties its window's maximum (y), else count − place;
  // the largest key of a window is its first tied cell's.
  const cells = w.cells(node.inputs[0]);
  const top = w.pooled(node.outputs[0]);
  const floor = op(ctx, 'Sub', [top, op(ctx, 'Mul', [op(ctx, 'Abs', [top]), g.scalar(TIE_TOLERANCE)])]);
  const tiedKey = w.perPlace('tied_key', (k) => 3 * count - k);
  const key = op(ctx, 'Where', [
    op(ctx, 'GreaterOrEqual', [cells, floor]),
    tiedKey,
    w.perPlace('untied_key', (k) => count - k),
  ]);
  const [best1, best0] = halves(ctx, op(ctx, 'ReduceMax', [key], { axes: [1], keepdims: 1 }));
  const [y1, y0] = halves(ctx, node.outputs[0]);
  const [cells1, cells0] = halves(ctx, cells);
  const dx = op(ctx, 'Sub', [cells1, cells0]);
  const small = op(ctx, 'Less', [op(ctx, 'Abs', [dx]), g.scalar(RESCALE_EPSILON)]);
  const own = op(ctx, 'Equal', [tiedKey, best1]);
  const ahead = w.pooled(op(ctx, 'GreaterOrEqual', [y1, y0]));
  const routed = op(ctx, 'Equal', [tiedKey, op(ctx, 'Where', [ahead, best1, best0])]);
  const change = w.pooled(op(ctx, 'Mul', [dy, op(ctx, 'Sub', [y1, y0])]));
  const plainTerm = op(ctx, 'Where', [own, w.pooled(dy), g.scalar(0)]);
  // 1/Δx as a Reciprocal: ONNX Runtime fuses Div(1, Δx) into the Mul after it (a/b, not a·(1/b) as TensorFlow.js)
  const scaled = op(ctx, 'Where', [routed, op(ctx, 'Mul', [change, op(ctx, 'Reciprocal', [dx])]), g.scalar(0)]);
  return [w.spread(op(ctx, 'Where', [small, plainTerm, scaled]))];
};
