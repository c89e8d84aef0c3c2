/**
 * Keras's `Conv1DTranspose` as a TensorFlow.js layer (TensorFlow.js has only Conv2DTranspose): the transposed 1-D
 * convolution of a `[batch, time, channels]` input, computed by `conv2dTranspose` on an added unit axis, to Keras's
 * output length (`same`: time · stride, `valid`: time · stride + max(kernel − stride, 0), or with `output_padding`
 * (time − 1) · stride + kernel − 2 · pad + output_padding), then the bias and the activation. Its kernel is Keras's
 * `[kernel, filters, in]`. `conv2dTranspose` has an input gradient, so input gradients flow through the layer.
 */
import * as tf from '@tensorflow/tfjs';
import { registerLayerOp } from '../execution/layer-ops.js';
import { type LayerOp, addBias, layerWeight, single } from '../execution/layer-op.js';
import { type Conv1DCommonArgs, KerasConv1DLayer, conv1DInputChannels, singleValue } from './keras-conv1d-options.js';

type Json = Record<string, unknown>;

/** Arguments of {@link Conv1DTranspose} (TensorFlow.js camel-cases the Keras config keys). */
interface Conv1DTransposeArgs extends Conv1DCommonArgs {
  outputPadding?: number | number[] | null;
}

/** Keras's `Conv1DTranspose` (channels last, dilation 1). */
export class Conv1DTranspose extends KerasConv1DLayer {
  static className = 'Conv1DTranspose';
  readonly outputPadding: number | null;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: Conv1DTransposeArgs) {
    super(args, 'Conv1DTranspose', 'conv1d_transpose');
    const { refuse } = this.read;
    const outputPadding = singleValue(args.outputPadding);
    if (outputPadding === null || outputPadding === undefined) this.outputPadding = null;
    else if (
      typeof outputPadding !== 'number' ||
      !Number.isInteger(outputPadding) ||
      outputPadding < 0 ||
      outputPadding >= this.stride
    )
      throw refuse('output_padding', args.outputPadding, 'an output padding in [0, strides)');
    else this.outputPadding = outputPadding;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = conv1DInputChannels(inputShape, this.name, 'Conv1DTranspose');
    const zeros = tf.initializers.zeros();
    this.kernel = this.addWeight('kernel', [this.kernelSize, this.filters, channels], 'float32', zeros);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', zeros);
    this.built = true;
  }

  /** Keras's output length for an input of `time` steps. */
  outputLength(time: number): number {
    const [k, s] = [this.kernelSize, this.stride];
    if (this.outputPadding === null) return this.padding === 'same' ? time * s : time * s + Math.max(k - s, 0);
    const pad = this.padding === 'same' ? Math.floor(k / 2) : 0;
    return (time - 1) * s + k - 2 * pad + this.outputPadding;
  }

  /**
   * The layer's linear part (no bias, no activation) on `x` `[batch, time, in]` with `kernel` (Keras's
   * `[kernel, filters, in]`; the layer's own by default): also what LRP's rules evaluate with modified kernels.
   */
  transposedConvolution(x: tf.Tensor, kernel: tf.Tensor = this.kernel!.read()): tf.Tensor {
    const [batch, time] = x.shape;
    const length = this.outputLength(time);
    // [k, filters, in] → [k, 1, filters, in]; x [batch, time, 1, in]
    const y = tf.conv2dTranspose(
      tf.expandDims(x, 2) as tf.Tensor4D,
      tf.expandDims(kernel, 1) as tf.Tensor4D,
      [batch, length, 1, this.filters],
      [this.stride, 1],
      this.padding,
    );
    return tf.reshape(y, [batch, length, this.filters]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const flat = this.transposedConvolution(x);
      const biased = this.bias === null ? flat : tf.add(flat, this.bias.read());
      return this.activationLayer.apply(biased) as tf.Tensor;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, time] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [batch, time === null ? null : this.outputLength(time), this.filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const config: Json = {
      ...this.sharedConfig(),
      outputPadding: this.outputPadding,
    };
    return config as tf.serialization.ConfigDict;
  }
}

/**
 * The executor's op of {@link Conv1DTranspose}: the transposed convolution and bias, then the activation under the
 * pass's rules (DeepLIFT's rescale reaches a ReLU; a final softmax is dropped for logits, as on every engine).
 */
const conv1dTransposeOp: LayerOp = (layer, inputs, ctx) => {
  const transpose = layer as Conv1DTranspose;
  const y = transpose.transposedConvolution(single(inputs, layer), layerWeight(layer, 'kernel'));
  return ctx.activation(transpose.activationName, addBias(layer, y));
};

let registered = false;

/** Registers {@link Conv1DTranspose} with TensorFlow.js's serialization and the executor's ops (idempotent; `loadModel` calls it). */
export function registerKerasConv1DTranspose(): void {
  if (registered) return;
  tf.serialization.registerClass(Conv1DTranspose);
  registerLayerOp(Conv1DTranspose.className, conv1dTransposeOp);
  registered = true;
}
