/**
 * The gradient of an `AveragePool` that averages over the valid elements of each window only (`count_include_pad` 0
 * with pads: torch's `count_include_pad=False`, TensorFlow's `same` padding): each output's gradient divided by the
 * number of input elements its window covers, spread back over them. Without pads every window is full and the plain
 * gradient (dy / window size, spread back) is the same.
 */
import { sizeOf } from '../lowering-context.js';
import type { GradientBuilder } from '../op-gradient.js';
import { op, upstream } from '../op-gradient.js';

/** The number of valid input positions of each output position's window along one axis. */
function axisCounts(size: number, out: number, kernel: number, stride: number, begin: number): number[] {
  return Array.from({ length: out }, (_, o) => {
    const first = o * stride - begin;
    return Math.max(0, Math.min(size, first + kernel) - Math.max(0, first));
  });
}

/** Wraps the plain AveragePool gradient `plain` (which divides by the window size) for windows cut by padding. */
export function validAveragePoolGradient(plain: GradientBuilder): GradientBuilder {
  return (ctx) => {
    const { kernel_shape: pool, strides, pads } = ctx.node.attributes as Record<string, number[]>;
    const rank = pool.length;
    if ((ctx.node.attributes.count_include_pad ?? 0) === 1 || (pads ?? []).every((p) => p === 0)) return plain(ctx);
    const spatial = ctx.graph.shapeOf(ctx.node.inputs[0]).slice(1);
    const out = ctx.graph.shapeOf(ctx.node.outputs[0]).slice(1);
    const counts = spatial.map((size, i) => axisCounts(size, out[i], pool[i], strides[i], pads[i]));
    // window size / valid count per output position: [1, ...out] broadcast over the batch and the channels
    const scale = new Float32Array(sizeOf(out));
    const full = sizeOf(pool);
    for (let flat = 0; flat < scale.length; flat++) {
      let rest = flat;
      let count = 1;
      for (let axis = rank - 1; axis >= 0; axis--) {
        count *= counts[axis][rest % out[axis]];
        rest = Math.floor(rest / out[axis]);
      }
      scale[flat] = count === 0 ? 0 : full / count;
    }
    const weights = ctx.graph.floats('avgpool_valid_scale', scale, [1, ...out]);
    return plain({ ...ctx, dys: [op(ctx, 'Mul', [upstream(ctx), weights])] });
  };
}
