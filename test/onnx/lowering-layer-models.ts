/**
 * Tiny models, one family of layer classes each, for the ONNX lowerings of pooling variants, activations and
 * activation layers, LayerNormalization, depthwise and separable convolutions, padding/cropping/upsampling and
 * transposed convolutions (`test/onnx/onnx-lowering.test.ts` checks each against the TensorFlow.js path).
 */
import * as tf from '@tensorflow/tfjs';
import { KerasELU, KerasReLU } from '../../src/models/keras-activation-layers.js';
import {
  AdditiveAttention,
  Attention,
  MultiHeadAttention,
  registerKerasAttentionLayers,
} from '../../src/models/keras-attention-layers.js';
import { TensorOpLayer, registerTensorOpLayer } from '../../src/models/tensor-op-layer.js';
import { mobileNetLike, seedWeights } from '../tiny-models.js';
import { KERAS_1D_LAYER_MODELS } from './lowering-keras-1d-models.js';

type Sym = tf.SymbolicTensor;
const apply = (layer: tf.layers.Layer, x: Sym | Sym[]): Sym => layer.apply(x) as Sym;

/**
 * [12, 3] → Conv1D(relu) → AveragePooling1D(2) → AveragePooling1D(3, stride 2, same) → GlobalMaxPooling1D, beside
 * Dense(tanh) → GlobalMaxPooling1D on channels-last values, concatenated → Dense.
 */
function pooling1dNet(): tf.LayersModel {
  const x = tf.input({ shape: [12, 3] });
  const conv = apply(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
  const a = apply(tf.layers.averagePooling1d({ poolSize: 2 }), conv);
  const b = apply(tf.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }), a);
  const left = apply(tf.layers.globalMaxPooling1d({}), b);
  const right = apply(tf.layers.globalMaxPooling1d({}), apply(tf.layers.dense({ units: 3, activation: 'tanh' }), x));
  const joined = apply(tf.layers.concatenate(), [left, right]);
  const model = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 3 }), joined) });
  seedWeights(model, 31);
  return model;
}

/** [7, 6, 2] → Conv2D(elu) → AveragePooling2D(2, same: partial windows) → AveragePooling2D(2, stride 1) → GlobalMaxPooling2D → Dense. */
function pooling2dNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [7, 6, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'elu' }),
      tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      tf.layers.averagePooling2d({ poolSize: 2, strides: 1 }),
      tf.layers.globalMaxPooling2d({}),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 32);
  return model;
}

/**
 * [6] → Dense(elu) → Dense(selu) → Dense(softplus) → Dense(gelu) → LeakyReLU → Dense → PReLU → ELU → KerasELU(0.5)
 * → Dense → KerasReLU(max 2, slope 0.1, threshold 0.2) → Dense.
 */
function activationsNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [6], units: 8, activation: 'elu' }),
      tf.layers.dense({ units: 8, activation: 'selu' }),
      tf.layers.dense({ units: 8, activation: 'softplus' }),
      tf.layers.dense({ units: 8, activation: 'gelu' as never }),
      tf.layers.leakyReLU({ alpha: 0.2 }),
      tf.layers.dense({ units: 8 }),
      tf.layers.prelu({}),
      tf.layers.elu({}),
      new KerasELU({ alpha: 0.5 }),
      tf.layers.dense({ units: 8 }),
      new KerasReLU({ maxValue: 2, negativeSlope: 0.1, threshold: 0.2 }),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 33);
  return model;
}

