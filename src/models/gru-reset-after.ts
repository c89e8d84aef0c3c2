/**
 * Keras's GRU with `reset_after=True` (the TensorFlow 2 and Keras 3 default) as a registered TensorFlow.js layer,
 * `GRUResetAfter`: TensorFlow.js's own GRU refuses that setting. The loader renames such GRU layers in a Keras config
 * to this class; its weights are Keras's (`kernel`, `recurrent_kernel`, and a `[2, 3·units]` bias of input and
 * recurrent parts). Its arithmetic is `runRecurrent` of `core/recurrent.ts`, the same the explainable executor uses.
 */
import * as tf from '@tensorflow/tfjs';
import { namedActivation, runRecurrent } from '../execution/recurrent.js';

type Args = Record<string, any>;

/** The GRU cell with the reset gate applied after the recurrent product. */
class GRUResetAfterCell extends tf.layers.Layer {
  static className = 'GRUResetAfterCell';
  readonly units: number;
  readonly stateSize: number;
  private readonly args: Args;
  kernel: tf.LayerVariable | null = null;
  recurrentKernel: tf.LayerVariable | null = null;
  bias: tf.LayerVariable | null = null;

  constructor(args: Args) {
    super(args);
    this.args = args;
    this.units = args.units;
    this.stateSize = args.units;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const features = shape[shape.length - 1] as number;
    const zeros = tf.initializers.zeros();
    this.kernel = this.addWeight('kernel', [features, 3 * this.units], 'float32', zeros);
    this.recurrentKernel = this.addWeight('recurrent_kernel', [this.units, 3 * this.units], 'float32', zeros);
    if (this.args.useBias !== false) this.bias = this.addWeight('bias', [2, 3 * this.units], 'float32', zeros);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, h] = inputs as tf.Tensor[];
      // One step of the shared recurrence: a single-step sequence starting from the given state.
      const step = runRecurrent(
        tf.expandDims(x, 1) as tf.Tensor3D,
        {
          kernel: this.kernel!.read() as tf.Tensor2D,
          recurrentKernel: this.recurrentKernel!.read() as tf.Tensor2D,
          bias: this.bias?.read(),
        },
        {
          kind: 'gru',
          units: this.units,
          resetAfter: true,
          activation: namedActivation(this.args.activation ?? 'tanh'),
          recurrentActivation: namedActivation(this.args.recurrentActivation ?? 'sigmoid'),
        },
        { initialStates: [h as tf.Tensor2D] },
      );
      return [step.output, step.output];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { units, activation, recurrentActivation, useBias } = this.args;
    return {
      ...super.getConfig(),
      units,
      activation: activation ?? 'tanh',
      recurrentActivation: recurrentActivation ?? 'sigmoid',
      useBias: useBias !== false,
      resetAfter: true,
    };
  }
}

/** Keras `GRU(reset_after=True)`; build it from a Keras config (the loader does) rather than by hand. */
export class GRUResetAfter extends tf.RNN {
  static override className = 'GRUResetAfter';

  constructor(args: Args) {
    super({ ...args, cell: new GRUResetAfterCell(args) } as unknown as ConstructorParameters<typeof tf.RNN>[0]);
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}

let registered = false;

/** Registers {@link GRUResetAfter} with TensorFlow.js's serialization (idempotent). */
export function registerGRUResetAfter(): void {
  if (registered) return;
  tf.serialization.registerClass(GRUResetAfter);
  registered = true;
}
