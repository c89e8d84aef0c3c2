/** The models of test/fixtures/attribution-reference.json (made by scripts/reference/attribution_reference.py), rebuilt in tfjs. */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from '../helpers.js';

/** One method result of the reference file. */
export interface ReferenceEntry {
  inputs: number[][] | null;
  inputShape?: number[];
  targets: number[];
  logits: number[][];
  weights?: Record<string, Record<string, unknown>>;
  baseline?: unknown;
  sample?: number[];
  gradCam: { layer: string; layerMap: unknown; attributions: unknown }[];
  occlusion: { window: number[]; stride: number[]; attributions: unknown }[];
  deeplift: { baseline: string; attributions: unknown; sums: number[]; delta: number[]; float32Deviation: number }[];
  lrp: {
    rule: 'epsilon' | 'gamma' | 'alpha-beta' | 'z-plus';
    epsilon: number;
    gamma?: number;
    alpha?: number;
    beta?: number;
    foldBatchNorm?: boolean;
    attributions: unknown;
    sums: number[];
    float32Deviation: number;
  }[];
}

/** The whole reference file. */
export const reference = JSON.parse(
  readFileSync(resolve(repoRoot, 'test/fixtures/attribution-reference.json'), 'utf8'),
) as { models: Record<string, ReferenceEntry> };

function setWeights(layer: tf.layers.Layer, names: string[], values: Record<string, unknown>): void {
  layer.setWeights(names.map((n) => tf.tensor(values[n] as number[])));
}

/**
 * The tiny reference networks. 1-D: [10, 2] → BN → Conv1D(3) → BN → ReLU → MaxPool(2) → Conv1D(4) → ReLU → Flatten →
 * Dense(3). 2-D: [6, 4, 2] → Conv2D(3) → BN → ReLU → MaxPool(2×2) → Conv2D(4) → ReLU → GAP → Dense(3). Kernels 3, 'same'.
 */
export function tinyReferenceModel(name: 'tiny1d' | 'tiny2d'): tf.LayersModel {
  const entry = reference.models[name];
  const w = entry.weights as Record<string, Record<string, unknown>>;
  const oneD = name === 'tiny1d';
  const conv = (n: string, filters: number, inputShape?: number[]): tf.layers.Layer =>
    oneD
      ? tf.layers.conv1d({ name: n, filters, kernelSize: 3, padding: 'same', ...(inputShape ? { inputShape } : {}) })
      : tf.layers.conv2d({ name: n, filters, kernelSize: 3, padding: 'same', ...(inputShape ? { inputShape } : {}) });
  const layers: tf.layers.Layer[] = [];
  if (oneD) layers.push(tf.layers.batchNormalization({ name: 'bn0', inputShape: entry.inputShape }));
  layers.push(
    conv('conv_a', 3, oneD ? undefined : entry.inputShape),
    tf.layers.batchNormalization({ name: 'bn_a' }),
    tf.layers.reLU({ name: 'relu_a' }),
    oneD
      ? tf.layers.maxPooling1d({ name: 'pool_a', poolSize: 2 })
      : tf.layers.maxPooling2d({ name: 'pool_a', poolSize: 2 }),
    conv('conv_b', 4),
    tf.layers.reLU({ name: 'relu_b' }),
    oneD ? tf.layers.flatten({ name: 'flatten' }) : tf.layers.globalAveragePooling2d({ name: 'gap' }),
    tf.layers.dense({ name: 'dense', units: 3 }),
  );
  const model = tf.sequential({ layers });
  tf.tidy(() => {
    for (const layer of model.layers) {
      const values = w[layer.name];
      if (values === undefined) continue;
      setWeights(
        layer,
        layer.getClassName() === 'BatchNormalization'
          ? ['gamma', 'beta', 'moving_mean', 'moving_variance']
          : ['kernel', 'bias'],
        values,
      );
    }
  });
  return model;
}

/** Largest |value| of a nested array. */
export function maxAbs(values: number[]): number {
  return values.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}
