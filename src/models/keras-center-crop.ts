/**
 * Keras's preprocessing layer `CenterCrop` (Keras 2.6+ and 3) as a TensorFlow.js layer replacing TensorFlow.js's own
 * (which makes a loaded model's input the crop size): the centred `[height, width]` window of a channels-last
 * `[batch, H, W, C]` input, starting at ⌊(H − height) / 2⌋, ⌊(W − width) / 2⌋. When the input is smaller than the crop
 * along either axis, Keras resizes instead (`smart_resize`: a centred crop to the target's aspect ratio, then bilinear
 * resizing), which this layer computes with {@link Resizing}'s interpolation matrices. A crop is a `slice`, whose
 * gradient scatters the upstream gradient back into place.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import {
  type AxisMap,
  applyAxisMaps,
  checkPreprocessingOptions,
  imageSize,
  kerasResizeMaps,
} from './keras-resizing.js';

/** Arguments of {@link CenterCrop} (TensorFlow.js camel-cases the Keras config keys). */
interface CenterCropArgs {
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
  height?: number;
  width?: number;
  dataFormat?: string | null;
}

/** How a built {@link CenterCrop} computes: a window's start, or (input smaller than the crop) resize maps. */
export type CenterCropPlan = { crop: [number, number] } | { resize: [AxisMap, AxisMap] };

/** Keras's `CenterCrop(height, width)` on channels-last images. */
export class CenterCrop extends tf.layers.Layer {
  static className = 'CenterCrop';
  readonly height: number;
  readonly width: number;
  private plan: CenterCropPlan | null = null;

  constructor(args: CenterCropArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    checkPreprocessingOptions(String(args.name ?? 'center_crop'), 'CenterCrop', args);
    this.height = args.height as number;
    this.width = args.width as number;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const [h, w] = imageSize(this.name, 'CenterCrop', inputShape);
    const [dh, dw] = [h - this.height, w - this.width];
    this.plan =
      dh >= 0 && dw >= 0
        ? { crop: [Math.floor(dh / 2), Math.floor(dw / 2)] }
        : { resize: kerasResizeMaps([h, w], [this.height, this.width], 'bilinear', true) };
    this.built = true;
  }

  /** How the layer computes for its built input size (for the ONNX lowering). */
  cropPlan(): CenterCropPlan {
    if (this.plan === null)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${this.name}' (CenterCrop) is not built.`);
    return this.plan;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const plan = this.cropPlan();
    return tf.tidy(() =>
      'crop' in plan
        ? tf.slice(x, [0, plan.crop[0], plan.crop[1], 0], [-1, this.height, this.width, -1])
        : applyAxisMaps(x, plan.resize),
    );
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.height, this.width, shape[shape.length - 1]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}

let registered = false;

/**
 * Registers {@link CenterCrop} with TensorFlow.js's serialization, in place of TensorFlow.js's own class of that name
 * (idempotent; `loadModel` calls it).
 */
export function registerKerasCenterCrop(): void {
  if (registered) return;
  tf.serialization.registerClass(CenterCrop);
  registered = true;
}
