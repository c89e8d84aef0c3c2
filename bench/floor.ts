/**
 * "Each method at its floor": SmoothGrad, Monte-Carlo dropout, pixel flipping, the random comparison and occlusion,
 * each timed against the plain forward (or forward+backward) passes of the same number of rows on the same model,
 * interleaved in one run (method, plain, method, plain, ...), so the ratio is what the method adds to the model's own
 * work. Uses the real Potamitis PSD and spectrogram CNNs from ../shared (skipped without it).
 * Plain passes are the same row tasks the methods use ('gradients' row tasks, the pooled forward), with the same
 * number of workers; each row is measured with workers 1 and 2 (the pool started on first use, outside the timing
 * after the warm-up). Reproduce: `npm run bench -- floor`.
 */
import { defaultSession } from '../src/session/session.js';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { saliency } from '../src/attribution/saliency.js';
import { smoothGrad } from '../src/attribution/smooth-grad.js';
import { occlusion } from '../src/attribution/occlusion.js';
import { disposeAttribution } from '../src/attribution/types.js';
import { predictScores } from '../src/parallel/forward-task.js';
import { batchRows, rowsOf } from '../src/parallel/row-task.js';
import { runRowTasks } from '../src/parallel/run-row-tasks.js';
import { taskChunks } from '../src/parallel/task-chunks.js';
import { useWorkerThreads } from '../src/node/parallel/thread-pool.js';
import '../src/attribution/pooled-target-gradients.js';
import { ExplainableModel } from '../src/execution/explainable-model.js';
import { mcDropoutExplanations } from '../src/uncertainty/mc-dropout-explanations.js';
import { pixelFlipping } from '../src/evaluation/pixel-flipping.js';
import { compareWithRandom } from '../src/evaluation/compare-with-random.js';
import { loadModelFile } from '../src/node/load-model-file.js';

const SHARED = fileURLToPath(new URL('../../shared/models/', import.meta.url));
const PSD = 'Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5';
const SPECTRO = 'Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5';

type Timed = () => Promise<void>;

/** Runs `a` and `b` alternately `rounds` times after one warm-up each; medians in ms and the ratio a / b. */
async function interleaved(
  a: Timed,
  b: Timed,
  rounds: number,
): Promise<{ methodMs: number; plainMs: number; ratio: number }> {
  await a();
  await b();
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let start = performance.now();
    await a();
    ta.push(performance.now() - start);
    start = performance.now();
    await b();
    tb.push(performance.now() - start);
  }
  const median = (t: number[]): number => [...t].sort((p, q) => p - q)[Math.floor(t.length / 2)];
  const methodMs = median(ta);
  const plainMs = median(tb);
  return { methodMs: round(methodMs), plainMs: round(plainMs), ratio: round(methodMs / plainMs, 3) };
}

function round(v: number, digits = 1): number {
  return Number(v.toFixed(digits));
}

/** `rows` copies of example 0 of `x`, as one batch. */
function tiled(x: tf.Tensor, rows: number): tf.Tensor {
  return tf.tidy(() => tf.tile(tf.slice(x, 0, 1), [rows, ...x.shape.slice(1).map(() => 1)]));
}

/** Plain forward+backward of every row of `x` (the target gradient), as `'gradients'` row tasks on `workers`. */
function plainGradients(model: ExplainableModel, x: tf.Tensor, target: number, workers: number): Timed {
  return async () => {
    const plan = taskChunks(x.shape[0], 64);
    const rows = batchRows(x);
    await runRowTasks(
      {
        model,
        session: defaultSession(model),
        outputIndex: 0,
        scores: 'logits',
        execution: {},
        taskCount: plan.length,
        tasks: plan.map(({ start, end }) => ({
          kind: 'gradients',
          arrays: { rows: rowsOf(rows, start, end) },
          numbers: { targets: new Array<number>(end - start).fill(target) },
        })),
        consume: () => undefined,
      },
      { workers },
    );
  };
}

/** Plain forward of every row of `x`, on `workers`. */
function plainForward(model: ExplainableModel, x: tf.Tensor, workers: number): Timed {
  return async () =>
    (
      await predictScores(model, x, {
        outputIndex: 0,
        scores: 'logits',
        batchSize: 64,
        execution: {},
        workers,
        session: defaultSession(model),
      })
    ).dispose();
}

/** The floor rows (see the file comment); `rounds` interleaved repetitions per row. */
export async function benchFloor(options: { rounds?: number } = {}): Promise<Record<string, unknown>> {
  useWorkerThreads();
  const out: Record<string, unknown> = {};
  for (const workers of [1, 2]) out[`workers${workers}`] = await floorRows(workers, options.rounds ?? 3);
  return out;
}

