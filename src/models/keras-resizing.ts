/**
 * Keras's preprocessing layer `Resizing` (Keras 2.6+ and 3) as a TensorFlow.js layer replacing TensorFlow.js's own
 * (which loads Keras files with wrong shapes): `tf.image.resize` of a channels-last `[batch, H, W, C]` input to
 * `[batch, height, width, C]` with half-pixel centres (bilinear without antialiasing, or nearest), optionally after
 * a centred crop to the target's aspect ratio (`crop_to_aspect_ratio`, as Keras computes the crop box). Both
 * interpolations are linear maps of the input, so the layer multiplies one constant interpolation matrix per spatial
 * axis in (the matrices of ONNX `Resize`, src/onnx-file/resize-weights.ts); TensorFlow.js's MatMul gradient is then the
 * resize's, and the ONNX lowering is the same MatMuls. Other interpolations, `pad_to_aspect_ratio`, `antialias` and
 * channels-first data are refused by name.
 */
import * as tf from '@tensorflow/tfjs';
import { WingbeatsError } from '../util/errors.js';
import { alongAxis } from '../onnx-file/ops-resize.js';
import { type ResizeAxis, resizeMatrixTransposed } from '../onnx-file/resize-weights.js';

/** The interpolations {@link Resizing} computes. */
export const RESIZING_INTERPOLATIONS = ['bilinear', 'nearest'] as const;

/** One spatial axis's map: `[inLength, outLength]` row-major, y = x · weights along that axis. */
export interface AxisMap {
  inLength: number;
  outLength: number;
  weights: Float32Array;
}

/**
 * The `[inLength, outLength]` matrix resizing `cropLength` cells starting at `cropStart` of an axis of `inLength`
 * to `outLength` cells, as `tf.image.resize` with half-pixel centres does (bilinear: ONNX `half_pixel`, clamped;
 * nearest: ⌊(o + ½) · in / out⌋ in TensorFlow's float32 arithmetic).
 */
export function resizeAxisMap(
  inLength: number,
  outLength: number,
  interpolation: (typeof RESIZING_INTERPOLATIONS)[number],
  cropStart = 0,
  cropLength = inLength,
): AxisMap {
  const weights = new Float32Array(inLength * outLength);
  if (interpolation === 'nearest') {
    // TensorFlow's kernel computes the source cell in float32: ⌊fl32(fl32(o + ½) · fl32(in / out))⌋, clamped to the
    // last cell. Exact arithmetic picks the next cell in about 2% of size pairs (in 2 → out 41, cell 20: 0, not 1).
    const scale = Math.fround(cropLength / outLength);
    for (let o = 0; o < outLength; o++) {
      const cell = Math.min(cropLength - 1, Math.floor(Math.fround(Math.fround(o + 0.5) * scale)));
      weights[(cropStart + cell) * outLength + o] = 1;
    }
    return { inLength, outLength, weights };
  }
  const axis: ResizeAxis = {
    inLength: cropLength,
    outLength,
    scale: outLength / cropLength,
    fromSizes: true,
    mode: 'linear',
    coordinates: 'half_pixel',
    nearest: 'floor',
  };
  weights.set(resizeMatrixTransposed(axis), cropStart * outLength);
  return { inLength, outLength, weights };
}

/**
 * The maps of Keras's resize of an `[H, W]` image to `[height, width]`, with Keras's centred crop to the target's
 * aspect ratio first when `cropToAspectRatio` (crop height ⌊W · height / width⌋ clamped to [1, H], start ⌊(H − crop) / 2⌋,
 * likewise for the width), as Keras's `smart_resize` and `crop_to_aspect_ratio` compute it.
 */
export function kerasResizeMaps(
  [h, w]: [number, number],
  [height, width]: [number, number],
  interpolation: (typeof RESIZING_INTERPOLATIONS)[number],
  cropToAspectRatio: boolean,
): [AxisMap, AxisMap] {
  if (!cropToAspectRatio) return [resizeAxisMap(h, height, interpolation), resizeAxisMap(w, width, interpolation)];
  const cropH = Math.max(1, Math.min(h, Math.floor((w * height) / width)));
  const cropW = Math.max(1, Math.min(w, Math.floor((h * width) / height)));
  return [
    resizeAxisMap(h, height, interpolation, Math.floor((h - cropH) / 2), cropH),
    resizeAxisMap(w, width, interpolation, Math.floor((w - cropW) / 2), cropW),
  ];
}

/** `x` `[batch, H, W, C]` mapped along its two spatial axes (called inside a tidy). */
export function applyAxisMaps(x: tf.Tensor, [rows, columns]: [AxisMap, AxisMap]): tf.Tensor {
  const along = (v: tf.Tensor, axis: number, map: AxisMap): tf.Tensor =>
    alongAxis(v, axis, tf.tensor2d(map.weights, [map.inLength, map.outLength]));
  return along(along(x, 1, rows), 2, columns);
}

