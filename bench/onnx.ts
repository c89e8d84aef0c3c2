/**
 * `npm run bench -- onnx`: the onnxruntime-node spike. The same work on the Potamitis PSD and spectrogram CNNs through
 * the library's TensorFlow.js wasm path (one thread) and through the compiled ONNX gradient graph
 * (src/node/onnx, intraOpNumThreads 1 and 2) and, where Debian's python3-torch is installed, PyTorch with 1 and 2
 * threads (scripts/reference/onnx_torch_timing.py), interleaved round by round; medians, ratios, agreement, load.
 * The `libraryOnnx1/2` sides are the library's own calls with `backend: 'onnx'` and `workers` 1 / 2 (the shipped path:
 * the request frame, row tasks, the ONNX task accelerator).
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { saliency } from '../src/attribution/saliency.js';
import { integratedGradients } from '../src/attribution/integrated-gradients.js';
import { integrationPoints } from '../src/attribution/integral-approximation.js';
import { disposeAttribution } from '../src/attribution/types.js';
import type { ExplainableModel } from '../src/execution/explainable-model.js';
import { loadModelFile } from '../src/node/load-model-file.js';
import { OnnxGradientSession } from '../src/node/onnx/node-onnx-sessions.js';
import { DEFAULT_BATCH_SIZE, chunks } from '../src/util/batching.js';
import { defaultSession } from '../src/session/session.js';
import { predictScores } from '../src/parallel/forward-task.js';
import '../src/node.js'; // registers backend 'onnx' (and Node worker threads)

const SHARED = fileURLToPath(new URL('../../shared/models/', import.meta.url));
const MODELS = {
  psd: 'Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5',
  spectrogram: 'Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5',
} as const;

/** What one side computes for a case: the result's numbers (for the agreement check). */
type Side = () => Promise<Float32Array>;

const TORCH_PYTHON = '/usr/bin/python3';
const TORCH_SCRIPT = fileURLToPath(new URL('../scripts/reference/onnx_torch_timing.py', import.meta.url));

/** Why the PyTorch side cannot run, or false. */
function torchUnavailable(): string | false {
  const probe = spawnSync(TORCH_PYTHON, ['-c', 'import torch, h5py'], { encoding: 'utf8' });
  return probe.status === 0 ? false : `${TORCH_PYTHON} cannot import torch and h5py (python3-torch, python3-h5py)`;
}

/** One timed PyTorch run of a case (the script times the computation itself, after a warm-up run). */
function torchMs(caseName: string, threads: number): number {
  const run = spawnSync(TORCH_PYTHON, [TORCH_SCRIPT, caseName, String(threads)], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`PyTorch timing of ${caseName} failed: ${run.stderr.trim().split('\n').pop()}`);
  return (JSON.parse(run.stdout) as { ms: number }).ms;
}

interface Case {
  name: string;
  /** Rows of the result (inputs, or score rows). */
  rows: number;
  title: string;
  wasm: Side;
  /** The library's own call with `backend: 'onnx'` and `workers` = onnxruntime's intra-op threads. */
  library: (threads: number) => Side;
  onnx: (session: OnnxGradientSession) => Side;
}

function argmaxRows(scores: Float32Array, classes: number): number[] {
  const rows = scores.length / classes;
  return Array.from({ length: rows }, (_, r) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (scores[r * classes + c] > scores[r * classes + best]) best = c;
    return best;
  });
}

/** Scores of all rows through the forward-only graph, in chunks of the library's batch size. */
async function onnxScores(session: OnnxGradientSession, x: Float32Array): Promise<Float32Array> {
  const size = x.length / (x.length / session.inputShape.reduce((a, b) => a * b, 1));
  const rows = x.length / size;
  const out = new Float32Array(rows * session.classes);
  for (const { start, end } of chunks(rows, DEFAULT_BATCH_SIZE))
    out.set(await session.scores(x.subarray(start * size, end * size)), start * session.classes);
  return out;
}

/** Saliency (|gradient| of the top class) through the ONNX graph, chunked like the library. */
async function onnxSaliency(session: OnnxGradientSession, x: Float32Array): Promise<Float32Array> {
  const size = session.inputShape.reduce((a, b) => a * b, 1);
  const targets = argmaxRows(await onnxScores(session, x), session.classes);
  const out = new Float32Array(x.length);
  for (const { start, end } of chunks(targets.length, DEFAULT_BATCH_SIZE)) {
    const { gradient } = await session.gradients(x.subarray(start * size, end * size), targets.slice(start, end));
    for (let i = 0; i < gradient.length; i++) out[start * size + i] = Math.abs(gradient[i]);
  }
  return out;
}

