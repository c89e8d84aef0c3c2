/**
 * The custom Keras layers of the wingbeats project (`CNN1D`, `CNN2D`, `ConvBlock1d`, `ConvBlock2d`, `DenseBlock`,
 * `L2_Norm`, `Identity`) as real TensorFlow.js layers, plus the ops through which the explainable-model adapter
 * executes them sublayer by sublayer (so guided ReLU, Monte-Carlo dropout and the wasm-safe Conv2D apply inside them).
 *
 * Each composite layer builds its sublayers inside its own name scope, so its weights are named as in the Keras
 * file (`CNN_Blocks_X/conv_block_16/conv1d_16/kernel`). Config keys follow the Keras names (`num_filters`,
 * `drop_rate`, `monte_carlo_dropout`, `units`, `reg_param`), seen camel-cased by TensorFlow.js.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { registerLayerOp } from '../execution/layer-ops.js';
import type { ExecutionContext } from '../execution/layer-op.js';

type Shape = (number | null)[];
type Kwargs = Record<string, unknown>;
/** Base arguments of every layer (name, trainable, dtype, ...). */
export type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

function one(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function oneShape(shape: tf.Shape | tf.Shape[]): Shape {
  return (Array.isArray(shape[0]) || shape[0] === undefined ? ((shape as Shape[])[0] ?? []) : shape) as Shape;
}

/** A layer made of sublayers: builds them in its name scope and reports their weights as its own. */
abstract class CompositeLayer extends tf.layers.Layer {
  /** The sublayers in execution order (weightless ones included). */
  abstract sublayers(): tf.layers.Layer[];

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    // Applying each sublayer to a symbolic tensor builds it inside this layer's name scope (set by Layer.apply),
    // which gives its weights Keras-style nested names.
    let symbolic: tf.SymbolicTensor = tf.input({ batchShape: oneShape(inputShape) });
    for (const layer of this.sublayers()) symbolic = layer.apply(symbolic) as tf.SymbolicTensor;
    this.built = true;
  }

  override get trainableWeights(): tf.LayerVariable[] {
    return this.trainable ? this.sublayers().flatMap((l) => l.trainableWeights) : [];
  }

  override get nonTrainableWeights(): tf.LayerVariable[] {
    return this.trainable
      ? this.sublayers().flatMap((l) => l.nonTrainableWeights)
      : this.sublayers().flatMap((l) => [...l.trainableWeights, ...l.nonTrainableWeights]);
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    let shape: tf.Shape | tf.Shape[] = oneShape(inputShape);
    for (const layer of this.sublayers()) shape = layer.computeOutputShape(shape);
    return shape;
  }
}

/** Arguments of {@link ConvBlock1d} / {@link ConvBlock2d}. */
export interface ConvBlockArgs extends LayerArgs {
  numFilters: number;
}

