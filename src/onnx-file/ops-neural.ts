/**
 * TensorFlow.js implementations of ONNX's network ops (one function per op type). ONNX lays out feature maps
 * channels first (`[N, C, ...spatial]`, as torch does); convolutions and pooling run channels last on TensorFlow.js,
 * transposed in and out, and 1-D ones as 2-D with a height of 1.
 */
import * as tf from '@tensorflow/tfjs';
import { OpContext, OpImplementation, normaliseAxis } from './op-context.js';

/** Pads and windows of a 1-D or 2-D window op, as 2-D (height first). */
interface Windows {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [[top, bottom], [left, right]]. */
  pads: [[number, number], [number, number]];
}

/** `[N, C, L]` or `[N, C, H, W]` → `[N, H, W, C]` (L as W with H = 1). */
function toChannelsLast(ctx: OpContext, x: tf.Tensor): tf.Tensor4D {
  if (x.rank === 3) return tf.transpose(tf.expandDims(x, 2), [0, 2, 3, 1]) as tf.Tensor4D;
  if (x.rank === 4) return tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D;
  throw ctx.refuse(`has an input of rank ${x.rank}; 1-D and 2-D feature maps ([N, C, L], [N, C, H, W]) are supported`);
}

/** The inverse of {@link toChannelsLast} for an output of rank `rank`. */
function fromChannelsLast(y: tf.Tensor4D, rank: number): tf.Tensor {
  const back = tf.transpose(y, [0, 3, 1, 2]);
  return rank === 3 ? tf.squeeze(back, [2]) : back;
}

/** Reads kernel, strides, dilations and pads (explicit or auto_pad) of a window op on spatial sizes `sizes` (as 2-D). */
function windows(ctx: OpContext, rank: number, kernel: number[], sizes: [number, number]): Windows {
  const spatial = rank - 2;
  const as2d = (values: number[], fill: number): [number, number] =>
    spatial === 1 ? [fill, values[0]] : [values[0], values[1]];
  const k = as2d(kernel, 1);
  const strides = as2d(ctx.ints('strides') ?? Array(spatial).fill(1), 1);
  const dilations = as2d(ctx.ints('dilations') ?? Array(spatial).fill(1), 1);
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  let pads: [[number, number], [number, number]];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const pad = (axis: 0 | 1): [number, number] => {
      const out = Math.ceil(sizes[axis] / strides[axis]);
      const total = Math.max(0, (out - 1) * strides[axis] + (k[axis] - 1) * dilations[axis] + 1 - sizes[axis]);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
    };
    pads = [pad(0), pad(1)];
  } else {
    const p = autoPad === 'VALID' ? Array(2 * spatial).fill(0) : (ctx.ints('pads') ?? Array(2 * spatial).fill(0));
    pads =
      spatial === 1
        ? [
            [0, 0],
            [p[0], p[1]],
          ]
        : [
            [p[0], p[2]],
            [p[1], p[3]],
          ];
  }
  return { kernel: k, strides, dilations, pads };
}

/** Channels-last spatial sizes. */
function sizesOf(x: tf.Tensor4D): [number, number] {
  return [x.shape[1], x.shape[2]];
}

