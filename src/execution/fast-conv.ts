/**
 * Convolution whose input gradient is computed as a forward convolution with the flipped, transposed kernel.
 *
 * On the wasm backend `Conv2DBackpropInput` is a naive kernel that took ~72% of integrated gradients on the wingbeats
 * CNNs, while the forward `Conv2D` is fast (XNNPACK), and TensorFlow.js has no gradient at all for dilated convolutions.
 * For stride 1 (any dilation d) the input gradient of a convolution is exactly the "full" correlation of dy with the
 * kernel flipped in space and with in/out channels swapped, at the same dilation, with the padding mirrored: with the
 * dilated kernel extent e = d·(k−1)+1, forward pads (before b, after a) per axis → gradient pads (e−1−b, e−1−a).
 * Only d/dinput is defined (the kernel is a constant here); other strides use the plain op.
 */
import * as tf from '@tensorflow/tfjs';
import { withInputGradient } from './input-gradient.js';

type Padding = 'same' | 'valid';
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Explicit (before, after) padding of one axis for `padding` with this kernel size and stride (TensorFlow's rule). */
function stridedPads(size: number, kernel: number, stride: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [0, 0];
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * NHWC explicit padding of a convolution, and the mirrored padding of its stride-1 input gradient (e−1−before,
 * e−1−after), where `kh`, `kw` are the kernel's (dilated) extents.
 */
function forwardAndGradientPads(
  x: tf.Tensor4D,
  kh: number,
  kw: number,
  strides: [number, number],
  padding: Padding,
): [ExplicitPadding, ExplicitPadding] {
  const [hb, ha] = stridedPads(x.shape[1], kh, strides[0], padding);
  const [wb, wa] = stridedPads(x.shape[2], kw, strides[1], padding);
  return [
    [
      [0, 0],
      [hb, ha],
      [wb, wa],
      [0, 0],
    ],
    [
      [0, 0],
      [kh - 1 - hb, kh - 1 - ha],
      [kw - 1 - wb, kw - 1 - wa],
      [0, 0],
    ],
  ];
}

/** The kernel of the stride-1 input gradient: `kernel` (`[kh, kw, in, out]`) flipped in space, in/out swapped. */
export function flippedKernel(kernel: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D);
}

/**
 * 2-D convolution (NHWC) with a fast, exact input gradient for stride 1 (any dilation); other strides use `tf.conv2d`.
 * Gradients with respect to `kernel` are not provided (attribution needs d/dinput only). `flipped`: the
 * {@link flippedKernel} of `kernel` when the caller has it cached (default: computed in the backward pass).
 */
export function conv2dInputGradFriendly(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  strides: [number, number],
  padding: Padding,
  dilations: [number, number],
  flipped?: tf.Tensor4D,
): tf.Tensor4D {
  if (strides[0] !== 1 || strides[1] !== 1) {
    return tf.conv2d(x, kernel, strides, padding, 'NHWC', dilations);
  }
  const [kh, kw] = kernel.shape;
  const [explicit, mirrored] = forwardAndGradientPads(
    x,
    dilations[0] * (kh - 1) + 1,
    dilations[1] * (kw - 1) + 1,
    [1, 1],
    padding,
  );
  return withInputGradient(
    (input: tf.Tensor4D) => tf.conv2d(input, kernel, 1, explicit, 'NHWC', dilations),
    (dy, _x, [k]) => tf.conv2d(dy, flipped ?? flippedKernel(k as tf.Tensor4D), 1, mirrored, 'NHWC', dilations),
    // The kernel may be made in the pass (a folded batch norm): saved with the node, it outlives the forward pass.
    flipped === undefined ? [kernel] : [],
  )(x);
}

/**
 * 1-D convolution (NWC) through {@link conv2dInputGradFriendly}; `flipped` is the cached flipped kernel of the 2-D
 * kernel `[1, k, in, out]`, if any.
 */
export function conv1dInputGradFriendly(
  x: tf.Tensor3D,
  kernel: tf.Tensor3D,
  stride: number,
  padding: Padding,
  dilation: number,
  flipped?: tf.Tensor4D,
): tf.Tensor3D {
  const y = conv2dInputGradFriendly(
    tf.expandDims(x, 1) as tf.Tensor4D,
    tf.expandDims(kernel, 0) as tf.Tensor4D,
    [1, stride],
    padding,
    [1, dilation],
    flipped,
  );
  return tf.squeeze(y, [1]) as tf.Tensor3D;
}

/** Every `stride`-th row and column of a stride-1 result, with plain ops whose gradients exist on every backend. */
function subsample(y: tf.Tensor4D, strides: [number, number], outH: number, outW: number): tf.Tensor4D {
  if (strides[0] === 1 && strides[1] === 1) return y;
  const [b, h, w, c] = y.shape;
  const padded = tf.pad(y, [
    [0, 0],
    [0, outH * strides[0] - h],
    [0, outW * strides[1] - w],
    [0, 0],
  ]);
  const grouped = tf.reshape(padded, [b, outH, strides[0], outW, strides[1], c]);
  return tf.reshape(tf.slice(grouped, [0, 0, 0, 0, 0, 0], [b, outH, 1, outW, 1, c]), [b, outH, outW, c]) as tf.Tensor4D;
}

/**
 * Depthwise 2-D convolution (NHWC, kernel `[kh, kw, channels, multiplier]`) with an exact input gradient on every backend
 * (the wasm backend has no `DepthwiseConv2dNativeBackpropInput`): strides are done as a stride-1 convolution with
 * TensorFlow's padding followed by subsampling, and the stride-1 input gradient is the depthwise convolution of dy with
 * the flipped kernel (at the same dilation), one multiplier at a time. Strides and dilations are never both above 1
 * (as in Keras); such a call uses the plain op.
 */
export function depthwiseConv2dInputGradFriendly(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  strides: [number, number],
  padding: Padding,
  dilations: [number, number],
): tf.Tensor4D {
  const dilated = dilations[0] !== 1 || dilations[1] !== 1;
  if (dilated && (strides[0] !== 1 || strides[1] !== 1))
    return tf.depthwiseConv2d(x, kernel, strides, padding, 'NHWC', dilations);
  const [kh, kw, , multiplier] = kernel.shape;
  const [, h, w] = x.shape;
  const eh = dilations[0] * (kh - 1) + 1;
  const ew = dilations[1] * (kw - 1) + 1;
  const [explicit, mirrored] = forwardAndGradientPads(x, eh, ew, strides, padding);
  const stride1 = withInputGradient(
    (input: tf.Tensor4D) => tf.depthwiseConv2d(input, kernel, 1, explicit, 'NHWC', dilations),
    (dy) => {
      // One depthwise convolution of dy per multiplier, with that multiplier's flipped kernel.
      const flipped = tf.reverse(kernel, [0, 1]);
      const [b, oh, ow, outChannels] = dy.shape;
      const channels = outChannels / multiplier;
      const perMultiplier = tf.reshape(dy, [b, oh, ow, channels, multiplier]);
      const parts = Array.from({ length: multiplier }, (_, m) =>
        tf.depthwiseConv2d(
          tf.reshape(tf.slice(perMultiplier, [0, 0, 0, 0, m], [b, oh, ow, channels, 1]), [
            b,
            oh,
            ow,
            channels,
          ]) as tf.Tensor4D,
          tf.slice(flipped, [0, 0, 0, m], [kh, kw, channels, 1]) as tf.Tensor4D,
          1,
          mirrored,
          'NHWC',
          dilations,
        ),
      );
      return parts.length === 1 ? parts[0] : tf.addN(parts);
    },
  );
  const outH = padding === 'valid' ? Math.ceil((h - eh + 1) / strides[0]) : Math.ceil(h / strides[0]);
  const outW = padding === 'valid' ? Math.ceil((w - ew + 1) / strides[1]) : Math.ceil(w / strides[1]);
  return subsample(stride1(x), strides, outH, outW);
}
