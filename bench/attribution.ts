/** Benchmarks of the attribution methods on a model shaped like the wingbeats 1-D PSD CNN (random weights). */
import * as tf from '@tensorflow/tfjs';
import { gradients } from '../src/attribution/gradients.js';
import { integratedGradients } from '../src/attribution/integrated-gradients.js';
import { guidedBackprop } from '../src/attribution/guided-backprop.js';
import { disposeAttribution } from '../src/attribution/types.js';
import { ExplainableModel } from '../src/execution/explainable-model.js';
import { conv2dInputGradFriendly } from '../src/execution/fast-conv.js';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModelFile } from '../src/node/load-model-file.js';

/** BatchNorm → 5 × [Conv1D 3 same → BatchNorm → ReLU → MaxPool 2] (16…256 filters) → Flatten → Dropout → Dense(6, softmax). */
export function psdLikeModel(): tf.LayersModel {
  const layers: tf.layers.Layer[] = [tf.layers.batchNormalization({ inputShape: [129, 1] })];
  for (const filters of [16, 32, 64, 128, 256]) {
    layers.push(
      tf.layers.conv1d({ filters, kernelSize: 3, padding: 'same' }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling1d({ poolSize: 2 }),
    );
  }
  layers.push(
    tf.layers.flatten(),
    tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: 6, activation: 'softmax' }),
  );
  return tf.sequential({ layers });
}

export async function medianMs(fn: () => Promise<void> | void, repeats: number): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Input gradient of a 3×3 'same' convolution shaped like the spectrogram CNN's second block: plain Conv2DBackpropInput vs the flipped-kernel forward conv. */
async function convGradientRatio(): Promise<Record<string, number>> {
  const x = tf.randomNormal([8, 64, 56, 16], 0, 1, 'float32', 3) as tf.Tensor4D;
  const kernel = tf.randomNormal([3, 3, 16, 32], 0, 1, 'float32', 4) as tf.Tensor4D;
  const plain = await medianMs(
    () =>
      tf.tidy(
        () =>
          void tf
            .grad((i: tf.Tensor) => tf.sum(tf.conv2d(i as tf.Tensor4D, kernel, 1, 'same')))(x)
            .dataSync(),
      ),
    7,
  );
  const fast = await medianMs(
    () =>
      tf.tidy(
        () =>
          void tf
            .grad((i: tf.Tensor) => tf.sum(conv2dInputGradFriendly(i as tf.Tensor4D, kernel, [1, 1], 'same', [1, 1])))(
              x,
            )
            .dataSync(),
      ),
    7,
  );
  x.dispose();
  kernel.dispose();
  return { plainMs: plain, fastMs: fast, speedup: plain / fast };
}

/** 50-step integrated gradients on the real wingbeats CNNs of ../shared (skipped when absent). */
async function realModels(): Promise<Record<string, unknown>> {
  const shared = fileURLToPath(new URL('../../shared/models/', import.meta.url));
  if (!existsSync(shared)) return { skipped: `../shared is absent (${shared})` };
  const out: Record<string, unknown> = {};
  for (const [name, file, shape] of [
    ['potamitisPsdSimpleCls', 'Potatamis/psd/SimpleCls/SimpleCls_psd_frozen.h5', [1, 129, 1]],
    ['potamitisSpectrogramSimpleCls', 'Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5', [1, 129, 113, 3]],
  ] as const) {
    const model = await loadModelFile(shared + file);
    const x = tf.randomNormal([...shape], -1, 0.3, 'float32', 5);
    const forward = await medianMs(() => tf.tidy(() => void model.run(x).dataSync()), 5);
    const ig = await medianMs(async () => disposeAttribution(await integratedGradients(model, x, { steps: 50 })), 3);
    out[name] = { forwardMs: forward, integratedGradients50Ms: ig, ratioToForward: ig / forward };
    x.dispose();
    model.layersModel?.dispose();
  }
  return out;
}

/** Times forward, gradients, guided backprop and 50-step integrated gradients; ratios are measured in the same run. */
export async function benchAttribution(): Promise<Record<string, unknown>> {
  const model = ExplainableModel.from(psdLikeModel());
  const x = tf.randomNormal([1, 129, 1], -80, 20, 'float32', 1);
  const batch = tf.randomNormal([32, 129, 1], -80, 20, 'float32', 2);
  const forward = await medianMs(() => tf.tidy(() => void model.run(x).dataSync()), 9);
  const grad = await medianMs(async () => disposeAttribution(await gradients(model, x)), 9);
  const guided = await medianMs(async () => disposeAttribution(await guidedBackprop(model, x)), 9);
  const ig = await medianMs(async () => disposeAttribution(await integratedGradients(model, x, { steps: 50 })), 5);
  const igBatch = await medianMs(
    async () => disposeAttribution(await integratedGradients(model, batch, { steps: 50, batchSize: 128 })),
    3,
  );
  const before = tf.memory().numTensors;
  disposeAttribution(await integratedGradients(model, batch, { steps: 200, batchSize: 64 }));
  const leaked = tf.memory().numTensors - before;
  x.dispose();
  batch.dispose();
  return {
    model: 'PSD-like 1-D CNN, 129×1 input, random weights',
    backend: tf.getBackend(),
    forwardMs: forward,
    gradientsMs: grad,
    guidedBackpropMs: guided,
    integratedGradients50Ms: ig,
    integratedGradients50PerExampleMsAtBatch32: igBatch / 32,
    ratios: { gradientsOverForward: grad / forward, integratedGradientsOverGradients: ig / grad },
    tensorsLeakedAfter200StepIG: leaked,
    convInputGradient: await convGradientRatio(),
    realModels: await realModels(),
  };
}
