/**
 * TensorFlow.js implementations of ONNX's `Resize` and `Upsample` (nearest and linear, 1-D and 2-D feature maps): one constant
 * interpolation matrix per resized axis (src/onnx-file/resize-weights.ts) multiplied in along that axis, so
 * TensorFlow.js's MatMul gradient is the resize's (a weighted scatter of the upstream gradient).
 */
import * as tf from '@tensorflow/tfjs';
import type { OpContext, OpImplementation } from './op-context.js';
import {
  type PlannedAxis,
  planResize,
  planUpsample,
  resizeInputIndices,
  resizeMatrixTransposed,
  upsampleScalesFromInput,
} from './resize-weights.js';

/** `x` multiplied along `axis` by the `[in, out]` matrix `weights` (the axis moved last and back; also Keras Resizing's). */
export function alongAxis(x: tf.Tensor, axis: number, weights: tf.Tensor2D): tf.Tensor {
  const last = x.rank - 1;
  const perm = Array.from({ length: x.rank }, (_, i) => i);
  perm[axis] = last;
  perm[last] = axis;
  const moved = axis === last ? x : tf.transpose(x, perm);
  const rows = tf.reshape(moved, [-1, weights.shape[0]]) as tf.Tensor2D;
  const resized = tf.reshape(tf.matMul(rows, weights), [...moved.shape.slice(0, -1), weights.shape[1]]);
  return axis === last ? resized : tf.transpose(resized, perm);
}

function resize(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const at = resizeInputIndices(ctx.opset);
  const plan = planResize(
    ctx.node,
    x.shape,
    ctx.numbers(at.scales),
    at.sizes === undefined ? undefined : ctx.numbers(at.sizes),
  );
  return resized(ctx, x, plan);
}

/** `Upsample` (opsets 7–9): Resize with asymmetric coordinates. */
function upsample(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const scales = upsampleScalesFromInput(ctx.opset) ? ctx.numbers(1) : ctx.ints('scales');
  return resized(ctx, x, planUpsample(ctx.node, x.shape, scales));
}

/** `x` resized along the planned axes (or the node refused with the plan's reason). */
function resized(ctx: OpContext, x: tf.Tensor, plan: PlannedAxis[] | string): tf.Tensor {
  if (typeof plan === 'string') throw ctx.refuse(plan);
  let y = x;
  for (const axis of plan) {
    const weights = tf.tensor2d(resizeMatrixTransposed(axis), [axis.inLength, axis.outLength]);
    y = alongAxis(y, axis.axis, weights);
  }
  return y;
}

/** The resampling ops by ONNX op type. */
export const RESIZE_OPS: [string, OpImplementation][] = [
  ['Resize', resize],
  ['Upsample', upsample],
];