/** [8, 2] → Conv1D → LeakyReLU (channels first) → PReLU(shared time axis) → Conv1D(selu) → Flatten → Dense. */
function convActivationsNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [8, 2], filters: 3, kernelSize: 3, padding: 'same' }),
      tf.layers.leakyReLU({}),
      tf.layers.prelu({ sharedAxes: [1] }),
      tf.layers.conv1d({ filters: 3, kernelSize: 2, activation: 'selu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 34);
  return model;
}

/**
 * [6, 4] → Conv1D(relu) → LayerNormalization → LayerNormalization(axes 1, 2, ε 1e-5) → Flatten → Dense →
 * LayerNormalization → Dense. (TensorFlow.js's layer fails under gradients without centre or scale; the lowering of
 * those is checked against zero β and unit γ in `onnx-lowering-layers.test.ts`.)
 */
function layerNormNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [6, 4], filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.layerNormalization({}),
      tf.layers.layerNormalization({ axis: [1, 2], epsilon: 1e-5 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 6 }),
      tf.layers.layerNormalization({}),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 35);
  return model;
}

/** [9, 8, 2] → DepthwiseConv2D(valid, no bias, tanh) → DepthwiseConv2D(same, multiplier 3, stride 2) → SeparableConv2D(valid) → Flatten → Dense. */
function depthwiseNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.depthwiseConv2d({
        inputShape: [9, 8, 2],
        kernelSize: 2,
        useBias: false,
        activation: 'tanh',
      }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 3, strides: 2, padding: 'same' }),
      tf.layers.separableConv2d({ filters: 4, kernelSize: 2, depthMultiplier: 2, activation: 'relu' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 36);
  return model;
}

/**
 * [5, 4, 2] → ZeroPadding2D([[1, 2], [0, 1]]) → Conv2D(relu) → UpSampling2D([2, 3]) → Cropping2D([[1, 0], [2, 1]]) →
 * Conv2DTranspose(stride 2, same, relu) → Conv2DTranspose(3×2, valid) → Flatten → Dense.
 */
function resamplingNet(): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.zeroPadding2d({
        inputShape: [5, 4, 2],
        padding: [
          [1, 2],
          [0, 1],
        ],
      }),
      tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
      tf.layers.upSampling2d({ size: [2, 3] }),
      tf.layers.cropping2D({
        cropping: [
          [1, 0],
          [2, 1],
        ],
      }),
      tf.layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.conv2dTranspose({ filters: 2, kernelSize: [3, 2], strides: [1, 2], padding: 'valid' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, 37, 0.3);
  return model;
}

/**
 * A small transformer block: [5, 4] → Dense(6) → MultiHeadAttention(2 heads, self) + residual → LayerNormalization →
 * MultiHeadAttention(no bias, key ≠ value, output 5, dropout 0.2) → GlobalAveragePooling1D → Dense.
 */
export function transformerNet(): tf.LayersModel {
  registerKerasAttentionLayers();
  const x = tf.input({ shape: [5, 4] });
  const h = apply(tf.layers.dense({ units: 6 }), x);
  const attended = apply(new MultiHeadAttention({ numHeads: 2, keyDim: 3 }), [h, h]);
  const normed = apply(tf.layers.layerNormalization({}), apply(tf.layers.add(), [h, attended]));
  const other = apply(
    new MultiHeadAttention({ numHeads: 3, keyDim: 2, valueDim: 4, useBias: false, outputShape: 5, dropout: 0.2 }),
    [normed, h, x],
  );
  const pooled = apply(tf.layers.globalAveragePooling1d(), other);
  const model = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 3 }), pooled) });
  seedWeights(model, 38);
  return model;
}

/**
 * Luong and Bahdanau attention: [6, 4] → Conv1D(tanh) → Attention(dot, scale) over [h, x, h], Attention(concat,
 * scale, dropout 0.1) and AdditiveAttention over [h, h], concatenated → Flatten → Dense.
 */
export function attentionNet(): tf.LayersModel {
  registerKerasAttentionLayers();
  const x = tf.input({ shape: [6, 4] });
  const h = apply(tf.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'tanh' }), x);
  const dot = apply(new Attention({ useScale: true }), [h, x, h]);
  const concat = apply(new Attention({ useScale: true, scoreMode: 'concat', dropout: 0.1 }), [h, h]);
  const additive = apply(new AdditiveAttention({}), [h, h]);
  const joined = apply(tf.layers.concatenate(), [dot, concat, additive]);
  const model = tf.model({
    inputs: x,
    outputs: apply(tf.layers.dense({ units: 3 }), apply(tf.layers.flatten(), joined)),
  });
  seedWeights(model, 39);
  return model;
}