function checkPositiveInteger(className: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Argument '${name}' passed to '${className}' must be a positive integer but got ${String(value)}.`,
    );
  }
  return value;
}

/** `Conv(num_filters, 3, 'same') → BatchNorm → ReLU → MaxPool(2, 'valid')`, in 1-D or 2-D. */
abstract class ConvBlock extends CompositeLayer {
  readonly numFilters: number;
  readonly conv: tf.layers.Layer;
  readonly bnorm: tf.layers.Layer;
  readonly maxpool: tf.layers.Layer;

  constructor(args: ConvBlockArgs, rank: 1 | 2) {
    super(args);
    const n = checkPositiveInteger(rank === 1 ? 'ConvBlock1d' : 'ConvBlock2d', 'numFilters', args.numFilters);
    this.numFilters = n;
    this.conv =
      rank === 1
        ? tf.layers.conv1d({ filters: n, kernelSize: 3, strides: 1, padding: 'same', name: `conv1d_${n}` })
        : tf.layers.conv2d({ filters: n, kernelSize: 3, strides: 1, padding: 'same', name: `conv2d_${n}` });
    this.bnorm = tf.layers.batchNormalization({ name: `batch_norm_${n}`, epsilon: 1e-3 });
    this.maxpool =
      rank === 1
        ? tf.layers.maxPooling1d({ poolSize: 2, strides: 2, padding: 'valid', name: `maxpool1d_${n}` })
        : tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `maxpool2d_${n}` });
  }

  sublayers(): tf.layers.Layer[] {
    return [this.conv, this.bnorm, this.maxpool];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const y = this.bnorm.apply(this.conv.apply(one(inputs)), kwargs) as tf.Tensor;
      return this.maxpool.apply(tf.relu(y)) as tf.Tensor;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numFilters: this.numFilters };
  }
}

/** The wingbeats 1-D convolutional block (`ConvBlock1d` in Keras). */
export class ConvBlock1d extends ConvBlock {
  static className = 'ConvBlock1d';
  constructor(args: ConvBlockArgs) {
    super(args, 1);
  }
}

/** The wingbeats 2-D convolutional block (`ConvBlock2d` in Keras). */
export class ConvBlock2d extends ConvBlock {
  static className = 'ConvBlock2d';
  constructor(args: ConvBlockArgs) {
    super(args, 2);
  }
}

/** Arguments of {@link CNN1D} / {@link CNN2D}. */
export interface CnnArgs extends LayerArgs {
  /** Rate of the Dropout after the conv blocks (0.5 in every released model). */
  dropRate: number;
  /** Keras' `mcdrop`: the original layer always applied dropout. Recorded; the adapter decides when dropout is on. */
  monteCarloDropout?: boolean;
}

/** Filter counts of the five conv blocks. */
export const CNN_FILTERS = [16, 32, 64, 128, 256] as const;

/** BatchNorm on the raw input → 5 conv blocks → Flatten (1-D) or GlobalAveragePooling (2-D) → Dropout. */
abstract class Cnn extends CompositeLayer {
  readonly dropRate: number;
  readonly monteCarloDropout: boolean;
  readonly bnorm0: tf.layers.Layer;
  readonly blocks: ConvBlock[];
  readonly pooling: tf.layers.Layer;
  readonly dropout: tf.layers.Layer;

  constructor(args: CnnArgs, rank: 1 | 2) {
    super(args);
    const rate = args.dropRate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Argument 'dropRate' passed to '${rank === 1 ? 'CNN1D' : 'CNN2D'}' must be a number in [0, 1) but got ${String(rate)}.`,
      );
    }
    this.dropRate = rate;
    this.monteCarloDropout = args.monteCarloDropout ?? false;
    this.bnorm0 = tf.layers.batchNormalization({ name: 'batch_norm_0', epsilon: 1e-3 });
    this.blocks = CNN_FILTERS.map((n) =>
      rank === 1
        ? new ConvBlock1d({ numFilters: n, name: `conv_block_${n}` })
        : new ConvBlock2d({ numFilters: n, name: `conv_block_${n}` }),
    );
    this.pooling =
      rank === 1
        ? tf.layers.flatten({ name: 'flatten' })
        : tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' });
    this.dropout = tf.layers.dropout({ rate, name: 'dropout' });
  }

  sublayers(): tf.layers.Layer[] {
    return [this.bnorm0, ...this.blocks, this.pooling, this.dropout];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let x = this.bnorm0.apply(one(inputs), kwargs) as tf.Tensor;
      for (const block of this.blocks) x = block.apply(x, kwargs) as tf.Tensor;
      x = this.pooling.apply(x) as tf.Tensor;
      return this.dropout.apply(x, { training: this.monteCarloDropout || kwargs.training === true }) as tf.Tensor;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dropRate: this.dropRate, monteCarloDropout: this.monteCarloDropout };
  }
}

/** The wingbeats 1-D feature extractor (Welch PSD input `[129, 1]` → 1024 features). */
export class CNN1D extends Cnn {
  static className = 'CNN1D';
  constructor(args: CnnArgs) {
    super(args, 1);
  }
}

/** The wingbeats 2-D feature extractor (spectrogram image `[129, T, 3]` → 256 features). */
export class CNN2D extends Cnn {
  static className = 'CNN2D';
  constructor(args: CnnArgs) {
    super(args, 2);
  }
}

/** Arguments of {@link DenseBlock}. */
export interface DenseBlockArgs extends LayerArgs {
  units: number;
  /** L2 regularisation factor of the Dense kernel (training only; recorded). */
  regParam?: number;
  /**
   * Name of the inner BatchNormalization (Keras numbers these globally: `batch_normalization_1`, ...). An object with
   * a `name` key because TensorFlow.js camel-cases every other string of a config when deserialising.
   */
  batchNorm?: { name: string };
  /** Name of the inner Dense (`dense`, `dense_1`, ...), likewise. */
  dense?: { name: string };
}

