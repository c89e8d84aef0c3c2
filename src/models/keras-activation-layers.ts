/**
 * Keras activation layers whose options TensorFlow.js does not run: `ELU` with an `alpha` other than 1 (TensorFlow.js
 * refuses it) and `ReLU` with `negative_slope` or `threshold` (TensorFlow.js ignores them and would compute a plain
 * ReLU). The loader renames such layers to `KerasELU` / `KerasReLU` (`keras-config-compat.ts`); both compute with
 * plain differentiable ops, so input gradients flow through them.
 */
import * as tf from '@tensorflow/tfjs';

/** Arguments of {@link KerasELU} (TensorFlow.js camel-cases the config keys). */
interface KerasELUArgs {
  name?: string;
  alpha?: number;
}

/** Keras's ELU: x for x > 0, alpha·(exp(x) − 1) otherwise. */
export class KerasELU extends tf.layers.Layer {
  static className = 'KerasELU';
  readonly alpha: number;

  constructor(args: KerasELUArgs) {
    super({ name: args.name });
    this.alpha = args.alpha ?? 1;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    // relu(x) + alpha·(exp(min(x, 0)) − 1): only ops with gradients (a comparison has none).
    return tf.tidy(() => tf.add(tf.relu(x), tf.mul(this.alpha, tf.sub(tf.exp(tf.minimum(x, 0)), 1))));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

/** Arguments of {@link KerasReLU}. */
interface KerasReLUArgs {
  name?: string;
  maxValue?: number | null;
  negativeSlope?: number;
  threshold?: number;
}

/**
 * Keras's ReLU with options, as Keras computes it: x·[x > threshold] clipped to [0, max_value], minus
 * negative_slope·relu(threshold − x).
 */
export class KerasReLU extends tf.layers.Layer {
  static className = 'KerasReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(args: KerasReLUArgs) {
    super({ name: args.name });
    this.maxValue = args.maxValue ?? null;
    this.negativeSlope = args.negativeSlope ?? 0;
    this.threshold = args.threshold ?? 0;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      // tf.step(x − threshold) is the mask [x > threshold] with a (zero) gradient.
      const above = tf.mul(x, tf.step(tf.sub(x, this.threshold)));
      const positive = this.maxValue === null ? tf.relu(above) : tf.clipByValue(above, 0, this.maxValue);
      return tf.sub(positive, tf.mul(this.negativeSlope, tf.relu(tf.sub(this.threshold, x))));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      maxValue: this.maxValue,
      negativeSlope: this.negativeSlope,
      threshold: this.threshold,
    };
  }
}

let registered = false;

/** Registers {@link KerasELU} and {@link KerasReLU} with TensorFlow.js's serialization (idempotent). */
export function registerKerasActivationLayers(): void {
  if (registered) return;
  tf.serialization.registerClass(KerasELU);
  tf.serialization.registerClass(KerasReLU);
  registered = true;
}
