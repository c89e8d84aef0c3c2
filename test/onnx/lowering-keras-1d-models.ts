/**
 * Tiny models of the Keras layers the loader adds to TensorFlow.js for 1-D signals (Normalization, ...), for the ONNX
 * lowering checks of `test/onnx/onnx-lowering.test.ts` (part of its `LAYER_MODELS`).
 */
import * as tf from '@tensorflow/tfjs';
import { Normalization, registerKerasNormalization } from '../../src/models/keras-normalization.js';
import { UpSampling1D, registerKerasUpSampling1D } from '../../src/models/keras-upsampling1d.js';
import { Conv1DTranspose, registerKerasConv1DTranspose } from '../../src/models/keras-conv1d-transpose.js';
import { SeparableConv1D, registerKerasSeparableConv1D } from '../../src/models/keras-separable-conv1d.js';
import { Resizing, registerKerasResizing } from '../../src/models/keras-resizing.js';
import { CenterCrop, registerKerasCenterCrop } from '../../src/models/keras-center-crop.js';
import { seedWeights } from '../tiny-models.js';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/**
 * [7, 3] → Normalization(last axis, adapted) → Conv1D(tanh) → Normalization(axes 1, 2; config mean of rank 1) →
 * Normalization(axis null; scalars) → Flatten → Dense.
 */
function normalizationNet(): tf.LayersModel {
  registerKerasNormalization();
  const x = tf.input({ shape: [7, 3] });
  const adapted = new Normalization({ axis: -1 });
  const a = apply(adapted, x);
  const conv = apply(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh' }), a);
  const b = apply(new Normalization({ axis: [1, 2], mean: [0.2, -0.1, 0, 0.3], variance: [0.5, 2, 1, 0.25] }), conv);
  const c = apply(new Normalization({ axis: null, mean: -0.2, variance: 3 }), b);
  const model = tf.model({
    inputs: x,
    outputs: apply(tf.layers.dense({ units: 3 }), apply(tf.layers.flatten(), c)),
  });
  seedWeights(model, 51);
  adapted.setWeights([tf.tensor([0.5, -1, 2]), tf.tensor([2, 0.3, 1.7]), tf.scalar(40)]);
  return model;
}

/** [5, 2] → UpSampling1D(3) → Conv1D(valid, tanh) → UpSampling1D(2) → Flatten → Dense. */
function upSamplingNet(): tf.LayersModel {
  registerKerasUpSampling1D();
  const x = tf.input({ shape: [5, 2] });
  const up = apply(new UpSampling1D({ size: 3 }), x);
  const conv = apply(tf.layers.conv1d({ filters: 3, kernelSize: 4, activation: 'tanh' }), up);
  const again = apply(new UpSampling1D({}), conv);
  const model = tf.model({
    inputs: x,
    outputs: apply(tf.layers.dense({ units: 3 }), apply(tf.layers.flatten(), again)),
  });
  seedWeights(model, 52);
  return model;
}

/**
 * [6, 2] → Conv1DTranspose(same, stride 2, relu) → Conv1DTranspose(valid, kernel 2 < stride 3, no bias) →
 * Conv1DTranspose(same, output_padding 1, tanh) → Conv1DTranspose(valid, stride 1) → Flatten → Dense.
 */
function conv1dTransposeNet(): tf.LayersModel {
  registerKerasConv1DTranspose();
  const layers = [
    new Conv1DTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new Conv1DTranspose({ filters: 2, kernelSize: 2, strides: 3, padding: 'valid', useBias: false }),
    new Conv1DTranspose({
      filters: 2,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      outputPadding: 1,
      activation: 'tanh',
    }),
    new Conv1DTranspose({ filters: 2, kernelSize: 3, padding: 'valid' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3 }),
  ];
  const x = tf.input({ shape: [6, 2] });
  const model = tf.model({ inputs: x, outputs: layers.reduce((h, layer) => apply(layer, h), x) });
  seedWeights(model, 53);
  return model;
}

/**
 * [9, 3] → SeparableConv1D(same, multiplier 2, relu) → SeparableConv1D(same, stride 2: uneven pads, no bias) →
 * SeparableConv1D(valid, stride 2, tanh) → Flatten → Dense.
 */
function separableConv1dNet(): tf.LayersModel {
  registerKerasSeparableConv1D();
  const layers = [
    new SeparableConv1D({ filters: 4, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu' }),
    new SeparableConv1D({ filters: 3, kernelSize: 4, strides: 2, padding: 'same', useBias: false }),
    new SeparableConv1D({ filters: 2, kernelSize: 2, strides: 2, padding: 'valid', activation: 'tanh' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3 }),
  ];
  const x = tf.input({ shape: [9, 3] });
  const model = tf.model({ inputs: x, outputs: layers.reduce((h, layer) => apply(layer, h), x) });
  seedWeights(model, 54);
  return model;
}

/** The models by description. */
/**
 * [6, 7, 2] → CenterCrop(5, 6) → Resizing(4, 9, bilinear) → Conv2D(tanh) → Resizing(3, 3, nearest, crop to aspect) →
 * CenterCrop(4, 4) (larger than its input: Keras's resize) → Flatten → Dense.
 */
function resizingNet(): tf.LayersModel {
  registerKerasResizing();
  registerKerasCenterCrop();
  const layers = [
    new CenterCrop({ height: 5, width: 6 }),
    new Resizing({ height: 4, width: 9 }),
    tf.layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }),
    new Resizing({ height: 3, width: 3, interpolation: 'nearest', cropToAspectRatio: true }),
    new CenterCrop({ height: 4, width: 4 }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3 }),
  ];
  const x = tf.input({ shape: [6, 7, 2] });
  const model = tf.model({ inputs: x, outputs: layers.reduce<Sym>((h, layer) => apply(layer, h), x) });
  seedWeights(model, 55);
  return model;
}

export const KERAS_1D_LAYER_MODELS: [string, () => tf.LayersModel][] = [
  ['Normalization (adapted last axis, config values over two axes, axis null)', normalizationNet],
  ['UpSampling1D (size 3, default 2)', upSamplingNet],
  ['Conv1DTranspose (same, valid with kernel < stride, output_padding)', conv1dTransposeNet],
  ['SeparableConv1D (same with multiplier 2, strided same and valid)', separableConv1dNet],
  ['Resizing and CenterCrop (bilinear, nearest with crop to aspect, crop, resize when smaller)', resizingNet],
];