/** A TFOpLambda/SlicingOpLambda as the loader rewrites it. */
function tensorOp(tensorOp: string, opKwargs: Record<string, unknown> = {}): tf.layers.Layer {
  registerTensorOpLayer();
  return new TensorOpLayer({ tensorOp, opKwargs: opKwargs as never });
}

/**
 * Keras 2's tensor expressions: [6, 4] → x + Dense(x), · 0.5, − Dense(x), reshape [4, 6], transpose, concat with x,
 * slices (a range ending at −1 with an ellipsis, the index −1), reduce mean (keepdims) and max → concatenated → Dense.
 */
function tensorOpNet(): tf.LayersModel {
  const x = tf.input({ shape: [6, 4] });
  const a = apply(tf.layers.dense({ units: 4, activation: 'tanh' }), x);
  const sum = apply(tensorOp('add'), [x, a]);
  const half = apply(tensorOp('multiply', { y: 0.5 }), sum);
  const diff = apply(tensorOp('subtract'), [half, a]);
  const reshaped = apply(tensorOp('reshape', { shape: [null, 4, 6] }), diff);
  const back = apply(tensorOp('transpose', { perm: [0, 2, 1] }), reshaped);
  const joined = apply(tensorOp('concat', { axis: -1 }), [back, x]); // [6, 8]
  const all = { start: null, stop: null, step: null };
  // Python's slices: a stop of −1 leaves the last row out (rows 1…4), an index of −1 is the last row
  const window = apply(
    tensorOp('slice', { slice_spec: [all, { start: 1, stop: -1, step: null }, 'Ellipsis'] }),
    joined,
  );
  const row = apply(tensorOp('slice', { slice_spec: [all, -1] }), joined); // [8]
  const mean = apply(tensorOp('mean', { axis: 1, keepdims: true }), window); // [1, 8]
  const max = apply(tensorOp('max', { axis: [-1] }), window); // [4]
  const flat = apply(tf.layers.flatten(), mean);
  const features = apply(tf.layers.concatenate(), [flat, row, max]);
  const model = tf.model({ inputs: x, outputs: apply(tf.layers.dense({ units: 3 }), features) });
  seedWeights(model, 40);
  return model;
}

/** The layer-family models by description. */
export const LAYER_MODELS: [string, () => tf.LayersModel][] = [
  ['AveragePooling1D (valid, same), GlobalMaxPooling1D (both layouts)', pooling1dNet],
  ['AveragePooling2D (same with partial windows, stride 1), GlobalMaxPooling2D, elu', pooling2dNet],
  ['elu, selu, softplus, gelu, LeakyReLU, PReLU, ELU, KerasELU, KerasReLU', activationsNet],
  ['LeakyReLU and shared-axis PReLU after convolutions, selu', convActivationsNet],
  ['LayerNormalization (last axis, two axes)', layerNormNet],
  ['DepthwiseConv2D (no bias, multiplier 3, strided) and SeparableConv2D (valid)', depthwiseNet],
  ['strided DepthwiseConv2D and SeparableConv2D (mobileNetLike)', mobileNetLike],
  ['ZeroPadding2D, UpSampling2D, Cropping2D, Conv2DTranspose (same, valid)', resamplingNet],
  ['MultiHeadAttention (self, cross with key, no bias, output shape) and LayerNormalization', transformerNet],
  ['Attention (dot, concat) and AdditiveAttention', attentionNet],
  ['TFOpLambda/SlicingOpLambda tensor ops', tensorOpNet],
  ...KERAS_1D_LAYER_MODELS,
];