async function floorRows(workers: number, rounds: number): Promise<Record<string, unknown>> {
  if (!existsSync(SHARED + PSD)) return { skipped: `../shared is absent (${SHARED})` };
  const loadBefore = loadavg();
  const out: Record<string, unknown> = { backend: tf.getBackend(), rounds, workers };
  const psd = await loadModelFile(SHARED + PSD);
  const spectro = await loadModelFile(SHARED + SPECTRO);
  const xPsd = tf.randomNormal([8, 129, 1], -1, 0.3, 'float32', 5);
  const xSpec = tf.randomNormal([1, 129, 113, 3], -1, 0.3, 'float32', 5);
  try {
    const psdTarget = 0;
    const specTarget = 0;

    // SmoothGrad: 10 noisy copies of 8 PSD inputs = 80 gradient rows.
    const rows80 = tf.tidy(() => tf.tile(xPsd, [10, 1, 1]));
    const smooth = smoothGrad(saliency, { noiseSamples: 10, noiseStdev: 0.15, seed: 1 });
    out.smoothGrad10PsdX8 = {
      rows: 80,
      ...(await interleaved(
        async () => disposeAttribution(await smooth(psd, xPsd, { target: psdTarget, workers })),
        plainGradients(psd, rows80, psdTarget, workers),
        rounds * 3,
      )),
    };
    rows80.dispose();

    // Occlusion on 8 PSD inputs, window 8, stride 4 (31 windows): 248 forward rows.
    const rows248 = tiled(xPsd, 248);
    out.occlusionPsdX8Window8Stride4 = {
      rows: 248,
      ...(await interleaved(
        async () =>
          disposeAttribution(await occlusion(psd, xPsd, { window: 8, stride: 4, target: psdTarget, workers })),
        plainForward(psd, rows248, workers),
        rounds * 3,
      )),
    };
    rows248.dispose();

    // Pixel flipping on the PSD model, 8 inputs, defaults (32 steps of one bin): 8·33 forward rows.
    const pf = await pixelFlipping(psd, xPsd, { seed: 1, target: psdTarget, workers });
    const psdFlipRows = 8 * (pf.steps + 1);
    const rowsPf = tiled(xPsd, psdFlipRows);
    out.pixelFlippingPsdX8 = {
      rows: psdFlipRows,
      steps: pf.steps,
      ...(await interleaved(
        async () => void (await pixelFlipping(psd, xPsd, { seed: 1, target: psdTarget, workers })),
        plainForward(psd, rowsPf, workers),
        rounds * 3,
      )),
    };
    rowsPf.dispose();

    // Pixel flipping on the spectrogram CNN, 1 input, defaults (50 steps of 72 cells): 51 forward rows.
    const pfs = await pixelFlipping(spectro, xSpec, { seed: 1, target: specTarget, workers });
    const specFlipRows = pfs.steps + 1;
    const rowsPfs = tiled(xSpec, specFlipRows);
    out.pixelFlippingSpectroX1 = {
      rows: specFlipRows,
      steps: pfs.steps,
      ...(await interleaved(
        async () => void (await pixelFlipping(spectro, xSpec, { seed: 1, target: specTarget, workers })),
        plainForward(spectro, rowsPfs, workers),
        rounds,
      )),
    };
    rowsPfs.dispose();

    // compareWithRandom on the PSD model, 8 inputs: saliency + 5 random curves of 32 steps.
    // Floor: one gradient pass of 8 rows + 6·32·8 + 8 forward rows.
    const cmpRows = tiled(xPsd, 6 * pf.steps * 8 + 8);
    out.compareWithRandomPsdX8 = {
      rows: 6 * pf.steps * 8 + 8,
      ...(await interleaved(
        async () => void (await compareWithRandom(psd, xPsd, { seed: 1, target: psdTarget, workers })),
        async () => {
          await plainForward(psd, cmpRows, workers)();
          await plainGradients(psd, xPsd, psdTarget, workers)();
        },
        rounds * 3,
      )),
    };
    cmpRows.dispose();

    // 100 MC-dropout samples with saliency, spectrogram CNN, 1 input vs 100 plain forward+backward rows.
    const rows100 = tiled(xSpec, 100);
    out.mcDropout100SaliencySpectroX1 = {
      rows: 100,
      ...(await interleaved(
        async () =>
          void (await mcDropoutExplanations(spectro, xSpec, {
            samples: 100,
            seed: 1,
            method: 'saliency',
            target: specTarget,
            workers,
          })),
        plainGradients(spectro, rows100, specTarget, workers),
        rounds,
      )),
    };
    rows100.dispose();
  } finally {
    xPsd.dispose();
    xSpec.dispose();
    psd.dispose();
    spectro.dispose();
  }
  return { ...out, loadAverageBefore: loadBefore, loadAverageAfter: loadavg() };
}
