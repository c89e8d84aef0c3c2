/**
 * The kernel-level fast paths (`execution.fastPaths`) on and off, interleaved in one run: saliency and 50-step
 * integrated gradients on the Potamitis PSD CNN (8 inputs) and the Potamitis spectrogram CNN (1 and 64 inputs), and
 * the kernel profile (share of kernel time per TensorFlow.js kernel) with every fast path off and on; `allOff` is the
 * code before the fast paths (64 rows per call), `allOnBatch64` isolates the per-model rows per call. Needs ../shared.
 * Run: `npm run bench -- kernels`.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { saliency } from '../src/attribution/saliency.js';
import { integratedGradients } from '../src/attribution/integrated-gradients.js';
import { disposeAttribution } from '../src/attribution/types.js';
import type { FastPaths } from '../src/execution/execution-settings.js';
import type { ExplainableModel } from '../src/execution/explainable-model.js';
import { loadModelFile } from '../src/node/load-model-file.js';

/** Name, fast paths, and rows per call (undefined: the model's default, see src/execution/rows-per-call.ts). */
const VARIANTS: [string, FastPaths, number | undefined][] = [
  ['allOff', { foldBatchNorm: false, maxPoolGradient: false, kernelCache: false }, 64],
  ['allOn', {}, undefined],
  ['foldBatchNormOff', { foldBatchNorm: false }, undefined],
  ['maxPoolGradientOff', { maxPoolGradient: false }, undefined],
  ['kernelCacheOff', { kernelCache: false }, undefined],
  ['allOnBatch64', {}, 64],
];

type Case = { name: string; model: 'psd' | 'spectrogram'; rows: number; run: Method; repeats: number };
type Method = (m: ExplainableModel, x: tf.Tensor, fastPaths: FastPaths, batchSize?: number) => Promise<void>;

// One thread (workers: 1): the kernels are measured, not the pool.
const saliencyRun: Method = async (m, x, fastPaths, batchSize) =>
  disposeAttribution(await saliency(m, x, { target: 0, batchSize, workers: 1, execution: { fastPaths } }));
const ig50: Method = async (m, x, fastPaths, batchSize) =>
  disposeAttribution(
    await integratedGradients(m, x, { target: 0, steps: 50, batchSize, workers: 1, execution: { fastPaths } }),
  );

const CASES: Case[] = [
  { name: 'saliency PSD 8', model: 'psd', rows: 8, run: saliencyRun, repeats: 9 },
  { name: 'IG-50 PSD 8', model: 'psd', rows: 8, run: ig50, repeats: 7 },
  { name: 'saliency spectrogram 1', model: 'spectrogram', rows: 1, run: saliencyRun, repeats: 9 },
  { name: 'saliency spectrogram 64', model: 'spectrogram', rows: 64, run: saliencyRun, repeats: 3 },
  { name: 'IG-50 spectrogram 1', model: 'spectrogram', rows: 1, run: ig50, repeats: 3 },
];

const FILES = {
  psd: 'Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5',
  spectrogram: 'Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5',
} as const;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

/** Share of kernel time (%) per kernel name over one call, and the summed kernel time. */
async function kernelProfile(run: () => Promise<void>): Promise<Record<string, unknown>> {
  const info = await tf.profile(run);
  const byKernel = new Map<string, number>();
  let total = 0;
  for (const k of info.kernels) {
    // Custom-gradient wrappers are listed with the kernels they run inside: count the kernels only.
    if (k.name === 'forward' || k.name === 'unnamed scope') continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + ms);
    total += ms;
  }
  const shares = Object.fromEntries(
    [...byKernel]
      .sort((a, b) => b[1] - a[1])
      .filter(([, ms]) => ms / total >= 0.005)
      .map(([name, ms]) => [name, Math.round((1000 * ms) / total) / 10]),
  );
  return { kernelMs: Math.round(total), kernels: info.kernels.length, percent: shares };
}

/** Every case under every fast-path variant, the variants interleaved within each repeat. */
export async function benchKernels(): Promise<Record<string, unknown>> {
  const shared = fileURLToPath(new URL('../../shared/models/', import.meta.url));
  if (!existsSync(shared)) return { skipped: `../shared is absent (${shared})` };
  const models = {
    psd: await loadModelFile(shared + FILES.psd),
    spectrogram: await loadModelFile(shared + FILES.spectrogram),
  };
  const only = process.env.BENCH_KERNELS_CASES?.split(',');
  const result: Record<string, unknown> = {
    backend: tf.getBackend(),
    loadBefore: load(),
    variants: VARIANTS,
    defaultBatchSize: { psd: models.psd.defaultBatchSize, spectrogram: models.spectrogram.defaultBatchSize },
  };
  const cases: Record<string, unknown> = {};
  try {
    for (const c of CASES) {
      if (only !== undefined && !only.some((o) => c.name.includes(o))) continue;
      const model = models[c.model];
      const x = tf.randomNormal([c.rows, ...(model.inputShape as number[])], 0, 1, 'float32', 7);
      const times: Record<string, number[]> = Object.fromEntries(VARIANTS.map(([name]) => [name, []]));
      for (const [, fastPaths, batchSize] of VARIANTS) await c.run(model, x, fastPaths, batchSize); // warm-up
      for (let r = 0; r < c.repeats; r++) {
        for (const [name, fastPaths, batchSize] of VARIANTS) {
          const start = performance.now();
          await c.run(model, x, fastPaths, batchSize);
          times[name].push(performance.now() - start);
        }
      }
      const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(10 * median(v)) / 10]));
      const ratios = Object.fromEntries(
        Object.entries(ms)
          .filter(([k]) => k !== 'allOn')
          .map(([k, v]) => [`${k}OverAllOn`, Math.round((100 * v) / ms.allOn) / 100]),
      );
      const profile =
        c.rows > 8
          ? undefined
          : {
              allOff: await kernelProfile(() => c.run(model, x, VARIANTS[0][1], VARIANTS[0][2])),
              allOn: await kernelProfile(() => c.run(model, x, {})),
            };
      cases[c.name] = { repeats: c.repeats, medianMs: ms, ratios, ...(profile ? { profile } : {}), load: load() };
      x.dispose();
      console.error(`bench kernels: ${c.name} ${JSON.stringify(ms)}`);
    }
  } finally {
    models.psd.dispose();
    models.spectrogram.dispose();
  }
  return { ...result, cases, loadAfter: load() };
}