/** `BatchNorm → ReLU → Dense(units)` (the wingbeats hierarchical heads). */
export class DenseBlock extends CompositeLayer {
  static className = 'DenseBlock';
  readonly units: number;
  readonly regParam: number;
  readonly bnorm: tf.layers.Layer;
  readonly dense: tf.layers.Layer;

  constructor(args: DenseBlockArgs) {
    super(args);
    this.units = checkPositiveInteger('DenseBlock', 'units', args.units);
    this.regParam = args.regParam ?? 0;
    this.bnorm = tf.layers.batchNormalization({ name: args.batchNorm?.name ?? 'batch_normalization', epsilon: 1e-3 });
    this.dense = tf.layers.dense({ units: this.units, name: args.dense?.name ?? 'dense' });
  }

  sublayers(): tf.layers.Layer[] {
    return [this.bnorm, this.dense];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => this.dense.apply(tf.relu(this.bnorm.apply(one(inputs), kwargs) as tf.Tensor)) as tf.Tensor);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      regParam: this.regParam,
      batchNorm: { name: this.bnorm.name },
      dense: { name: this.dense.name },
    };
  }
}

/** `x / sqrt(max(sum(x²), 1e-12))` over the last axis, as `tf.math.l2_normalize`. */
export function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), 1e-12))));
}

/** L2 normalisation of the embedding head (`L2_Norm` in Keras; its inner Lambda is replaced by plain ops). */
export class L2Norm extends tf.layers.Layer {
  static className = 'L2_Norm';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return l2Normalize(one(inputs));
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }
}

/** `L2_Norm` under the name TensorFlow.js turns it into when deserialising (it camel-cases class names). */
class L2NormCamelCase extends L2Norm {
  static override className = 'L2Norm';
}

/** Returns its input (`Identity` in Keras; its inner Lambda is replaced by plain ops). */
export class Identity extends tf.layers.Layer {
  static className = 'Identity';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.clone(one(inputs));
  }
  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return oneShape(inputShape);
  }
}

/** Class names of the wingbeats custom layers, as Keras writes them. */
export const WINGBEATS_LAYER_CLASSES = [
  'CNN1D',
  'CNN2D',
  'ConvBlock1d',
  'ConvBlock2d',
  'DenseBlock',
  'L2_Norm',
  'Identity',
] as const;

function tensorOf(value: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(value) ? value[0] : value;
}

function convBlockOp(layer: tf.layers.Layer, inputs: tf.Tensor[], ctx: ExecutionContext): tf.Tensor {
  const block = layer as ConvBlock;
  const y = tensorOf(ctx.apply(block.bnorm, tensorOf(ctx.apply(block.conv, inputs[0]))));
  return tensorOf(ctx.apply(block.maxpool, ctx.relu(y)));
}

function cnnOp(layer: tf.layers.Layer, inputs: tf.Tensor[], ctx: ExecutionContext): tf.Tensor {
  const cnn = layer as Cnn;
  let x = tensorOf(ctx.apply(cnn.bnorm0, inputs[0]));
  for (const block of cnn.blocks) x = tensorOf(ctx.apply(block, x));
  return ctx.dropout(tensorOf(ctx.apply(cnn.pooling, x)), cnn.dropRate);
}

let registered = false;

/**
 * Makes the wingbeats custom layers known to TensorFlow.js deserialisation (`tf.serialization.registerClass`) and
 * to the explainable-model adapter (`registerLayerOp`). Idempotent; `loadModel` calls it for you.
 */
export function registerWingbeatsLayers(): void {
  if (registered) return;
  for (const cls of [CNN1D, CNN2D, ConvBlock1d, ConvBlock2d, DenseBlock, L2Norm, L2NormCamelCase, Identity]) {
    tf.serialization.registerClass(
      cls as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
    );
  }
  registerLayerOp('ConvBlock1d', convBlockOp);
  registerLayerOp('ConvBlock2d', convBlockOp);
  registerLayerOp('CNN1D', cnnOp);
  registerLayerOp('CNN2D', cnnOp);
  registerLayerOp('DenseBlock', (layer, inputs, ctx) => {
    const block = layer as DenseBlock;
    return ctx.apply(block.dense, ctx.relu(tensorOf(ctx.apply(block.bnorm, inputs[0]))));
  });
  registerLayerOp('L2_Norm', (_layer, inputs) => l2Normalize(inputs[0]));
  registerLayerOp('L2Norm', (_layer, inputs) => l2Normalize(inputs[0]));
  registerLayerOp('Identity', (_layer, inputs) => inputs[0]);
  registered = true;
}