function conv(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const w = ctx.float(1);
  const group = ctx.number('group', 1);
  if (x.rank !== w.rank) throw ctx.refuse(`has a kernel of rank ${w.rank} for an input of rank ${x.rank}`);
  const xt = toChannelsLast(ctx, x);
  const win = windows(ctx, x.rank, w.shape.slice(2), sizesOf(xt));
  if (win.dilations.some((d) => d > 1) && win.strides.some((s) => s > 1))
    throw ctx.refuse('has both strides and dilations above 1');
  const padded = tf.pad(xt, [[0, 0], ...win.pads, [0, 0]]);
  // [M, C/g, (kH,) kW] → [kH, kW, C/g, M]
  const w4 = (w.rank === 3 ? tf.expandDims(w, 2) : w) as tf.Tensor4D;
  const channels = xt.shape[3];
  const outChannels = w.shape[0];
  let y: tf.Tensor4D;
  if (group === 1) {
    y = tf.conv2d(padded, tf.transpose(w4, [2, 3, 1, 0]) as tf.Tensor4D, win.strides, 'valid', 'NHWC', win.dilations);
  } else if (group === channels && w.shape[1] === 1 && outChannels % channels === 0) {
    const multiplier = outChannels / channels;
    const filter = tf.transpose(tf.reshape(w4, [channels, multiplier, win.kernel[0], win.kernel[1]]), [2, 3, 0, 1]);
    y = tf.depthwiseConv2d(padded, filter as tf.Tensor4D, win.strides, 'valid', 'NHWC', win.dilations);
  } else {
    if (channels % group !== 0 || outChannels % group !== 0)
      throw ctx.refuse(
        `has group ${group}, which does not divide ${channels} input and ${outChannels} output channels`,
      );
    const xs = tf.split(padded, group, 3) as tf.Tensor4D[];
    const ws = tf.split(w4, group, 0);
    y = tf.concat(
      xs.map((part, g) =>
        tf.conv2d(part, tf.transpose(ws[g], [2, 3, 1, 0]) as tf.Tensor4D, win.strides, 'valid', 'NHWC', win.dilations),
      ),
      3,
    ) as tf.Tensor4D;
  }
  if (ctx.input(2) !== undefined) y = tf.add(y, ctx.float(2));
  return fromChannelsLast(y, x.rank);
}

/**
 * ConvTranspose (1-D and 2-D, group 1, dilations 1, explicit pads and output_padding): TensorFlow.js's
 * `conv2dTranspose` (whose gradient is the convolution) to the full `(in − 1)·stride + kernel`, cropped by the pads and
 * extended by the output_padding. The ONNX weight `[C_in, C_out, k...]` is the filter `[k..., C_out, C_in]`.
 */
function convTranspose(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const w = ctx.float(1);
  if (x.rank !== w.rank) throw ctx.refuse(`has a kernel of rank ${w.rank} for an input of rank ${x.rank}`);
  const spatial = x.rank - 2;
  const group = ctx.number('group', 1);
  if (group !== 1) throw ctx.refuse(`has group ${group} (only group 1 is supported)`);
  const dilations = ctx.ints('dilations') ?? [];
  if (dilations.some((d) => d !== 1)) throw ctx.refuse(`has dilations [${dilations.join(', ')}] (only 1 is supported)`);
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET') throw ctx.refuse(`has auto_pad '${autoPad}' (only explicit pads are supported)`);
  if (ctx.ints('output_shape') !== undefined) throw ctx.refuse('has an output_shape (only pads are supported)');
  const xt = toChannelsLast(ctx, x);
  const as2d = (values: number[], fill: number): [number, number] =>
    spatial === 1 ? [fill, values[0]] : [values[0], values[1]];
  const kernel = as2d(w.shape.slice(2), 1);
  const strides = as2d(ctx.ints('strides') ?? Array<number>(spatial).fill(1), 1);
  const p = ctx.ints('pads') ?? Array<number>(2 * spatial).fill(0);
  const pads: [[number, number], [number, number]] =
    spatial === 1
      ? [
          [0, 0],
          [p[0], p[1]],
        ]
      : [
          [p[0], p[2]],
          [p[1], p[3]],
        ];
  const extra = as2d(ctx.ints('output_padding') ?? Array<number>(spatial).fill(0), 0);
  const sizes = sizesOf(xt);
  const full = [0, 1].map((a) => (sizes[a] - 1) * strides[a] + kernel[a]);
  const out = [0, 1].map((a) => full[a] - pads[a][0] - pads[a][1] + extra[a]);
  if (out.some((o) => o < 1)) throw ctx.refuse(`has an output of ${out.join(' × ')} cells`);
  const filter = tf.transpose((w.rank === 3 ? tf.expandDims(w, 2) : w) as tf.Tensor4D, [2, 3, 1, 0]) as tf.Tensor4D;
  const outChannels = filter.shape[2];
  let y = tf.conv2dTranspose(xt, filter, [xt.shape[0], full[0], full[1], outChannels], strides, 'valid');
  // crop the pads (an output_padding beyond the full size adds cells no input reaches: zeros)
  const kept = [0, 1].map((a) => Math.min(out[a], full[a] - pads[a][0]));
  y = tf.slice(y, [0, pads[0][0], pads[1][0], 0], [-1, kept[0], kept[1], -1]);
  if (kept[0] < out[0] || kept[1] < out[1])
    y = tf.pad(y, [
      [0, 0],
      [0, out[0] - kept[0]],
      [0, out[1] - kept[1]],
      [0, 0],
    ]);
  if (ctx.input(2) !== undefined) y = tf.add(y, ctx.float(2));
  return fromChannelsLast(y, x.rank);
}

