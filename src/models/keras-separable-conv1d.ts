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

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const [batch] = x.shape;
      // [k, in, m] → [k, 1, in, m]; [1, in·m, filters] → [1, 1, in·m, filters]; x [batch, time, 1, in]
      const depthwise = tf.expandDims(this.depthwiseKernel!.read(), 1) as tf.Tensor4D;
      const pointwise = tf.expandDims(this.pointwiseKernel!.read(), 0) as tf.Tensor4D;
      // the executor's depthwise convolution: an exact input gradient on every backend (wasm has no depthwise backprop)
      const spread = depthwiseConv2dInputGradFriendly(
        tf.expandDims(x, 2) as tf.Tensor4D,
        depthwise,
        [this.stride, 1],
        this.padding,
        [1, 1],
      );
      const y = conv2dInputGradFriendly(spread, pointwise, [1, 1], 'valid', [1, 1]);
      const flat = tf.reshape(y, [batch, y.shape[1], this.filters]);
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

let registered = false;

/** Registers {@link SeparableConv1D} with TensorFlow.js's serialization (idempotent; `loadModel` calls it). */
export function registerKerasSeparableConv1D(): void {
  if (registered) return;
  tf.serialization.registerClass(SeparableConv1D);
  registered = true;
}
