/**
 * The options the Keras 1-D convolutions TensorFlow.js lacks (`Conv1DTranspose`, `SeparableConv1D`) share, read and
 * checked once: filters, kernel size, stride, `same`/`valid` padding, dilation 1, channels last, activation, bias; each
 * refusal one line naming the layer and the option.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/** The shared Keras config keys (camel-cased by TensorFlow.js's config reader). */
export interface Conv1DCommonArgs {
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
  filters: number;
  kernelSize: number | number[];
  strides?: number | number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
  activation?: string | null;
  useBias?: boolean;
}

/** The checked shared options, and the layer's own refusal and positive-integer readers for its other options. */
export interface Conv1DOptions {
  filters: number;
  kernelSize: number;
  stride: number;
  padding: 'same' | 'valid';
  activationName: string;
  activationLayer: tf.layers.Layer;
  useBias: boolean;
  /** A refusal of `option` with `value`, saying what runs. */
  refuse: (option: string, value: unknown, expected: string) => WingbeatsError;
  /** `value` (a number or a one-element list) as a positive integer, else a refusal of `option`. */
  positive: (option: string, value: unknown) => number;
}

/** A one-element list as its element (a longer list as NaN, refused by the readers); anything else as it is. */
export function singleValue(value: unknown): unknown {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : Number.NaN) : value;
}

/**
 * Reads and checks the shared options of a 1-D convolution layer of class `className` (named `fallbackName` when
 * its config has no name).
 *
 * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the layer and the option: a non-positive size, a padding other
 *   than `same`/`valid`, a dilation other than 1, channels-first data.
 */
export function readConv1DOptions(args: Conv1DCommonArgs, className: string, fallbackName: string): Conv1DOptions {
  const name = String(args.name ?? fallbackName);
  const refuse = (option: string, value: unknown, expected: string): WingbeatsError =>
    new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${name}' (${className}) has ${option} ${JSON.stringify(value)}; wingbeats-xai runs ${expected}.`,
    );
  const positive = (option: string, value: unknown): number => {
    const n = singleValue(value);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw refuse(option, value, 'a positive integer');
    return n;
  };
  const filters = positive('filters', args.filters);
  const kernelSize = positive('kernel_size', args.kernelSize);
  const stride = positive('strides', args.strides ?? 1);
  const padding = String(args.padding ?? 'valid').toLowerCase();
  if (padding !== 'same' && padding !== 'valid') throw refuse('padding', args.padding, "'same' or 'valid' only");
  if (singleValue(args.dilationRate ?? 1) !== 1) throw refuse('dilation_rate', args.dilationRate, 'dilation 1 only');
  const format = String(args.dataFormat ?? 'channelsLast')
    .toLowerCase()
    .replace('_', '');
  if (format !== 'channelslast') throw refuse('data_format', args.dataFormat, 'channels-last data only');
  const activationName = args.activation ?? 'linear';
  return {
    filters,
    kernelSize,
    stride,
    padding,
    activationName,
    activationLayer: tf.layers.activation({ activation: activationName as 'linear' }),
    useBias: args.useBias ?? true,
    refuse,
    positive,
  };
}

/**
 * A Keras 1-D convolution TensorFlow.js lacks: its shared options read and checked once (see
 * {@link readConv1DOptions}), and their config; a subclass adds its own options, weights and `call`.
 */
export abstract class KerasConv1DLayer extends tf.layers.Layer {
  readonly filters: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: 'same' | 'valid';
  readonly activationName: string;
  readonly useBias: boolean;
  protected readonly activationLayer: tf.layers.Layer;
  /** The layer's refusal and positive-integer readers, for the options only the subclass has. */
  protected readonly read: Pick<Conv1DOptions, 'refuse' | 'positive'>;

  protected constructor(args: Conv1DCommonArgs, className: string, fallbackName: string) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    const options = readConv1DOptions(args, className, fallbackName);
    this.filters = options.filters;
    this.kernelSize = options.kernelSize;
    this.stride = options.stride;
    this.padding = options.padding;
    this.activationName = options.activationName;
    this.activationLayer = options.activationLayer;
    this.useBias = options.useBias;
    this.read = { refuse: options.refuse, positive: options.positive };
  }

  /** The shared options as TensorFlow.js config keys (dilation 1), after the base layer's. */
  protected sharedConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.stride,
      padding: this.padding,
      dilationRate: 1,
      activation: this.activationName,
      useBias: this.useBias,
    };
  }
}

/**
 * The channels of a 1-D convolution's input shape `[batch, time, channels]`.
 *
 * @throws WingbeatsError `UNSUPPORTED_MODEL` naming the layer when the shape is of another rank or its channels unknown.
 */
export function conv1DInputChannels(inputShape: tf.Shape | tf.Shape[], layer: string, className: string): number {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  const channels = shape[2];
  if (shape.length !== 3 || channels === null)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${layer}' (${className}) gets an input of shape [${shape.map((d) => d ?? 'null').join(',')}]; it takes [batch, time, channels] with known channels.`,
    );
  return channels;
}
