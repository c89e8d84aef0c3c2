/**
 * Memory and time of Monte-Carlo-dropout explanations on a spectrogram-sized model: 100 samples of saliency on the
 * Potamitis spectrogram CNN (129×113×3) from ../shared, or a small random 2-D CNN of that input size without it.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { ExplainableModel } from '../src/execution/explainable-model.js';
import { loadModel } from '../src/models/load-model.js';
import { mcDropoutExplanations } from '../src/uncertainty/mc-dropout-explanations.js';
import { quantileMaps } from '../src/uncertainty/quantile-maps.js';

const SHARED_MODEL = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'shared',
  'models',
  'Potatamis',
  'spectro',
  'SimpleCls',
  'SimpleCls_spectro_frozen.h5',
);

/** Input 129×113×3 → 3 × [Conv2D 3×3 same → BatchNorm → ReLU → MaxPool 2] (8, 16, 32) → GAP → Dropout(0.5) → Dense(6, softmax). */
function smallSpectrogramModel(): tf.LayersModel {
  const layers: tf.layers.Layer[] = [];
  for (const [i, filters] of [8, 16, 32].entries()) {
    layers.push(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: [129, 113, 3] } : {}),
        filters,
        kernelSize: 3,
        padding: 'same',
        kernelInitializer: tf.initializers.glorotNormal({ seed: i }),
      }),
      tf.layers.batchNormalization(),
      tf.layers.reLU(),
      tf.layers.maxPooling2d({ poolSize: 2 }),
    );
  }
  layers.push(
    tf.layers.globalAveragePooling2d({}),
    tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: 6, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 9 }) }),
  );
  return tf.sequential({ layers });
}

/**
 * Runs `samples` (default 100) Monte-Carlo saliency samples of one spectrogram and returns plain JSON: peak
 * `tf.memory().numBytes` above the baseline during one sample (from `tf.profile` over two samples), the tensors and bytes
 * held between samples (the function's own copy of the input: 1 tensor), tensors leaked (0), the process's peak RSS, time
 * per sample, and the time of 3 quantile maps (exact and histogram rule) from the kept samples.
 * Reproduce: `npm run bench -- uncertainty`.
 */
export async function benchUncertainty(options: { samples?: number } = {}): Promise<Record<string, unknown>> {
  const samples = options.samples ?? 100;
  const shared = existsSync(SHARED_MODEL);
  const model = shared ? await loadModel(SHARED_MODEL) : ExplainableModel.from(smallSpectrogramModel());
  const x = tf.randomUniform([1, 129, 113, 3], -1, -0.7, 'float32', 1);
  try {
    const tensorsBefore = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    const profiled = await tf.profile(async () => {
      await mcDropoutExplanations(model, x, { samples: 2, seed: 0 });
    });
    let heldBytes = 0;
    let heldTensors = 0;
    let rssPeak = process.memoryUsage().rss;
    const start = performance.now();
    const result = await mcDropoutExplanations(model, x, {
      method: 'saliency',
      samples,
      seed: 1,
      keepSamples: true,
      onSample: () => {
        heldBytes = Math.max(heldBytes, tf.memory().numBytes - bytesBefore);
        heldTensors = Math.max(heldTensors, tf.memory().numTensors - tensorsBefore);
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      },
    });
    const totalMs = performance.now() - start;
    const quantileStart = performance.now();
    const maps = quantileMaps(result.examples[0].samples as Float32Array[], [0.25, 0.5, 0.75]);
    const quantileMs = performance.now() - quantileStart;
    const histogramStart = performance.now();
    quantileMaps(result.examples[0].samples as Float32Array[], [0.25, 0.5, 0.75], { method: 'histogram' });
    const histogramMs = performance.now() - histogramStart;
    return {
      model: shared
        ? 'Potamitis SimpleCls spectrogram CNN (../shared), 129×113×3'
        : 'small random 2-D CNN (8/16/32 filters), 129×113×3 (../shared absent)',
      backend: tf.getBackend(),
      method: 'saliency',
      samples,
      positions: maps.mean.length,
      msPerSample: totalMs / samples,
      totalSeconds: totalMs / 1000,
      peakTfBytesDuringOneSample: profiled.peakBytes - bytesBefore,
      maxTfBytesHeldBetweenSamples: heldBytes,
      maxTensorsHeldBetweenSamples: heldTensors,
      tensorsLeaked: tf.memory().numTensors - tensorsBefore,
      keptSampleBytes: samples * maps.mean.length * 4,
      peakRssMiB: Math.max(rssPeak, process.resourceUsage().maxRSS * 1024) / 2 ** 20,
      quantileMapsExactMs: quantileMs,
      quantileMapsHistogramMs: histogramMs,
    };
  } finally {
    x.dispose();
    model.layersModel?.dispose();
  }
}
