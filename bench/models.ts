/**
 * Model benchmarks: load time of every model in ../shared/models, and forward time per example on wasm and cpu
 * (batch of 8, through the explainable-model adapter). Returns plain numbers; skips when ../shared is absent.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupBackend } from '../src/execution/backend.js';
import { loadModel } from '../src/models/load-model.js';

/** Timings of one model. */
export interface ModelTiming {
  model: string;
  loadMs: number;
  forwardMsPerExample: { wasm: number; cpu: number };
}

/** Result of {@link benchModels}. */
export type ModelsBench = { skipped: string } | { batch: number; models: ModelTiming[] };

const sharedModels = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'models');

function h5Files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (path === join(sharedModels, 'wild')) return []; // timed by wild-models.ts
      return statSync(path).isDirectory() ? h5Files(path) : name.endsWith('.h5') ? [path] : [];
    });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Loads every shared model, then times the forward pass per example on wasm and on cpu (median of `repeats`). */
export async function benchModels(options: { batch?: number; repeats?: number } = {}): Promise<ModelsBench> {
  if (!existsSync(sharedModels)) return { skipped: `../shared/models is absent (expected at ${sharedModels})` };
  const batch = options.batch ?? 8;
  const repeats = options.repeats ?? 3;
  const previous = tf.getBackend();
  const timings: ModelTiming[] = [];
  try {
    for (const path of h5Files(sharedModels)) {
      await setupBackend({ backend: 'wasm' });
      const start = performance.now();
      const model = await loadModel(path);
      const loadMs = performance.now() - start;
      const forward: Record<'wasm' | 'cpu', number> = { wasm: 0, cpu: 0 };
      try {
        for (const backend of ['wasm', 'cpu'] as const) {
          await setupBackend({ backend });
          const x = tf.randomNormal([batch, ...(model.inputShape as number[])], 0, 1, 'float32', 1);
          const times: number[] = [];
          try {
            for (let r = 0; r <= repeats; r++) {
              const t0 = performance.now();
              tf.tidy(() => model.run(x, { output: model.outputNames.length - 1 }).dataSync());
              if (r > 0) times.push(performance.now() - t0); // the first run warms up
            }
          } finally {
            x.dispose();
          }
          forward[backend] = median(times) / batch;
        }
      } finally {
        model.layersModel?.dispose();
      }
      timings.push({ model: relative(sharedModels, path), loadMs, forwardMsPerExample: forward });
    }
  } finally {
    await setupBackend({ backend: previous === 'cpu' ? 'cpu' : 'wasm' });
  }
  return { batch, models: timings };
}
