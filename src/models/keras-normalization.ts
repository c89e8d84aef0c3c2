/**
 * Keras's preprocessing layer `Normalization` (Keras 2.6+ and 3) as a TensorFlow.js layer, which TensorFlow.js lacks:
 * y = (x − mean) / max(√variance, ε) with Keras's ε = 1e-7, mean and variance broadcast over the kept `axis` (an
 * int, a list, or null for one scalar mean). The mean and variance come from the layer's weights after `adapt`
 * (`mean`, `variance` and `count`, as Keras names them) or from the config's `mean`/`variance` values. The layer
 * computes with plain differentiable ops, so input gradients flow through it; `invert: true` is refused by name.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';

/** Keras's `backend.epsilon()`, the floor of the standard deviation. */
export const NORMALIZATION_EPSILON = 1e-7;

type Values = number | Values[];

/** Arguments of {@link Normalization} (TensorFlow.js camel-cases the Keras config keys). */
interface NormalizationArgs {
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
  axis?: number | number[] | null;
  mean?: Values | null;
  variance?: Values | null;
  invert?: boolean;
}

function refuse(name: string, what: string): WingbeatsError {
  return new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${name}' (Normalization) ${what}.`);
}

/** The shape of a nested list of numbers (a number: `[]`), or null when ragged or not numbers. */
function shapeOf(value: Values): number[] | null {
  if (typeof value === 'number') return Number.isFinite(value) ? [] : null;
  if (!Array.isArray(value) || value.length === 0) return null;
  const inner = value.map(shapeOf);
  const first = inner[0];
  if (first === null || inner.some((s) => s === null || s.join(',') !== first.join(','))) return null;
  return [value.length, ...first];
}

/** The numbers of a nested list, in order. */
function flatValues(value: Values): number[] {
  return typeof value === 'number' ? [value] : value.flatMap(flatValues);
}

/** Keras's `Normalization`: (x − mean) / max(√variance, 1e-7) over the kept axes. */
export class Normalization extends tf.layers.Layer {
  static className = 'Normalization';
  /** Keras's `axis` as given (null: one mean for everything). */
  readonly axis: number[];
  readonly configMean: Values | null;
  readonly configVariance: Values | null;
  /** `[1, ...]` with the kept axes' sizes: how mean and variance broadcast over an input (set by `build`). */
  private broadcastShape: number[] = [];
  private meanVariable: tf.LayerVariable | null = null;
  private varianceVariable: tf.LayerVariable | null = null;

