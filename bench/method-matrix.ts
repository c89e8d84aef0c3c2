/**
 * `npm run bench -- method-matrix [--repeats=N] [--inputs=N]`: one row per registry method × the three models of
 * issue 15 (library only, default options of each method), and the floor ratios of the sampled methods: 100
 * Monte-Carlo-dropout samples of saliency ÷ the same 100 rows of plain forward+backward passes, and a full
 * pixel-flipping run ÷ the same number of plain forward rows. Skips the real models when ../shared is absent.
 * A method whose first run takes over 5 s is timed by that run alone (warm-up included; `runsMs` has one entry).
 */
import { defaultSession } from '../src/session/session.js';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { attributionMethodNames, attributionMethods } from '../src/attribution/registry.js';
import { saliency } from '../src/attribution/saliency.js';
import { targetGradients } from '../src/attribution/target-gradients.js';
import { disposeAttribution } from '../src/attribution/types.js';
import { pixelFlipping } from '../src/evaluation/pixel-flipping.js';
import { predictScores } from '../src/parallel/forward-task.js';
import type { ExplainableModel } from '../src/execution/explainable-model.js';
// The Node entry point: importing it registers the worker-thread platform of the pool (where it has landed).
import { loadModelFile } from '../src/node.js';
import { defaultWorkerCount, workerPlatform } from '../src/parallel/worker-pool.js';
import { mcDropoutExplanations } from '../src/uncertainty/mc-dropout-explanations.js';
import { benchBatch, SHARED_DIR } from './bench-inputs.js';
import { BENCH_MODELS, machineLoad, median, type BenchModelKey } from './pytorch.js';

const round = (v: number): number => Number(v.toPrecision(4));

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** A first run slower than this is kept as the only sample (warm-up included), so the matrix stays within minutes. */
const SLOW_MS = 5000;

/** Times `fn` once as warm-up and `repeats` times; returns the median and the runs (one run when the first is slow). */
async function measure(fn: () => Promise<void>, repeats: number): Promise<{ ms: number; runsMs: number[] }> {
  const first = performance.now();
  await fn();
  const firstMs = performance.now() - first;
  if (firstMs > SLOW_MS) return { ms: round(firstMs), runsMs: [round(firstMs)] };
  const runsMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    await fn();
    runsMs.push(round(performance.now() - start));
  }
  return { ms: median(runsMs), runsMs };
}

/** `x` repeated `times` times along the batch axis. */
function tiled(x: tf.Tensor, times: number): tf.Tensor {
  return tf.tidy(() => tf.tile(x, [times, ...x.shape.slice(1).map(() => 1)]));
}

/**
 * Plain forward+backward passes of the target logit over all rows of `x` (the executor's own gradient, the model's
 * rows per call, its kernel cache open as every entry point opens it): the floor of a sampled gradient method.
 */
async function plainGradientPasses(model: ExplainableModel, x: tf.Tensor, targets: number[]): Promise<void> {
  const settings = { outputIndex: model.defaultOutput, scores: 'logits' as const, batchSize: model.defaultBatchSize };
  const close = model.openKernelCache();
  try {
    const grads = targetGradients(model, x, targets, settings);
    await grads.data();
    grads.dispose();
  } finally {
    close();
  }
}

/** Plain forward rows, the model's rows per call (what pixel flipping's steps cost at least). */
async function plainForward(model: ExplainableModel, x: tf.Tensor): Promise<void> {
  const request = {
    outputIndex: model.defaultOutput,
    scores: 'logits',
    batchSize: model.defaultBatchSize,
    execution: {},
    session: defaultSession(model),
  } as const;
  const close = model.openKernelCache();
  try {
    const scores = await predictScores(model, x, request);
    await scores.data();
    scores.dispose();
  } finally {
    close();
  }
}

