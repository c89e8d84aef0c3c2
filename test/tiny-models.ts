/** Tiny tfjs models with seeded weights, for tests of every method. */
import * as tf from '@tensorflow/tfjs';
import { createRng } from '../src/util/rng.js';

/** Sets every weight of `model` to seeded N(0, scale²) values (moving variances made positive). */
export function seedWeights(model: tf.LayersModel, seed: number, scale = 0.5): void {
  const rng = createRng(seed);
  const values = model.weights.map((w) => {
    const size = w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
    const data = Float32Array.from({ length: size }, () => rng.normal() * scale);
    if (/moving_variance/.test(w.name)) data.forEach((v, i) => (data[i] = 0.5 + Math.abs(v)));
    return tf.tensor(data, w.shape as number[]);
  });
  model.setWeights(values);
  values.forEach((v) => v.dispose());
}

/** Input [4] → Dense(6, relu) → Dense(3[, softmax]). */
export function denseNet(seed = 1, softmax = false): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 6, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: 3, activation: softmax ? 'softmax' : 'linear', name: 'scores' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** Input [12, 2] → Conv1D(3, k3, same, relu) → MaxPool1D(2) → Flatten → Dropout(0.5) → Dense(3, softmax). */
export function conv1dNet(seed = 2): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [12, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** Input [6, 5, 2] → Conv2D(3, 3×3, same) → BatchNorm → ReLU → MaxPool2D → Conv2D(4, 2×2, valid, relu) → GAP → Dense(3) → Softmax. */
export function conv2dNet(seed = 3): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 5, 2], filters: 3, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 4, kernelSize: 2, padding: 'valid', activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3 }),
      tf.layers.softmax(),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** Functional model with heads 'genus' (2 classes) and 'species' (4 classes), both softmax. */
export function twoHeadNet(seed = 4): tf.LayersModel {
  const input = tf.input({ shape: [5] });
  const hidden = tf.layers.dense({ units: 6, activation: 'relu', name: 'shared' }).apply(input) as tf.SymbolicTensor;
  const genus = tf.layers.dense({ units: 2, activation: 'softmax', name: 'genus' }).apply(hidden) as tf.SymbolicTensor;
  const species = tf.layers
    .dense({ units: 4, activation: 'softmax', name: 'species' })
    .apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [genus, species] });
  seedWeights(model, seed);
  return model;
}

/** Input [n] → Dense(3), linear: gradients are the kernel columns. */
export function linearNet(n: number, seed = 5): tf.LayersModel {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [n], units: 3 })] });
  seedWeights(model, seed);
  return model;
}

/** Seeded N(0,1) batch of the given shape. */
export function randomBatch(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng.normal()),
    shape,
  );
}

/** Image-style net: strided Conv2D(relu) → DepthwiseConv2D(relu) → SeparableConv2D(relu) → BatchNorm → ReLU6 → GAP → Dense(3, softmax). */
export function mobileNetLike(seed = 6): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [10, 9, 3],
        filters: 4,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
      }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'relu' }),
      tf.layers.separableConv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.batchNormalization(),
      tf.layers.activation({ activation: 'relu6' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/**
 * A model the ONNX compiler does not lower (GaussianNoise has no lowering; the TensorFlow.js path runs it, as the
 * identity at inference): input [6, 5, 2] → Conv2D(3, 3×3, same, relu) → GaussianNoise → GAP → Dense(3, softmax).
 */
export function unloweredNet(seed = 6): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 5, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.gaussianNoise({ stddev: 0.1 }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/** Input [6, 5, 2] → Conv2D(3, 3×3, same, relu) → MaxPool2D → Flatten → Dropout(0.4) → Dense(3, softmax). */
export function conv2dDropoutNet(seed: number): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 5, 2], filters: 3, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dropout({ rate: 0.4 }),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  seedWeights(model, seed);
  return model;
}

/**
 * Input [9, 8, 2] → strided Conv2D → ReLU → overlapping same-padded MaxPool2D(3, stride 1) → dilated Conv2D(relu) →
 * valid strided Conv2D → Flatten → Dense(3): the convolution and pooling geometries beyond stride 1 and disjoint windows.
 */
export function overlappingPoolNet(seed = 7): tf.LayersModel {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [9, 8, 2], filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 3, strides: 1, padding: 'same' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'relu' }),
      tf.layers.conv2d({ filters: 2, kernelSize: [2, 3], strides: [1, 2], padding: 'valid' }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3 }),
    ],
  });
  seedWeights(model, seed);
  return model;
}
