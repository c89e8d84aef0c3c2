/**
 * Convolution whose input gradient is computed as a forward convolution with the flipped, transposed kernel.
 *
 * On the wasm backend `Conv2DBackpropInput` is a naive kernel that took ~72% of integrated gradients on the wingbeats
 * CNNs, while the forward `Conv2D` is fast (XNNPACK). For stride 1 and dilation 1 the input gradient of a convolution is
 * exactly the "full" correlation of dy with the kernel flipped in space and with in/out channels swapped, with the
 * padding mirrored: forward pads (before b, after a) per axis → gradient pads (k−1−b, k−1−a). Only d/dinput is defined
 * (the kernel is a constant here); other strides and dilations use the plain op.
 */
import * as tf from '@tensorflow/tfjs';

type Padding = 'same' | 'valid';

function pads(kernel: number, padding: Padding): [number, number] {
  if (padding === 'valid') return [0, 0];
  const total = kernel - 1;
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/**
 * 2-D convolution (NHWC) with a fast, exact input gradient for stride 1 and dilation 1; other settings use `tf.conv2d`.
 * Gradients with respect to `kernel` are not provided (attribution needs d/dinput only).
 */
export function conv2dInputGradFriendly(
  x: tf.Tensor4D,
  kernel: tf.Tensor4D,
  strides: [number, number],
  padding: Padding,
  dilations: [number, number],
): tf.Tensor4D {
  if (strides[0] !== 1 || strides[1] !== 1 || dilations[0] !== 1 || dilations[1] !== 1) {
    return tf.conv2d(x, kernel, strides, padding, 'NHWC', dilations);
  }
  const [kh, kw] = kernel.shape;
  const [hb, ha] = pads(kh, padding);
  const [wb, wa] = pads(kw, padding);
  const forward = tf.customGrad(((input: tf.Tensor4D, save: tf.GradSaveFunc) => {
    save([]);
    return {
      value: tf.conv2d(input, kernel, 1, padding, 'NHWC'),
      gradFunc: (dy: tf.Tensor4D) => {
        const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        return tf.conv2d(dy, flipped, 1, [[0, 0], [kh - 1 - hb, kh - 1 - ha], [kw - 1 - wb, kw - 1 - wa], [0, 0]], 'NHWC');
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]) as (input: tf.Tensor4D) => tf.Tensor4D;
  return forward(x);
}

/** 1-D convolution (NWC) through {@link conv2dInputGradFriendly}. */
export function conv1dInputGradFriendly(x: tf.Tensor3D, kernel: tf.Tensor3D, stride: number, padding: Padding, dilation: number): tf.Tensor3D {
  const y = conv2dInputGradFriendly(
    tf.expandDims(x, 1) as tf.Tensor4D,
    tf.expandDims(kernel, 0) as tf.Tensor4D,
    [1, stride],
    padding,
    [1, dilation],
  );
  return tf.squeeze(y, [1]) as tf.Tensor3D;
}