/** Integrated gradients (zero baseline, trapezoid, `steps` intervals) through the ONNX graph, chunked like the library. */
async function onnxIntegratedGradients(session: OnnxGradientSession, x: Float32Array, steps: number) {
  const size = session.inputShape.reduce((a, b) => a * b, 1);
  const batch = x.length / size;
  const targets = argmaxRows(await onnxScores(session, x), session.classes);
  const { alphas, weights } = integrationPoints(steps, 'trapezoid');
  const points = alphas.length;
  const integral = new Float32Array(x.length);
  for (const { start, end } of chunks(batch * points, DEFAULT_BATCH_SIZE)) {
    const rows = end - start;
    const path = new Float32Array(rows * size);
    const rowTargets: number[] = [];
    for (let r = 0; r < rows; r++) {
      const example = Math.floor((start + r) / points);
      const alpha = alphas[(start + r) % points];
      rowTargets.push(targets[example]);
      for (let i = 0; i < size; i++) path[r * size + i] = alpha * x[example * size + i];
    }
    const { gradient } = await session.gradients(path, rowTargets);
    for (let r = 0; r < rows; r++) {
      const example = Math.floor((start + r) / points);
      const w = weights[(start + r) % points];
      for (let i = 0; i < size; i++) integral[example * size + i] += w * gradient[r * size + i];
    }
  }
  await onnxScores(session, new Float32Array(x.length)); // the baseline's scores, for the completeness delta
  return integral.map((g, i) => g * x[i]);
}

async function attributionsOf(run: ReturnType<typeof saliency>): Promise<Float32Array> {
  const result = await run;
  try {
    return (await result.attributions.data()) as Float32Array;
  } finally {
    disposeAttribution(result);
  }
}

function cases(models: Record<keyof typeof MODELS, ExplainableModel>, inputs: Record<string, tf.Tensor>): Case[] {
  return [
    {
      name: 'saliency-spectrogram-64',
      rows: 64,
      title: 'saliency, Potamitis spectrogram CNN, 64 inputs',
      wasm: () => attributionsOf(saliency(models.spectrogram, inputs.spectrogram64, { workers: 1 })),
      library: (workers) => () =>
        attributionsOf(saliency(models.spectrogram, inputs.spectrogram64, { workers, backend: 'onnx' })),
      onnx: (s) => () => onnxSaliency(s, inputs.spectrogram64.dataSync() as Float32Array),
    },
    {
      name: 'ig50-psd-8',
      rows: 8,
      title: 'integrated gradients, 50 steps (51 rows per input), Potamitis PSD CNN, 8 inputs',
      wasm: () => attributionsOf(integratedGradients(models.psd, inputs.psd8, { steps: 50, workers: 1 })),
      library: (workers) => () =>
        attributionsOf(integratedGradients(models.psd, inputs.psd8, { steps: 50, workers, backend: 'onnx' })),
      onnx: (s) => () => onnxIntegratedGradients(s, inputs.psd8.dataSync() as Float32Array, 50),
    },
    {
      name: 'ig50-spectrogram-1',
      rows: 1,
      title: 'integrated gradients, 50 steps, Potamitis spectrogram CNN, 1 input',
      wasm: () =>
        attributionsOf(integratedGradients(models.spectrogram, inputs.spectrogram1, { steps: 50, workers: 1 })),
      library: (workers) => () =>
        attributionsOf(
          integratedGradients(models.spectrogram, inputs.spectrogram1, { steps: 50, workers, backend: 'onnx' }),
        ),
      onnx: (s) => () => onnxIntegratedGradients(s, inputs.spectrogram1.dataSync() as Float32Array, 50),
    },
    {
      name: 'forward-spectrogram-64',
      rows: 64,
      title: 'forward only (logits), Potamitis spectrogram CNN, 64 inputs',
      wasm: async () => {
        const { scores } = models.spectrogram.predict(inputs.spectrogram64);
        try {
          return (await scores.data()) as Float32Array;
        } finally {
          scores.dispose();
        }
      },
      library: (workers) => () => libraryForward(models.spectrogram, inputs.spectrogram64, workers),
      onnx: (s) => () => onnxScores(s, inputs.spectrogram64.dataSync() as Float32Array),
    },
  ];
}

/** The library's forward pass with `backend: 'onnx'` (the request frame's `predictScores`, as every method runs it). */
async function libraryForward(model: ExplainableModel, x: tf.Tensor, workers: number): Promise<Float32Array> {
  const session = defaultSession(model);
  const backend = await session.resolveEngine('bench', 'onnx', workers);
  const request = { outputIndex: 0, scores: 'logits' as const, batchSize: model.defaultBatchSize, workers, session };
  const scores = await predictScores(model, x, { ...request, execution: { backend } });
  try {
    return (await scores.data()) as Float32Array;
  } finally {
    scores.dispose();
  }
}

/**
 * Agreement of two results of `rows` equal-sized rows: the largest |a - b| over the largest |b|, and the rows whose own
 * relative difference exceeds 1e-5 (a max-pool window whose two largest values lie within float32 rounding sends the
 * gradient to a different element in each implementation; such rows differ as a whole receptive field).
 */
