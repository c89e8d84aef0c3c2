/**
 * Keras's `SeparableConv1D` as a TensorFlow.js layer (TensorFlow.js has only SeparableConv2D): a depthwise 1-D
 * convolution (`depth_multiplier` filters per input channel, output channel c · multiplier + j), then a pointwise
 * (1-wide) convolution to `filters`, the bias and the activation, computed on an added unit axis by the executor's
 * depthwise and pointwise convolutions.
 * Its weights have Keras's shapes: `depthwise_kernel` `[kernel, in, multiplier]`, `pointwise_kernel`
 * `[1, in · multiplier, filters]`, `bias` `[filters]`. The ops have input gradients, so explanations flow through it.
 */
import * as tf from '@tensorflow/tfjs';
import { type Conv1DCommonArgs, KerasConv1DLayer, conv1DInputChannels } from './keras-conv1d-options.js';
import { conv2dInputGradFriendly, depthwiseConv2dInputGradFriendly } from '../execution/fast-conv.js';
import { registerLayerOp } from '../execution/layer-ops.js';
import { type LayerOp, addBias, layerWeight, single } from '../execution/layer-op.js';

/** Arguments of {@link SeparableConv1D} (TensorFlow.js camel-cases the Keras config keys). */
interface SeparableConv1DArgs extends Conv1DCommonArgs {
  depthMultiplier?: number;
}

/** Keras's `SeparableConv1D` (channels last, dilation 1, `same` or `valid`). */
export class SeparableConv1D extends KerasConv1DLayer {
  static className = 'SeparableConv1D';
  readonly depthMultiplier: number;
  private depthwiseKernel: tf.LayerVariable | null = null;
  private pointwiseKernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;

  constructor(args: SeparableConv1DArgs) {
    super(args, 'SeparableConv1D', 'separable_conv1d');
    this.depthMultiplier = this.read.positive('depth_multiplier', args.depthMultiplier ?? 1);
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const channels = conv1DInputChannels(inputShape, this.name, 'SeparableConv1D');
    const zeros = tf.initializers.zeros();
    const m = this.depthMultiplier;
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [this.kernelSize, channels, m], 'float32', zeros);
    this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, channels * m, this.filters], 'float32', zeros);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], 'float32', zeros);
    this.built = true;
  }

  /** TensorFlow's output length for an input of `time` steps. */
  outputLength(time: number): number {
    return this.padding === 'same'
      ? Math.ceil(time / this.stride)
      : Math.floor((time - this.kernelSize) / this.stride) + 1;
  }

  /**
   * The depthwise stage on `x` `[batch, time, in]` with `kernel` (Keras's `[kernel, in, multiplier]`; the layer's own
   * by default): `[batch, time', in · multiplier]`. LRP's rules evaluate it with modified kernels.
   */
  depthwise(x: tf.Tensor, kernel: tf.Tensor = this.depthwiseKernel!.read()): tf.Tensor {
    // [k, in, m] → [k, 1, in, m]; x [batch, time, 1, in]; the executor's depthwise convolution: an exact input
    // gradient on every backend (wasm has no depthwise backprop)
    const y = depthwiseConv2dInputGradFriendly(
      tf.expandDims(x, 2) as tf.Tensor4D,
      tf.expandDims(kernel, 1) as tf.Tensor4D,
      [this.stride, 1],
      this.padding,
      [1, 1],
    );
    return tf.squeeze(y, [2]);
  }

  /** The pointwise stage (no bias) on `x` `[batch, time, in · multiplier]` with `kernel` `[1, in · multiplier, filters]`. */
  pointwise(x: tf.Tensor, kernel: tf.Tensor = this.pointwiseKernel!.read()): tf.Tensor {
    const y = conv2dInputGradFriendly(
      tf.expandDims(x, 2) as tf.Tensor4D,
      tf.expandDims(kernel, 0) as tf.Tensor4D,
      [1, 1],
      'valid',
      [1, 1],
    );
    return tf.squeeze(y, [2]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const flat = this.pointwise(this.depthwise(x));
      const biased = this.bias === null ? flat : tf.add(flat, this.bias.read());
      return this.activationLayer.apply(biased) as tf.Tensor;
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, time] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [batch, time === null ? null : this.outputLength(time), this.filters];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...this.sharedConfig(),
      depthMultiplier: this.depthMultiplier,
    };
  }
}

/**
 * The executor's op of {@link SeparableConv1D}: depthwise, pointwise and bias, then the activation under the pass's
 * rules (DeepLIFT's rescale reaches a ReLU; a final softmax is dropped for logits, as on every engine).
 */
const separableConv1dOp: LayerOp = (layer, inputs, ctx) => {
  const separable = layer as SeparableConv1D;
  const spread = separable.depthwise(single(inputs, layer), layerWeight(layer, 'depthwise_kernel'));
  const y = separable.pointwise(spread, layerWeight(layer, 'pointwise_kernel'));
  return ctx.activation(separable.activationName, addBias(layer, y));
};

let registered = false;

/** Registers {@link SeparableConv1D} with TensorFlow.js's serialization and the executor's ops (idempotent; `loadModel` calls it). */
export function registerKerasSeparableConv1D(): void {
  if (registered) return;
  tf.serialization.registerClass(SeparableConv1D);
  registerLayerOp(SeparableConv1D.className, separableConv1dOp);
  registered = true;
}