/** Extra end padding so that ceil_mode's last partial window exists (PyTorch's rule: it must start inside the input or left pad). */
function ceilPads(win: Windows, sizes: [number, number]): [number, number] {
  return [0, 1].map((axis) => {
    const span = sizes[axis] + win.pads[axis][0] + win.pads[axis][1];
    const reach = (win.kernel[axis] - 1) * win.dilations[axis] + 1;
    let out = Math.ceil((span - reach) / win.strides[axis]) + 1;
    if ((out - 1) * win.strides[axis] >= sizes[axis] + win.pads[axis][0]) out--;
    return Math.max(0, (out - 1) * win.strides[axis] + reach - span);
  }) as [number, number];
}

function pool(ctx: OpContext, kind: 'max' | 'avg'): tf.Tensor {
  const x = ctx.float(0);
  const xt = toChannelsLast(ctx, x);
  const kernel = ctx.ints('kernel_shape');
  if (kernel === undefined) throw ctx.refuse('has no kernel_shape');
  const win = windows(ctx, x.rank, kernel, sizesOf(xt));
  if (win.dilations.some((d) => d > 1)) throw ctx.refuse('has dilations above 1');
  const extra = ctx.number('ceil_mode', 0) === 1 ? ceilPads(win, sizesOf(xt)) : [0, 0];
  const paddings: [number, number][] = [
    [0, 0],
    [win.pads[0][0], win.pads[0][1] + extra[0]],
    [win.pads[1][0], win.pads[1][1] + extra[1]],
    [0, 0],
  ];
  let y: tf.Tensor4D;
  if (kind === 'max') {
    y = tf.maxPool(tf.pad(xt, paddings, -Infinity), win.kernel, win.strides, 'valid');
  } else {
    const sums = tf.avgPool(tf.pad(xt, paddings), win.kernel, win.strides, 'valid');
    // The share of each window that counts: explicit pads count with count_include_pad, ceil_mode's extra never.
    const inside = tf.ones([1, xt.shape[1], xt.shape[2], 1]);
    const countPads = ctx.number('count_include_pad', 0) === 1;
    const counted = countPads
      ? tf.pad(inside, [[0, 0], win.pads[0], win.pads[1], [0, 0]], 1)
      : tf.pad(inside, [[0, 0], win.pads[0], win.pads[1], [0, 0]]);
    const share = tf.avgPool(
      tf.pad(counted, [
        [0, 0],
        [0, extra[0]],
        [0, extra[1]],
        [0, 0],
      ]) as tf.Tensor4D,
      win.kernel,
      win.strides,
      'valid',
    );
    y = tf.div(sums, share);
  }
  return fromChannelsLast(y, x.rank);
}

function batchNormalization(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const shape = [1, x.shape[1] as number, ...Array<number>(x.rank - 2).fill(1)];
  const param = (i: number) => tf.reshape(ctx.float(i), shape);
  const scale = tf.div(param(1), tf.sqrt(tf.add(param(4), ctx.number('epsilon', 1e-5))));
  return tf.add(tf.mul(tf.sub(x, param(3)), scale), param(2));
}

