/** The contract of a layer op (how one Keras layer class is executed) and the helpers ops share. */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import type { FastPaths } from './execution-settings.js';

/** The kernel, bias and (when cached) flipped stride-1 gradient kernel a convolution uses in one pass. */
export interface ConvolutionWeights {
  kernel: tf.Tensor;
  bias?: tf.Tensor;
  /** The 4-D kernel of the stride-1 input gradient (`[1, k, out, in]` for Conv1D), when cached. */
  flipped?: tf.Tensor4D;
}

/** What an op may ask of the running execution. */
export interface ExecutionContext {
  /** Executes any layer (dispatching on its class name), e.g. the sublayers of a composite layer. */
  apply(layer: tf.layers.Layer, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[];
  /** ReLU under the propagation rules of the pass (same as `activation('relu', x)`). */
  relu(x: tf.Tensor): tf.Tensor;
  /** Applies a named Keras activation (`'relu'`, `'softmax'`, `'linear'`, ...) under the rules in force. */
  activation(name: string, x: tf.Tensor): tf.Tensor;
  /** Dropout: the identity unless Monte-Carlo dropout is switched on, then a seeded inverted-dropout mask. */
  dropout(x: tf.Tensor, rate: number): tf.Tensor;
  /** The fast paths in force for this pass (every switch resolved). */
  readonly fastPaths: Readonly<Required<FastPaths>>;
  /**
   * The weights a Conv1D/Conv2D layer uses in this pass: its own kernel and bias, or with the batch norm after it
   * folded in when the pass folds that pair (its batch norm then passes its input through), and the cached flipped
   * kernel when the kernel cache is on.
   */
  convolutionWeights(layer: tf.layers.Layer): ConvolutionWeights;
}

/** Executes one layer with plain ops. */
export type LayerOp = (layer: tf.layers.Layer, inputs: tf.Tensor[], ctx: ExecutionContext) => tf.Tensor | tf.Tensor[];

/** The current value of a layer weight whose name ends with `suffix` (`'kernel'`, `'bias'`, `'gamma'`, ...). */
export function layerWeight(layer: tf.layers.Layer, suffix: string): tf.Tensor | undefined {
  const variable = layer.weights.find((w) => {
    const name = w.originalName ?? w.name;
    const base = name.replace(/:\d+$/, '');
    return base === suffix || base.endsWith(`/${suffix}`);
  });
  return variable?.read();
}

export function config(layer: tf.layers.Layer): Record<string, any> {
  return layer.getConfig() as Record<string, any>;
}

export function activationName(layer: tf.layers.Layer): string {
  const act = config(layer).activation;
  return typeof act === 'string' ? act : 'linear';
}

export function single(inputs: tf.Tensor[], layer: tf.layers.Layer): tf.Tensor {
  if (inputs.length !== 1) {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${layer.name}' (${layer.getClassName()}) expects one input but got ${inputs.length}.`,
    );
  }
  return inputs[0];
}

export function pair(value: unknown, fallback: number): [number, number] {
  if (Array.isArray(value)) return [value[0] ?? fallback, value[1] ?? value[0] ?? fallback];
  if (typeof value === 'number') return [value, value];
  return [fallback, fallback];
}

export function first(value: unknown, fallback: number): number {
  if (Array.isArray(value)) return value[0] ?? fallback;
  if (typeof value === 'number') return value;
  return fallback;
}

export function requireChannelsLast(layer: tf.layers.Layer): void {
  const layerConfig = config(layer);
  const format = layerConfig.dataFormat ?? layerConfig.data_format;
  if (format !== undefined && format !== 'channelsLast' && format !== 'channels_last') {
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${layer.name}' uses data format '${format}'; only channels-last is supported.`,
    );
  }
}

/** The bias of a layer, or undefined when it has none. */
export function layerBias(layer: tf.layers.Layer): tf.Tensor | undefined {
  return config(layer).useBias === false ? undefined : layerWeight(layer, 'bias');
}

export function addBias(layer: tf.layers.Layer, y: tf.Tensor): tf.Tensor {
  const bias = layerBias(layer);
  return bias === undefined ? y : tf.add(y, bias);
}