async function floorRatios(model: ExplainableModel, x: tf.Tensor, repeats: number): Promise<Record<string, unknown>> {
  const one = tf.slice(x, 0, 1);
  const { scores } = model.predict(one);
  const target = (await tf.argMax(scores, 1).data())[0];
  scores.dispose();
  const samples = 100;
  const copies = tiled(one, samples);
  try {
    const mc = await measure(async () => {
      await mcDropoutExplanations(model, one, { method: 'saliency', samples, seed: 1, target });
    }, repeats);
    const batched = await measure(() => plainGradientPasses(model, copies, Array(samples).fill(target)), repeats);
    const sequential = await measure(async () => {
      for (let s = 0; s < samples; s++) await plainGradientPasses(model, one, [target]);
    }, repeats);
    const explained = await saliency(model, x);
    const heatmapRows = (await explained.heatmaps.array()) as number[][];
    disposeAttribution(explained);
    let steps = 0;
    const flipping = await measure(async () => {
      steps = (await pixelFlipping(model, x, { heatmaps: heatmapRows, seed: 1 })).steps;
    }, repeats);
    const forwardRows = (steps + 1) * x.shape[0];
    const flipped = tiled(x, steps + 1);
    const forward = await measure(() => plainForward(model, flipped), repeats);
    flipped.dispose();
    return {
      mcDropout: {
        what: `${samples} MC-dropout samples of saliency, 1 input, vs ${samples} rows of plain forward+backward passes`,
        ms: mc.ms,
        plainBatchedMs: batched.ms,
        plainSequentialMs: sequential.ms,
        ratioOverBatched: round(mc.ms / batched.ms),
        ratioOverSequential: round(mc.ms / sequential.ms),
        target: 1.5,
      },
      pixelFlipping: {
        what: `full pixel-flipping run (saliency heatmaps, default fraction and step, ${x.shape[0]} inputs) vs (steps + 1)·inputs rows of plain forward passes`,
        steps,
        forwardRows,
        ms: flipping.ms,
        plainForwardMs: forward.ms,
        ratio: round(flipping.ms / forward.ms),
        target: 1.5,
      },
    };
  } finally {
    one.dispose();
    copies.dispose();
  }
}

/** Runs the matrix; returns plain JSON. */
export async function benchMethodMatrix(): Promise<Record<string, unknown>> {
  const missing = Object.values(BENCH_MODELS).filter((m) => !existsSync(SHARED_DIR + m.file));
  if (missing.length > 0)
    return { skipped: `../shared is absent or incomplete (missing ${missing.map((m) => m.file).join(', ')})` };
  const repeats = Math.max(1, Number(flag('repeats') ?? 3));
  const inputs = Math.max(1, Number(flag('inputs') ?? 1));
  const loadBefore = machineLoad();
  const rows: Record<string, unknown>[] = [];
  const floors: Record<string, unknown> = {};
  for (const key of Object.keys(BENCH_MODELS) as BenchModelKey[]) {
    const spec = BENCH_MODELS[key];
    const model = await loadModelFile(SHARED_DIR + spec.file);
    const batch = await benchBatch(spec.preset, inputs);
    const x = tf.tensor(batch.data, batch.shape);
    try {
      for (const name of attributionMethodNames) {
        console.error(`bench method-matrix: ${key} ${name}`);
        const { ms, runsMs } = await measure(async () => {
          disposeAttribution(await attributionMethods[name].run(model, x, { seed: 1 }));
        }, repeats);
        rows.push({ model: key, method: name, inputs, ms, msPerInput: round(ms / inputs), runsMs });
      }
      console.error(`bench method-matrix: ${key} floor ratios`);
      floors[key] = await floorRatios(model, x, repeats);
    } finally {
      x.dispose();
      model.dispose();
    }
  }
  return {
    command: `npm run bench -- method-matrix --repeats=${repeats} --inputs=${inputs}`,
    backend: tf.getBackend(),
    workerPlatform: workerPlatform() !== null,
    defaultWorkers: defaultWorkerCount(),
    models: Object.fromEntries(Object.entries(BENCH_MODELS).map(([k, v]) => [k, v.title])),
    options:
      'each method with its registry defaults (integrated gradients 50 steps, SmoothGrad 25 copies, occlusion window 8), seed 1',
    loadBefore,
    loadAfter: machineLoad(),
    rows,
    floors,
  };
}