function instanceNormalization(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const axes = Array.from({ length: x.rank - 2 }, (_, i) => i + 2);
  const { mean, variance } = tf.moments(x, axes, true);
  const shape = [1, x.shape[1] as number, ...Array<number>(x.rank - 2).fill(1)];
  const normal = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, ctx.number('epsilon', 1e-5))));
  return tf.add(tf.mul(normal, tf.reshape(ctx.float(1), shape)), tf.reshape(ctx.float(2), shape));
}

function layerNormalization(ctx: OpContext): tf.Tensor {
  const x = ctx.float(0);
  const axis = normaliseAxis(ctx.number('axis', -1), x.rank);
  const axes = Array.from({ length: x.rank - axis }, (_, i) => i + axis);
  const { mean, variance } = tf.moments(x, axes, true);
  let y = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, ctx.number('epsilon', 1e-5))));
  y = tf.mul(y, ctx.float(1));
  return ctx.input(2) === undefined ? y : tf.add(y, ctx.float(2));
}

function gemm(ctx: OpContext): tf.Tensor {
  const product = tf.mul(
    tf.matMul(ctx.float(0), ctx.float(1), ctx.number('transA', 0) === 1, ctx.number('transB', 0) === 1),
    ctx.number('alpha', 1),
  );
  return ctx.input(2) === undefined ? product : tf.add(product, tf.mul(ctx.float(2), ctx.number('beta', 1)));
}

function matMul(ctx: OpContext): tf.Tensor {
  let a = ctx.float(0);
  let b = ctx.float(1);
  const vectorA = a.rank === 1;
  const vectorB = b.rank === 1;
  if (vectorA) a = tf.expandDims(a, 0);
  if (vectorB) b = tf.expandDims(b, 1);
  let y = tf.matMul(a, b);
  if (vectorB) y = tf.squeeze(y, [y.rank - 1]);
  if (vectorA) y = tf.squeeze(y, [y.rank - (vectorB ? 1 : 2)]);
  return y;
}

/** Softmax-like op over `axis`: opset 13+ over that axis alone; before, over everything from `axis` on (flattened). */
function overAxis(f: (x: tf.Tensor) => tf.Tensor): OpImplementation {
  return (ctx) => {
    const x = ctx.float(0);
    const axis = normaliseAxis(ctx.number('axis', ctx.opset >= 13 ? -1 : 1), x.rank);
    if (ctx.opset < 13) {
      const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      return tf.reshape(f(tf.reshape(x, [outer, -1])), x.shape);
    }
    if (axis === x.rank - 1) return f(x);
    const perm = Array.from({ length: x.rank }, (_, i) => i);
    perm[axis] = x.rank - 1;
    perm[x.rank - 1] = axis;
    return tf.transpose(f(tf.transpose(x, perm)), perm);
  };
}

function globalPool(reduce: (x: tf.Tensor, axes: number[]) => tf.Tensor): OpImplementation {
  return (ctx) => {
    const x = ctx.float(0);
    return reduce(
      x,
      Array.from({ length: x.rank - 2 }, (_, i) => i + 2),
    );
  };
}

/** Network ops by ONNX op type. */
export const NEURAL_OPS: [string, OpImplementation][] = [
  ['Conv', conv],
  ['ConvTranspose', convTranspose],
  [
    'MaxPool',
    (ctx) => {
      if (ctx.node.outputs.length > 1 && ctx.node.outputs[1] !== '')
        throw ctx.refuse('asks for the indices of the maxima');
      return pool(ctx, 'max');
    },
  ],
  ['AveragePool', (ctx) => pool(ctx, 'avg')],
  ['GlobalAveragePool', globalPool((x, axes) => tf.mean(x, axes, true))],
  ['GlobalMaxPool', globalPool((x, axes) => tf.max(x, axes, true))],
  ['BatchNormalization', batchNormalization],
  ['InstanceNormalization', instanceNormalization],
  ['LayerNormalization', layerNormalization],
  ['Gemm', gemm],
  ['MatMul', matMul],
  ['Softmax', overAxis((x) => tf.softmax(x))],
  ['LogSoftmax', overAxis((x) => tf.logSoftmax(x))],
];