/** The `[H, W]` of a channels-last image input of known spatial size, or a one-line refusal naming the layer. */
export function imageSize(layer: string, className: string, inputShape: tf.Shape | tf.Shape[]): [number, number] {
  const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as (number | null)[];
  if (shape.length !== 4 || shape[1] === null || shape[2] === null)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `Layer '${layer}' (${className}) gets an input of shape [${shape.map((d) => d ?? 'null').join(',')}]; wingbeats-xai runs it on channels-last images [batch, height, width, channels] of known height and width.`,
    );
  return [shape[1], shape[2]];
}

/** The options of a Resizing or CenterCrop config, in Keras's snake case or TensorFlow.js's camel case. */
export interface PreprocessingOptions {
  height?: unknown;
  width?: unknown;
  interpolation?: unknown;
  padToAspectRatio?: unknown;
  antialias?: unknown;
  dataFormat?: unknown;
}

/**
 * Why a `Resizing` or `CenterCrop` with these options cannot run (the end of a sentence naming the option), or null.
 * The loader asks before building (its refusal names the file); the layers ask again when constructed directly.
 */
export function preprocessingOptionProblem(className: string, options: PreprocessingOptions): string | null {
  for (const key of ['height', 'width'] as const) {
    const value = options[key];
    if (!(typeof value === 'number' && Number.isInteger(value) && value >= 1))
      return `has ${key} ${JSON.stringify(value ?? null)}; expected a positive integer`;
  }
  const format = options.dataFormat ?? 'channels_last';
  if (format !== 'channels_last' && format !== 'channelsLast')
    return `has data_format '${format === 'channelsFirst' ? 'channels_first' : String(format)}'; wingbeats-xai runs channels_last only`;
  if (className !== 'Resizing') return null;
  const interpolation = options.interpolation ?? 'bilinear';
  if (!(RESIZING_INTERPOLATIONS as readonly unknown[]).includes(interpolation))
    return `has interpolation '${String(interpolation)}'; wingbeats-xai runs ${RESIZING_INTERPOLATIONS.join(' and ')}`;
  if (options.padToAspectRatio === true)
    return 'has pad_to_aspect_ratio=True, which wingbeats-xai does not run (crop_to_aspect_ratio is supported)';
  if (options.antialias === true) return 'has antialias=True, which wingbeats-xai does not run';
  return null;
}

/** The options of a raw Keras config (snake case) as {@link preprocessingOptionProblem} reads them. */
export function kerasPreprocessingOptions(config: Record<string, unknown>): PreprocessingOptions {
  return {
    height: config.height,
    width: config.width,
    interpolation: config.interpolation,
    padToAspectRatio: config.pad_to_aspect_ratio,
    antialias: config.antialias,
    dataFormat: config.data_format,
  };
}

/** Throws the one-line refusal of a directly constructed layer whose options cannot run. */
export function checkPreprocessingOptions(name: string, className: string, options: PreprocessingOptions): void {
  const problem = preprocessingOptionProblem(className, options);
  if (problem !== null) throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${name}' (${className}) ${problem}.`);
}

/** Arguments of {@link Resizing} (TensorFlow.js camel-cases the Keras config keys). */
interface ResizingArgs {
  name?: string;
  trainable?: boolean;
  dtype?: tf.DataType;
  height?: number;
  width?: number;
  interpolation?: string;
  cropToAspectRatio?: boolean;
  padToAspectRatio?: boolean;
  antialias?: boolean;
  dataFormat?: string | null;
}

/** Keras's `Resizing(height, width, interpolation, crop_to_aspect_ratio)` on channels-last images. */
export class Resizing extends tf.layers.Layer {
  static className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: (typeof RESIZING_INTERPOLATIONS)[number];
  readonly cropToAspectRatio: boolean;
  /** The row and column maps for the built input size. */
  private maps: [AxisMap, AxisMap] | null = null;

  constructor(args: ResizingArgs) {
    super({ name: args.name, trainable: args.trainable, dtype: args.dtype });
    checkPreprocessingOptions(String(args.name ?? 'resizing'), 'Resizing', args);
    this.height = args.height as number;
    this.width = args.width as number;
    this.interpolation = (args.interpolation ?? 'bilinear') as Resizing['interpolation'];
    this.cropToAspectRatio = args.cropToAspectRatio === true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const size = imageSize(this.name, 'Resizing', inputShape);
    this.maps = kerasResizeMaps(size, [this.height, this.width], this.interpolation, this.cropToAspectRatio);
    this.built = true;
  }

  /** The row and column interpolation matrices (for the ONNX lowering). */
  axisMaps(): [AxisMap, AxisMap] {
    if (this.maps === null)
      throw new WingbeatsError('UNSUPPORTED_MODEL', `Layer '${this.name}' (Resizing) is not built.`);
    return this.maps;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => applyAxisMaps(x, this.axisMaps()));
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.height, this.width, shape[shape.length - 1]];
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      height: this.height,
      width: this.width,
      interpolation: this.interpolation,
      cropToAspectRatio: this.cropToAspectRatio,
    };
  }
}

let registered = false;

/**
 * Registers {@link Resizing} with TensorFlow.js's serialization, in place of TensorFlow.js's own class of that name
 * (idempotent; `loadModel` calls it).
 */
export function registerKerasResizing(): void {
  if (registered) return;
  tf.serialization.registerClass(Resizing);
  registered = true;
}
