/**
 * Keras's `UpSampling1D` as a TensorFlow.js layer (TensorFlow.js has only UpSampling2D): each time step of a
 * `[batch, time, features]` input repeated `size` times, `[batch, time · size, features]`. It computes with `tile`
 * and `reshape`, whose gradients sum the copies, so input gradients flow through it.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/** Arguments of {@link UpSampling1D}. */
interface UpSampling1DArgs {
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
  size?: number;
}

/** Keras's `UpSampling1D(size)`: y[t·size + r] = x[t] for r < size. */
export class UpSampling1D extends tf.layers.Layer {
  static className = 'UpSampling1D';
  readonly size: number;

  constructor(args: UpSampling1DArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    const size = args.size ?? 2;
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Layer '${String(args.name ?? 'up_sampling1d')}' (UpSampling1D) has size ${JSON.stringify(size)}; expected a positive integer.`,
      );
    this.size = size;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    if (shape.length !== 3)
      throw new WingbeatsError(
        'UNSUPPORTED_MODEL',
        `Layer '${this.name}' (UpSampling1D) gets an input of shape [${shape.map((d) => d ?? 'null').join(',')}]; Keras's UpSampling1D takes [batch, time, features].`,
      );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const [batch, time, features] = x.shape;
      const repeated = tf.tile(tf.expandDims(x, 2), [1, 1, this.size, 1]);
      return tf.reshape(repeated, [batch, time * this.size, features]);
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [batch, time, features] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [batch, time === null ? null : time * this.size, features];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), size: this.size };
  }
}

let registered = false;

/** Registers {@link UpSampling1D} with TensorFlow.js's serialization (idempotent; `loadModel` calls it). */
export function registerKerasUpSampling1D(): void {
  if (registered) return;
  tf.serialization.registerClass(UpSampling1D);
  registered = true;
}