function agreement(a: Float32Array, b: Float32Array, rows: number): { maxRelative: number; rowsOver1e5: string } {
  const size = b.length / rows;
  let differing = 0;
  let diff = 0;
  let scale = 0;
  for (let r = 0; r < rows; r++) {
    let rowDiff = 0;
    let rowScale = 0;
    for (let i = r * size; i < (r + 1) * size; i++) {
      rowDiff = Math.max(rowDiff, Math.abs(a[i] - b[i]));
      rowScale = Math.max(rowScale, Math.abs(b[i]));
    }
    if (rowDiff > 1e-5 * rowScale) differing++;
    diff = Math.max(diff, rowDiff);
    scale = Math.max(scale, rowScale);
  }
  return { maxRelative: diff / scale, rowsOver1e5: `${differing}/${rows}` };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `loadavg ${loadavg().join(' ')}`;
  }
}

async function timed(side: Side): Promise<[number, Float32Array]> {
  const start = performance.now();
  const result = await side();
  return [performance.now() - start, result];
}

/** The interleaved comparison; skipped without ../shared. `ONNX_BENCH_ROUNDS` sets the rounds (default 5). */
export async function benchOnnx(): Promise<Record<string, unknown>> {
  if (!existsSync(SHARED)) return { skipped: `../shared is absent (${SHARED})` };
  const rounds = Number(process.env.ONNX_BENCH_ROUNDS ?? 5);
  const loadBefore = uptime();
  const models = {
    psd: await loadModelFile(SHARED + MODELS.psd),
    spectrogram: await loadModelFile(SHARED + MODELS.spectrogram),
  };
  const inputs = {
    psd8: tf.randomNormal([8, 129, 1], -60, 15, 'float32', 1),
    spectrogram64: tf.randomUniform([64, 129, 113, 3], 0, 1, 'float32', 2),
    spectrogram1: tf.randomUniform([1, 129, 113, 3], 0, 1, 'float32', 3),
  };
  const sessions: Record<string, Record<number, OnnxGradientSession>> = {};
  for (const key of Object.keys(MODELS) as (keyof typeof MODELS)[]) {
    sessions[key] = {};
    for (const threads of [1, 2]) sessions[key][threads] = await OnnxGradientSession.create(models[key], { threads });
  }
  const sessionOf = (name: string, threads: number) => sessions[name.includes('psd') ? 'psd' : 'spectrogram'][threads];
  const rows: Record<string, unknown>[] = [];
  const torch = torchUnavailable();
  try {
    for (const c of cases(models, inputs)) {
      const sides: [string, Side][] = [
        ['wasm', c.wasm],
        ['onnx1', c.onnx(sessionOf(c.name, 1))],
        ['onnx2', c.onnx(sessionOf(c.name, 2))],
        ['libraryOnnx1', c.library(1)],
        ['libraryOnnx2', c.library(2)],
      ];
      const times: Record<string, number[]> = Object.fromEntries(sides.map(([name]) => [name, []]));
      const results: Record<string, Float32Array> = {};
      for (const [name, side] of sides) results[name] = (await timed(side))[1]; // warm-up, kept for agreement
      if (torch === false) times.torch1 = [];
      if (torch === false) times.torch2 = [];
      for (let round = 0; round < rounds; round++) {
        for (const [name, side] of sides) times[name].push((await timed(side))[0]);
        if (torch === false) for (const threads of [1, 2]) times[`torch${threads}`].push(torchMs(c.name, threads));
      }
      const ms = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, median(t)]));
      const ratios: Record<string, number> = { onnx1OverWasm: ms.onnx1 / ms.wasm, onnx2OverWasm: ms.onnx2 / ms.wasm };
      if (torch === false)
        for (const side of ['wasm', 'onnx1', 'onnx2', 'libraryOnnx1', 'libraryOnnx2'])
          for (const threads of [1, 2]) ratios[`${side}OverTorch${threads}`] = ms[side] / ms[`torch${threads}`];
      rows.push({
        case: c.name,
        title: c.title,
        medianMs: ms,
        runsMs: times,
        ratios,
        onnx1VsWasm: agreement(results.onnx1, results.wasm, c.rows),
        libraryOnnx1VsWasm: agreement(results.libraryOnnx1, results.wasm, c.rows),
        libraryOnnx2VsLibraryOnnx1: agreement(results.libraryOnnx2, results.libraryOnnx1, c.rows),
      });
      console.error(`bench onnx: ${c.name} ${JSON.stringify(ms)}`);
    }
  } finally {
    for (const byThreads of Object.values(sessions)) for (const s of Object.values(byThreads)) await s.release();
    Object.values(inputs).forEach((t) => t.dispose());
    Object.values(models).forEach((m) => m.dispose());
  }
  return {
    command: 'npm run bench -- onnx',
    rounds,
    wasmBackend: tf.getBackend(),
    onnxruntime: 'onnxruntime-node (CPU execution provider), graphOptimizationLevel all, intraOpNumThreads 1 / 2',
    pytorch: torch === false ? `${TORCH_SCRIPT} (one process per timing, warm-up + 1 timed run)` : { skipped: torch },
    loadBefore,
    loadAfter: uptime(),
    rows,
  };
}
