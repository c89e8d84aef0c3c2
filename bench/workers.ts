/**
 * Workers 1 vs 2 (`npm run bench -- workers`): the cases — IG-50 on the Potamitis PSD CNN with 8 inputs,
 * IG-50 on the Potamitis spectrogram CNN with 1 input, saliency and forward-only prediction on the spectrogram CNN
 * with 64 inputs — each timed with 1 and 2 workers interleaved in one run (medians), the pool already running; plus
 * the pool start cost per model (both workers answering their first task), the machine's load, and the two-thread
 * ceiling of the machine at that moment (a plain JavaScript loop in 1 vs 2 threads).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { integratedGradients } from '../src/attribution/integrated-gradients.js';
import { saliency } from '../src/attribution/saliency.js';
import { disposeAttribution } from '../src/attribution/types.js';
import type { ExplainableModel } from '../src/execution/explainable-model.js';
import { predictScores } from '../src/parallel/forward-task.js';
import { defaultSession } from '../src/session/session.js';
import { startWorkerPool } from '../src/session/start-worker-pool.js';
import { loadModelFile } from '../src/node/load-model-file.js';
import { useWorkerThreads } from '../src/node/parallel/thread-pool.js';

const shared = (path: string): string => fileURLToPath(new URL(`../../shared/models/${path}`, import.meta.url));
const PSD = shared('Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5');
const SPECTRO = shared('Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5');

/** Time until a fresh pool of 2 workers has answered one task in each worker. */
async function poolStartMs(model: ExplainableModel): Promise<number> {
  await defaultSession(model).workerPool.close();
  const start = performance.now();
  await startWorkerPool(model, 2);
  return performance.now() - start;
}

/**
 * The machine's ceiling: a pure JavaScript loop in 1 vs 2 plain worker threads (no TensorFlow.js, no pool). On an idle
 * 2-core machine its speedup is about 2; when other processes keep both cores busy it falls towards 1, and so must the
 * pool's.
 */
async function twoThreadCeiling(): Promise<Record<string, number>> {
  const code = `const { parentPort } = require('node:worker_threads');
    parentPort.on('message', (n) => { let s = 0; for (let i = 0; i < n; i++) s += Math.sqrt(i); parentPort.postMessage(s); });`;
  const threads = [new Worker(code, { eval: true }), new Worker(code, { eval: true })];
  const run = (thread: Worker, n: number): Promise<unknown> =>
    new Promise((done) => {
      thread.once('message', done);
      thread.postMessage(n);
    });
  try {
    const n = 1e8;
    await Promise.all(threads.map((t) => run(t, 1e6)));
    return await interleaved(async (workers) => {
      if (workers === 1) {
        await run(threads[0], n);
        await run(threads[0], n);
      } else await Promise.all([run(threads[0], n), run(threads[1], n)]);
    }, 3);
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
}

/** Medians of `run(1)` and `run(2)`, alternating, after one warm-up of each. */
async function interleaved(run: (workers: number) => Promise<void>, repeats: number) {
  const times: Record<number, number[]> = { 1: [], 2: [] };
  await run(1);
  await run(2);
  for (let i = 0; i < repeats; i++) {
    for (const workers of [1, 2]) {
      const start = performance.now();
      await run(workers);
      times[workers].push(performance.now() - start);
    }
  }
  const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const one = median(times[1]);
  const two = median(times[2]);
  return { workers1Ms: Math.round(one), workers2Ms: Math.round(two), speedup: Number((one / two).toFixed(2)) };
}

/** The rows of this benchmark (skipped without ../shared). */
export async function benchWorkers(): Promise<Record<string, unknown>> {
  if (!existsSync(PSD) || !existsSync(SPECTRO)) return { skipped: '../shared/models is absent' };
  useWorkerThreads();
  const loadBefore = loadavg();
  const psd = await loadModelFile(PSD);
  const spectro = await loadModelFile(SPECTRO);
  const out: Record<string, unknown> = { backend: tf.getBackend(), twoThreadCeiling: await twoThreadCeiling() };
  try {
    out.poolStartMs = { psd: Math.round(await poolStartMs(psd)), spectrogram: Math.round(await poolStartMs(spectro)) };
    const cases: [
      string,
      ExplainableModel,
      number,
      (m: ExplainableModel, x: tf.Tensor, w: number) => Promise<void>,
      number,
    ][] = [
      [
        'ig50Psd8',
        psd,
        8,
        async (m, x, workers) => disposeAttribution(await integratedGradients(m, x, { steps: 50, workers })),
        5,
      ],
      [
        'ig50Spectrogram1',
        spectro,
        1,
        async (m, x, workers) => disposeAttribution(await integratedGradients(m, x, { steps: 50, workers })),
        3,
      ],
      [
        'saliencySpectrogram64',
        spectro,
        64,
        async (m, x, workers) => disposeAttribution(await saliency(m, x, { workers })),
        3,
      ],
      [
        'forwardSpectrogram64',
        spectro,
        64,
        async (m, x, workers) =>
          (
            await predictScores(m, x, {
              session: defaultSession(m),
              outputIndex: m.defaultOutput,
              scores: 'logits',
              batchSize: 64,
              execution: {},
              workers,
            })
          ).dispose(),
        3,
      ],
    ];
    for (const [name, model, batch, run, repeats] of cases) {
      console.error(`bench: workers ${name} ...`);
      const x = tf.randomUniform([batch, ...(model.inputShape as number[])], 0, 1, 'float32', 1);
      try {
        out[name] = await interleaved((workers) => run(model, x, workers), repeats);
      } finally {
        x.dispose();
      }
    }
  } finally {
    psd.dispose();
    spectro.dispose();
  }
  out.loadAverage = {
    before: loadBefore.map((v) => Number(v.toFixed(2))),
    after: loadavg().map((v) => Number(v.toFixed(2))),
  };
  return out;
}
