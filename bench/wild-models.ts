/**
 * The public Keras models of ../shared/models/wild (.h5 and .keras; LSTM, GRU, dilated convolutions) on wasm: load
 * time, forward time per example (batch 8), and one saliency map and one 16-step integrated-gradients map (batch 1).
 * Refused models are listed with their one-line reason. Skips when ../shared is absent.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupBackend } from '../src/execution/backend.js';
import { loadModel } from '../src/models/load-model.js';
import { integratedGradients } from '../src/attribution/integrated-gradients.js';
import { saliency } from '../src/attribution/saliency.js';
import { disposeAttribution } from '../src/attribution/types.js';

/** Timings of one wild model, or why it is refused. */
export type WildTiming =
  | {
      model: string;
      format: string;
      loadMs: number;
      forwardMsPerExample: number;
      saliencyMs: number;
      integratedGradients16Ms: number;
    }
  | { model: string; refused: string };

const wildDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'models', 'wild');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function timed(repeats: number, run: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const t0 = performance.now();
    await run();
    if (r > 0) times.push(performance.now() - t0); // the first run warms up
  }
  return median(times);
}

/** Times every wild model (median of `repeats` after one warm-up). */
export async function benchWildModels(
  options: { repeats?: number } = {},
): Promise<{ skipped: string } | { models: WildTiming[] }> {
  if (!existsSync(wildDir)) return { skipped: `../shared/models/wild is absent (expected at ${wildDir})` };
  const repeats = options.repeats ?? 3;
  await setupBackend({ backend: 'wasm' });
  const models: WildTiming[] = [];
  for (const name of readdirSync(wildDir)
    .filter((f) => /\.(h5|keras)$/.test(f))
    .sort()) {
    const start = performance.now();
    let model;
    try {
      model = await loadModel(join(wildDir, name));
    } catch (error) {
      models.push({ model: name, refused: (error as Error).message });
      continue;
    }
    const loadMs = performance.now() - start;
    const shape = model.inputShape as number[];
    const batch = tf.randomNormal([8, ...shape], 0, 1, 'float32', 1);
    const one = tf.randomNormal([1, ...shape], 0, 1, 'float32', 2);
    try {
      const forward = await timed(repeats, () => void tf.tidy(() => model.run(batch).dataSync()));
      const saliencyMs = await timed(repeats, async () => disposeAttribution(await saliency(model, one)));
      const igMs = await timed(repeats, async () =>
        disposeAttribution(await integratedGradients(model, one, { steps: 16 })),
      );
      models.push({
        model: name,
        format: String(model.info.format),
        loadMs,
        forwardMsPerExample: forward / 8,
        saliencyMs,
        integratedGradients16Ms: igMs,
      });
    } finally {
      tf.dispose([batch, one]);
      model.dispose();
    }
  }
  return { models };
}