  constructor(args: NormalizationArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    const name = String(args.name ?? 'normalization');
    if (args.invert === true) throw refuse(name, 'has invert=True, which wingbeats-xai does not run');
    const axis = args.axis;
    const list = axis === null ? [] : axis === undefined ? [-1] : Array.isArray(axis) ? axis : [axis];
    if (list.some((a) => typeof a !== 'number' || !Number.isInteger(a)))
      throw refuse(name, `has axis ${JSON.stringify(axis)}; expected an integer, a list of integers or null`);
    this.axis = list;
    const mean = args.mean ?? null;
    const variance = args.variance ?? null;
    if ((mean === null) !== (variance === null))
      throw refuse(name, 'sets only one of mean and variance in its config; Keras needs both or neither');
    if (mean !== null && variance !== null) {
      const [m, v] = [shapeOf(mean), shapeOf(variance)];
      if (m === null || v === null || m.join(',') !== v.join(',') || m.length > list.length)
        throw refuse(
          name,
          `has config mean ${JSON.stringify(mean)} and variance ${JSON.stringify(variance)}; expected numbers or lists of the same shape, of rank at most ${list.length}`,
        );
    }
    this.configMean = mean;
    this.configVariance = variance;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
    const rank = shape.length;
    const kept = [...new Set(this.axis.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    const bad = kept.find((a) => a < 1 || a >= rank || shape[a] === null);
    if (bad !== undefined)
      throw refuse(
        this.name,
        `has axis ${JSON.stringify(this.axis)} on inputs of shape [${shape.map((d) => d ?? 'null').join(',')}]; ` +
          'wingbeats-xai normalises over non-batch axes of known size only',
      );
    this.broadcastShape = shape.map((d, i) => (kept.includes(i) ? (d as number) : 1));
    const keptShape = kept.map((a) => shape[a] as number);
    if (this.configMean === null) {
      this.meanVariable = this.addWeight('mean', keptShape, 'float32', tf.initializers.zeros(), undefined, false);
      this.varianceVariable = this.addWeight(
        'variance',
        keptShape,
        'float32',
        tf.initializers.ones(),
        undefined,
        false,
      );
      // Keras keeps the number of adapted samples (unused at inference) for backward compatibility.
      this.addWeight('count', [], 'float32', tf.initializers.zeros(), undefined, false);
    } else {
      // Config values align with the kept axes from the right, as NumPy broadcasting (and Keras) does.
      const valueShape = shapeOf(this.configMean) as number[];
      const keptSizes = keptShape.slice(keptShape.length - valueShape.length);
      if (valueShape.some((d, i) => d !== 1 && d !== keptSizes[i]))
        throw refuse(
          this.name,
          `has a config mean of shape [${valueShape.join(',')}] for kept axes of sizes [${keptShape.join(',')}]`,
        );
    }
    this.built = true;
  }

  /** Mean and variance shaped to broadcast over an input (`[1, ...]`, 1 on the reduced axes). */
  private statistics(): [tf.Tensor, tf.Tensor] {
    if (this.meanVariable !== null && this.varianceVariable !== null)
      return [
        tf.reshape(this.meanVariable.read(), this.broadcastShape),
        tf.reshape(this.varianceVariable.read(), this.broadcastShape),
      ];
    const place = (values: Values): tf.Tensor => {
      const valueShape = shapeOf(values) as number[];
      const t = tf.tensor(flatValues(values), valueShape, 'float32');
      // the value's axes are the last kept axes (right-aligned), the others 1
      const keptAxes = this.broadcastShape.map((d, i) => i).filter((i) => i > 0 && this.axisKept(i));
      const expanded = this.broadcastShape.map(() => 1);
      valueShape.forEach((d, i) => (expanded[keptAxes[keptAxes.length - valueShape.length + i]] = d));
      return tf.broadcastTo(tf.reshape(t, expanded), this.broadcastShape);
    };
    return [place(this.configMean as Values), place(this.configVariance as Values)];
  }

  private axisKept(i: number): boolean {
    const rank = this.broadcastShape.length;
    return this.axis.some((a) => (a < 0 ? a + rank : a) === i);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => {
      const [mean, variance] = this.statistics();
      return tf.div(tf.sub(x, mean), tf.maximum(tf.sqrt(variance), NORMALIZATION_EPSILON));
    });
  }

  /**
   * Mean and divisor max(√variance, ε) as they broadcast over one input row (shape without the batch axis), computed
   * as `call` computes them (for the ONNX lowering).
   */
  broadcastStatistics(): { mean: Float32Array; divisor: Float32Array; shape: number[] } {
    return tf.tidy(() => {
      const [mean, variance] = this.statistics();
      const divisor = tf.maximum(tf.sqrt(variance), NORMALIZATION_EPSILON);
      return {
        mean: (mean.dataSync() as Float32Array).slice(),
        divisor: (divisor.dataSync() as Float32Array).slice(),
        shape: this.broadcastShape.slice(1),
      };
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      axis: this.axis,
      mean: this.configMean,
      variance: this.configVariance,
      invert: false,
    };
  }
}

let registered = false;

/** Registers {@link Normalization} with TensorFlow.js's serialization (idempotent; `loadModel` calls it). */
export function registerKerasNormalization(): void {
  if (registered) return;
  tf.serialization.registerClass(Normalization);
  registered = true;
}
