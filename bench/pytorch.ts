/**
 * `npm run bench -- pytorch [--repeats=N] [--cases=a,b] [--engines=onnx,tfjs] [--cold]`: the library's default call
 * (no engine option) against the project's own PyTorch reference (scripts/reference/torch_bench.py on Debian's
 * python3-torch), interleaved in one run: the issue-15 rows and issue 20's LRP-ε, DeepLIFT, Grad-CAM and occlusion rows.
 *
 * Per case: one agreement check (library result vs PyTorch result on the same inputs and targets: max |a − b| and that
 * over max |b|), which also warms both sides up; then `repeats` rounds of [library workers 1, library default workers,
 * PyTorch 1 thread, PyTorch 2 threads] (and, with `--engines`, the library forced onto ONNX Runtime / TensorFlow.js);
 * medians, the ratios library ÷ PyTorch, and the engine the results name. Load (`uptime`) before and after.
 * Skips with a message when /usr/bin/python3 lacks torch or ../shared is absent.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { spawnSync } from 'node:child_process';
import { attributionMethods } from '../src/attribution/registry.js';
import { deeplift } from '../src/attribution/deeplift.js';
import { gradCam } from '../src/attribution/grad-cam.js';
import { guidedBackprop } from '../src/attribution/guided-backprop.js';
import { integratedGradients } from '../src/attribution/integrated-gradients.js';
import { lrp } from '../src/attribution/lrp.js';
import { occlusion } from '../src/attribution/occlusion.js';
import { saliency } from '../src/attribution/saliency.js';
import { disposeAttribution, type AttributionResult } from '../src/attribution/types.js';
import type { ExplainableModel } from '../src/execution/explainable-model.js';
// The Node entry point: importing it registers the worker-thread platform of the pool (where it has landed).
import { loadModelFile } from '../src/node.js';
import { predictScores } from '../src/parallel/forward-task.js';
import { defaultSession } from '../src/session/session.js';
import type { ComputeBackend } from '../src/execution/execution-settings.js';
import { defaultWorkerCount, workerPlatform } from '../src/parallel/worker-pool.js';
import { startWorkerPool } from '../src/session/start-worker-pool.js';
import type { FeaturePresetName } from '../src/signal/presets.js';
import { mcDropoutExplanations } from '../src/uncertainty/mc-dropout-explanations.js';
import { benchBatch, SHARED_DIR, type BenchBatch } from './bench-inputs.js';
import { TorchReference, torchUnavailable, torchVersion } from './torch-reference.js';

/** The three models the issue measures (read from ../shared, never copied). */
export const BENCH_MODELS = {
  psd: {
    title: 'Potamitis PSD CNN (Sequential Mosquito_CNN_PSD, 129×1)',
    file: 'models/Potatamis_Sequential/PSD/Mosquito_CNN_PSD.h5',
    preset: 'potamitis-psd',
  },
  potamitisSpectrogram: {
    title: 'Potamitis spectrogram CNN (SimpleCls, 129×113×3)',
    file: 'models/Potatamis/spectro/SimpleCls/SimpleCls_spectro_frozen.h5',
    preset: 'potamitis-spectrogram',
  },
  keoghSpectrogram: {
    title: 'Keogh spectrogram CNN (SimpleCls Keogh_9, 129×33×3)',
    file: 'models/Keogh/Keogh_9/spectro/SimpleCls/SimpleCls_spectro_9.h5',
    preset: 'keogh-spectrogram',
  },
} as const satisfies Record<string, { title: string; file: string; preset: FeaturePresetName }>;
export type BenchModelKey = keyof typeof BENCH_MODELS;

/** Library options added to every call: `{ workers: 1 }` or `{}` (the library's default). */
type Extra = Record<string, unknown>;
/** A library call's values and the engine its result names (`'onnx'`, `'tfjs'`, `'onnx+tfjs'`) where it names one. */
interface LibraryResult {
  data: Float32Array;
  engine?: string;
}
type LibraryRun = (model: ExplainableModel, x: tf.Tensor, targets: number[], extra: Extra) => Promise<LibraryResult>;

interface TorchCase {
  name: string;
  title: string;
  model: BenchModelKey;
  inputs: number;
  /** Method of torch_bench.py and its options. */
  torch: { method: string; options?: Record<string, unknown> };
  library: LibraryRun;
  /** Agreement run when the timed settings cannot agree exactly (noise drawn by different generators). */
  agreement?: { torchOptions: Record<string, unknown>; library: LibraryRun; note: string };
  /** Also check agreement with a seeded random baseline (a zero baseline makes every max-pool window tie at α = 0). */
  randomBaseline?: true;
  /**
   * The method divides by values that can be near 0 (LRP-ε's z + ε·sign z with ε = 1e-6, DeepLIFT's Δx), so float32
   * rounding is amplified: also compare both sides with PyTorch in float64, and PyTorch float32 with float64 (the
   * yardstick: the library should be as close to float64 as PyTorch float32 is).
   */
  float64Yardstick?: true;
  /** Results are random on both sides (dropout masks): agreement is statistical, not float32. */
  statistical?: string;
  /** The figures of the issue that asked for the row (issue 15): library on one core, PyTorch 1 thread (ms). */
  issue?: { libraryMs: number; torchMs: number };
}

async function attributions(result: Promise<AttributionResult>): Promise<LibraryResult> {
  const r = await result;
  try {
    return { data: (await r.attributions.data()) as Float32Array, engine: r.engine };
  } finally {
    disposeAttribution(r);
  }
}

const smoothGradLibrary =
  (noiseStdev: number): LibraryRun =>
  (m, x, target, extra) =>
    attributions(attributionMethods.smoothgrad.run(m, x, { noiseSamples: 10, noiseStdev, seed: 1, target, ...extra }));

/** The rows of the issue's table. */
export const TORCH_CASES: TorchCase[] = [
  {
    name: 'ig-psd-8',
    title: 'integrated gradients, 50 steps (51 gradient evaluations, trapezoid), Potamitis PSD CNN, 8 inputs',
    model: 'psd',
    inputs: 8,
    torch: { method: 'integrated-gradients', options: { steps: 50 } },
    library: (m, x, target, extra) => attributions(integratedGradients(m, x, { steps: 50, target, ...extra })),
    randomBaseline: true,
    issue: { libraryMs: 566, torchMs: 148 },
  },
  {
    name: 'ig-potamitis-spectrogram-1',
    title: 'integrated gradients, 50 steps (51 evaluations), Potamitis spectrogram CNN 129×113×3, 1 input',
    model: 'potamitisSpectrogram',
    inputs: 1,
    torch: { method: 'integrated-gradients', options: { steps: 50 } },
    library: (m, x, target, extra) => attributions(integratedGradients(m, x, { steps: 50, target, ...extra })),
    randomBaseline: true,
    issue: { libraryMs: 2373, torchMs: 797 },
  },
  {
    name: 'ig-keogh-spectrogram-8',
    title: 'integrated gradients, 50 steps (51 evaluations), Keogh spectrogram CNN 129×33×3, 8 inputs',
    model: 'keoghSpectrogram',
    inputs: 8,
    torch: { method: 'integrated-gradients', options: { steps: 50 } },
    library: (m, x, target, extra) => attributions(integratedGradients(m, x, { steps: 50, target, ...extra })),
    randomBaseline: true,
    issue: { libraryMs: 5841, torchMs: 2290 },
  },
  {
    name: 'saliency-potamitis-spectrogram-64',
    title: 'saliency, Potamitis spectrogram CNN, 64 inputs',
    model: 'potamitisSpectrogram',
    inputs: 64,
    torch: { method: 'saliency' },
    library: (m, x, target, extra) => attributions(saliency(m, x, { target, ...extra })),
    issue: { libraryMs: 3720, torchMs: 947 },
  },
  {
    name: 'guided-backprop-psd-8',
    title: 'guided backprop, Potamitis PSD CNN, 8 inputs',
    model: 'psd',
    inputs: 8,
    torch: { method: 'guided-backprop' },
    library: (m, x, target, extra) => attributions(guidedBackprop(m, x, { target, ...extra })),
    issue: { libraryMs: 33.5, torchMs: 7.7 },
  },
  {
    name: 'smoothgrad-psd-8',
    title: 'SmoothGrad of saliency, 10 noisy copies (σ = 0.15 of each input’s range), Potamitis PSD CNN, 8 inputs',
    model: 'psd',
    inputs: 8,
    torch: { method: 'smoothgrad', options: { noiseSamples: 10, noiseStdev: 0.15 } },
    library: smoothGradLibrary(0.15),
    agreement: {
      torchOptions: { noiseSamples: 10, noiseStdev: 0 },
      library: smoothGradLibrary(0),
      note: 'noise is drawn by different generators on the two sides: agreement checked with noiseStdev 0 (10 copies averaged)',
    },
    issue: { libraryMs: 290, torchMs: 31 },
  },
  {
    name: 'mc-dropout-saliency-potamitis-spectrogram-1',
    title: '100 MC-dropout samples of saliency (mean heatmap), Potamitis spectrogram CNN, 1 input',
    model: 'potamitisSpectrogram',
    inputs: 1,
    torch: { method: 'mc-dropout', options: { samples: 100 } },
    library: async (m, x, target, extra) => {
      const mc = await mcDropoutExplanations(m, x, { method: 'saliency', samples: 100, seed: 1, target, ...extra });
      return { data: Float32Array.from(mc.examples[0].mean), engine: mc.engine };
    },
    statistical: 'dropout masks differ between the generators: mean heatmaps of 100 samples agree only statistically',
    issue: { libraryMs: 9583, torchMs: 1842 },
  },
  {
    name: 'forward-potamitis-spectrogram-64',
    title: 'forward only (logits, predictScores), Potamitis spectrogram CNN, 64 inputs',
    model: 'potamitisSpectrogram',
    inputs: 64,
    torch: { method: 'forward' },
    library: async (m, x, _targets, extra) => {
      const { engine: choice, workers } = extra as { engine?: ComputeBackend; workers?: number };
      const session = defaultSession(m);
      const engine = await session.resolveEngine('predictScores', choice ?? 'auto', workers);
      const request = {
        outputIndex: m.defaultOutput,
        scores: 'logits',
        batchSize: m.defaultBatchSize,
        execution: { backend: engine },
        session,
      } as const;
      const scores = await predictScores(m, x, { ...request, ...(workers === undefined ? {} : { workers }) });
      try {
        return { data: (await scores.data()) as Float32Array, engine };
      } finally {
        scores.dispose();
      }
    },
    issue: { libraryMs: 813, torchMs: 319 },
  },
  // Issue 20: the propagation and perturbation methods, each with the library's defaults.
  {
    name: 'lrp-epsilon-psd-8',
    title: 'LRP-ε (default composite, ε = 1e-6, batch norm its own layer), Potamitis PSD CNN, 8 inputs',
    model: 'psd',
    inputs: 8,
    torch: { method: 'lrp-epsilon' },
    float64Yardstick: true,
    library: (m, x, target, extra) => attributions(lrp(m, x, { target, ...extra })),
  },
  {
    name: 'lrp-epsilon-potamitis-spectrogram-8',
    title: 'LRP-ε (default composite), Potamitis spectrogram CNN, 8 inputs',
    model: 'potamitisSpectrogram',
    inputs: 8,
    torch: { method: 'lrp-epsilon' },
    float64Yardstick: true,
    library: (m, x, target, extra) => attributions(lrp(m, x, { target, ...extra })),
  },
  {
    name: 'deeplift-psd-8',
    title: 'DeepLIFT rescale (zero baseline, max-pool rule), Potamitis PSD CNN, 8 inputs',
    model: 'psd',
    inputs: 8,
    torch: { method: 'deeplift' },
    library: (m, x, target, extra) => attributions(deeplift(m, x, { target, ...extra })),
    randomBaseline: true,
    float64Yardstick: true,
  },
  {
    name: 'deeplift-potamitis-spectrogram-8',
    title: 'DeepLIFT rescale (zero baseline, max-pool rule), Potamitis spectrogram CNN, 8 inputs',
    model: 'potamitisSpectrogram',
    inputs: 8,
    torch: { method: 'deeplift' },
    library: (m, x, target, extra) => attributions(deeplift(m, x, { target, ...extra })),
    randomBaseline: true,
    float64Yardstick: true,
  },
  {
    name: 'grad-cam-psd-8',
    title: 'Grad-CAM on the last convolution, upsampled to the input, Potamitis PSD CNN, 8 inputs',
    model: 'psd',
    inputs: 8,
    torch: { method: 'grad-cam' },
    library: (m, x, target, extra) => attributions(gradCam(m, x, { target, ...extra })),
  },
  {
    name: 'grad-cam-potamitis-spectrogram-8',
    title: 'Grad-CAM on the last convolution, upsampled to the input, Potamitis spectrogram CNN, 8 inputs',
    model: 'potamitisSpectrogram',
    inputs: 8,
    torch: { method: 'grad-cam' },
    library: (m, x, target, extra) => attributions(gradCam(m, x, { target, ...extra })),
  },
  {
    name: 'occlusion-psd-8',
    title: 'occlusion (window 8, stride 4, zero baseline: 32 occluded copies per input), Potamitis PSD CNN, 8 inputs',
    model: 'psd',
    inputs: 8,
    torch: { method: 'occlusion' },
    library: (m, x, target, extra) => attributions(occlusion(m, x, { target, ...extra })),
  },
  {
    name: 'occlusion-potamitis-spectrogram-1',
    title: 'occlusion (8×8 windows, stride 4, zero baseline: 896 occluded copies), Potamitis spectrogram CNN, 1 input',
    model: 'potamitisSpectrogram',
    inputs: 1,
    torch: { method: 'occlusion' },
    library: (m, x, target, extra) => attributions(occlusion(m, x, { target, ...extra })),
  },
];

/** Largest |a − b|, largest |b| and their ratio. */
export function agreement(
  a: Float32Array,
  b: Float32Array,
): { maxAbsDiff: number; maxAbsReference: number; relative: number } {
  if (a.length !== b.length) throw new Error(`agreement: ${a.length} values vs ${b.length}`);
  let diff = 0;
  let ref = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    ref = Math.max(ref, Math.abs(b[i]));
  }
  return { maxAbsDiff: diff, maxAbsReference: ref, relative: diff / ref };
}

function pearson(a: Float32Array, b: Float32Array): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Share of the values with |a − b| ≤ tolerance·max |b|. */
export function withinShare(a: Float32Array, b: Float32Array, tolerance: number): number {
  const { maxAbsReference } = agreement(a, b);
  let ok = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) <= tolerance * maxAbsReference) ok++;
  return ok / a.length;
}

/**
 * How many examples (equal rows of `a` and `b`) agree within tolerance·max |b| of their own row. A float32 near-tie in
 * one max-pool window (two values closer than the two implementations' rounding) sends one example's gradient to a
 * neighbour across a whole receptive field; counting examples keeps that apart from a systematic difference.
 */
export function examplesWithin(a: Float32Array, b: Float32Array, examples: number, tolerance: number): string {
  const size = a.length / examples;
  let ok = 0;
  for (let e = 0; e < examples; e++) {
    const rows = [a.subarray(e * size, (e + 1) * size), b.subarray(e * size, (e + 1) * size)] as const;
    if (agreement(rows[0], rows[1]).relative <= tolerance) ok++;
  }
  return `${ok}/${examples}`;
}

function roundAll(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(v)]));
}

/** A seeded baseline per input: the input's mean plus half its standard deviation times standard-normal noise. */
export function randomBaseline(batch: BenchBatch, seed: number): tf.Tensor {
  return tf.tidy(() => {
    const x = tf.tensor(batch.data, batch.shape);
    const axes = batch.shape.slice(1).map((_, i) => i + 1);
    const { mean, variance } = tf.moments(x, axes, true);
    return tf.add(mean, tf.mul(tf.sqrt(variance), tf.randomNormal(batch.shape, 0, 0.5, 'float32', seed)));
  });
}

/** Why an example can disagree beyond float32 rounding on the methods with a float64 yardstick. */
const FLOAT64_NOTE =
  'libraryVsFloat64 and torchFloat32VsFloat64 compare each side with PyTorch in float64; an example whose activations meet a max-pool window with two values closer than float32 rounding (the Potamitis spectrogram batch cycles 6 recordings; the first has a window of maxpool2d_256 whose two largest values differ by 6.5e-6 relatively) is decided one way by the library and the other by PyTorch, which moves that example’s relevance across a receptive field: examplesWithin1e4 counts the examples that agree';

/** Pause after the PyTorch runs of a round, before the next engine runs (OpenMP's spinning threads stop). */
const SETTLE_MS = 300;

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `uptime` output (the machine's load) and Node's load averages. */
export function machineLoad(): { uptime: string; loadavg: number[] } {
  const uptime = spawnSync('uptime', { encoding: 'utf8' });
  return { uptime: (uptime.stdout ?? '').trim(), loadavg: loadavg().map((v) => Math.round(v * 100) / 100) };
}

/** Flags after `npm run bench -- pytorch`: `--repeats=N` (default 3; 0 checks agreement only), `--cases=name,...` (default all), `--engines=onnx,tfjs`. */
function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

/** Top class of every input (logits), the targets both sides explain. */
async function topClasses(model: ExplainableModel, x: tf.Tensor): Promise<number[]> {
  const { scores } = model.predict(x);
  const top = tf.argMax(scores, 1);
  const values = Array.from(await top.data());
  scores.dispose();
  top.dispose();
  return values;
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const round = (v: number, digits = 3): number => Number(v.toPrecision(digits));

/** Columns forced onto one engine (`--engines=onnx,tfjs`), timed after the pause of each round beside the default. */
const FORCED = {
  onnx: { libraryOnnx: { engine: 'onnx' }, libraryOnnx1: { engine: 'onnx', workers: 1 } },
  tfjs: { libraryTfjs: { engine: 'tfjs' }, libraryTfjs1: { engine: 'tfjs', workers: 1 } },
} as const;

/** Runs the PyTorch comparison; returns plain JSON (or `{ skipped }`). */
export async function benchPytorch(): Promise<Record<string, unknown>> {
  const missing = Object.values(BENCH_MODELS)
    .map((m) => SHARED_DIR + m.file)
    .filter((p) => !existsSync(p));
  if (missing.length > 0) return { skipped: `../shared is absent or incomplete (missing ${missing.join(', ')})` };
  const noTorch = torchUnavailable();
  if (noTorch !== false) return { skipped: noTorch };
  const repeats = Math.max(0, Number(flag('repeats') ?? 3)); // 0: the agreement checks only
  const only = flag('cases')?.split(',');
  const unknown = only?.filter((name) => !TORCH_CASES.some((c) => c.name === name)) ?? [];
  if (unknown.length > 0)
    throw new Error(`--cases: unknown ${unknown.join(', ')}; cases: ${TORCH_CASES.map((c) => c.name).join(', ')}`);
  const cases = TORCH_CASES.filter((c) => only === undefined || only.includes(c.name));
  const forcedEngines = (flag('engines')?.split(',') ?? []) as (keyof typeof FORCED)[];
  for (const e of forcedEngines)
    if (!(e in FORCED)) throw new Error(`--engines: expected onnx and/or tfjs, got '${e}'`);
  const forced: [string, Extra][] = forcedEngines.flatMap((e) => Object.entries(FORCED[e]));
  const settings = { single: { workers: 1 }, default: {} } as const;
  const warm = !process.argv.includes('--cold');
  const loadBefore = machineLoad();
  const started = performance.now();
  const torch = new TorchReference();
  const models = new Map<BenchModelKey, ExplainableModel>();
  const batches = new Map<string, { batch: BenchBatch; x: tf.Tensor; targets: number[] }>();
  const rows: Record<string, unknown>[] = [];
  try {
    for (const c of cases) {
      const spec = BENCH_MODELS[c.model];
      if (!models.has(c.model)) {
        const loaded = await loadModelFile(SHARED_DIR + spec.file);
        models.set(c.model, loaded);
        // A user explaining many recordings has a running pool: start it up front (`--cold` measures without).
        if (warm) await startWorkerPool(loaded);
        await torch.load(c.model, SHARED_DIR + spec.file);
      }
      const key = `${c.model}-${c.inputs}`;
      if (!batches.has(key)) {
        const batch = await benchBatch(spec.preset, c.inputs);
        const x = tf.tensor(batch.data, batch.shape);
        batches.set(key, { batch, x, targets: await topClasses(models.get(c.model) as ExplainableModel, x) });
        await torch.input(key, batch.data, batch.shape);
      }
    }
    for (const c of cases) {
      const model = models.get(c.model) as ExplainableModel;
      const { x, targets, batch } = batches.get(`${c.model}-${c.inputs}`) as {
        batch: BenchBatch;
        x: tf.Tensor;
        targets: number[];
      };
      const key = `${c.model}-${c.inputs}`;
      console.error(`bench pytorch: ${c.name} (agreement)`);
      await torch.threads(1);
      const check = c.agreement;
      const libraryResult = await (check?.library ?? c.library)(model, x, targets, settings.default);
      const singleResult = await c.library(model, x, targets, settings.single);
      const torchResult = await torch.run(
        c.model,
        key,
        c.torch.method,
        targets,
        check?.torchOptions ?? c.torch.options,
        true,
      );
      const reference = torchResult.data as Float32Array;
      const agree = agreement(libraryResult.data, reference);
      /** Library and PyTorch float32 each against PyTorch float64 (same options). */
      const yardstick = async (lib: Float32Array, ref: Float32Array, options: Record<string, unknown> = {}) => {
        if (c.float64Yardstick === undefined) return {};
        const exact = await torch.run(c.model, key, c.torch.method, targets, { ...options, float64: true }, true);
        const double = exact.data as Float32Array;
        return {
          libraryVsFloat64: {
            ...roundAll(agreement(lib, double)),
            examplesWithin1e4: examplesWithin(lib, double, c.inputs, 1e-4),
          },
          torchFloat32VsFloat64: {
            ...roundAll(agreement(ref, double)),
            examplesWithin1e4: examplesWithin(ref, double, c.inputs, 1e-4),
          },
        };
      };
      const float64 = await yardstick(libraryResult.data, reference, check?.torchOptions ?? c.torch.options);
      let withRandomBaseline: Record<string, unknown> | undefined;
      if (c.randomBaseline) {
        const baseline = randomBaseline(batch, 7);
        await torch.input(`${key}-baseline`, baseline.dataSync() as Float32Array, batch.shape);
        const lib = await c.library(model, x, targets, { ...settings.default, baseline });
        const ref = await torch.run(
          c.model,
          key,
          c.torch.method,
          targets,
          { ...c.torch.options, baseline: `${key}-baseline` },
          true,
        );
        const a = agreement(lib.data, ref.data as Float32Array);
        withRandomBaseline = {
          ...roundAll(a),
          within1e4: a.relative <= 1e-4,
          examplesWithin1e4: examplesWithin(lib.data, ref.data as Float32Array, c.inputs, 1e-4),
          ...(await yardstick(lib.data, ref.data as Float32Array, { ...c.torch.options, baseline: `${key}-baseline` })),
        };
        baseline.dispose();
      }
      const times: Record<string, number[]> = { librarySingle: [], libraryDefault: [], torch1: [], torch2: [] };
      for (const [column] of forced) times[column] = [];
      for (let r = 0; r < repeats; r++) {
        console.error(`bench pytorch: ${c.name} (round ${r + 1}/${repeats})`);
        // PyTorch runs between the library's runs, so neither runs right after the other's threads were busy.
        times.librarySingle.push(await timed(() => c.library(model, x, targets, settings.single)));
        times.libraryDefault.push(await timed(() => c.library(model, x, targets, settings.default)));
        for (const threads of [1, 2] as const) {
          await torch.threads(threads);
          const run = await torch.run(c.model, key, c.torch.method, targets, c.torch.options, false, r + 1);
          times[threads === 1 ? 'torch1' : 'torch2'].push(run.ms);
        }
        // PyTorch's OpenMP threads keep spinning on a core for a while after a run: let them stop first.
        await new Promise((done) => setTimeout(done, SETTLE_MS));
        // The first run after the pause meets a cold core and cache: the forced columns take turns going first.
        const order = r % 2 === 0 ? forced : [...forced].reverse();
        for (const [column, extra] of order) times[column].push(await timed(() => c.library(model, x, targets, extra)));
      }
      const ms = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, round(median(v), 4)]));
      const over = (column: string): Record<string, number> => ({
        [`${column}OverTorch1`]: round(ms[column] / ms.torch1),
        [`${column}OverTorch2`]: round(ms[column] / ms.torch2),
      });
      const ratios = Object.assign(
        {},
        ...['libraryDefault', 'librarySingle', ...forced.map(([column]) => column)].map(over),
      ) as Record<string, number>;
      rows.push({
        case: c.name,
        title: c.title,
        model: BENCH_MODELS[c.model].title,
        inputs: batch.source,
        targets,
        engine: { default: libraryResult.engine, single: singleResult.engine },
        agreement: {
          ...roundAll(agree),
          withinShare: round(withinShare(libraryResult.data, reference, 1e-4), 6),
          examplesWithin1e4: examplesWithin(libraryResult.data, reference, c.inputs, 1e-4),
          ...(c.statistical !== undefined
            ? { statistical: c.statistical, pearson: round(pearson(libraryResult.data, reference), 4) }
            : { within1e4: agree.relative <= 1e-4 }),
          ...float64,
          ...(c.float64Yardstick !== undefined ? { float64Note: FLOAT64_NOTE } : {}),
          ...(check !== undefined ? { note: check.note } : {}),
          ...(withRandomBaseline !== undefined
            ? {
                withRandomBaseline,
                note: 'zero baseline: every max-pool window of the baseline ties (a constant input); the two sides agree on the first winner, but a near-tie in the input decided differently by float32 rounding moves a gradient to a neighbour; withRandomBaseline repeats the check from a seeded random baseline',
              }
            : {}),
        },
        ms,
        runsMs: times,
        ratios,
        target: {
          defaultOverTorch1: '≤ 0.7',
          defaultOverTorch2: '≤ 1.0',
          met: ratios.libraryDefaultOverTorch1 <= 0.7 && ratios.libraryDefaultOverTorch2 <= 1,
        },
        ...(c.issue !== undefined
          ? { issue15: { ...c.issue, ratio: round(c.issue.libraryMs / c.issue.torchMs, 2) } }
          : {}),
      });
    }
  } finally {
    await torch.close();
    for (const { x } of batches.values()) x.dispose();
    for (const m of models.values()) m.dispose();
  }
  return {
    command: `npm run bench -- pytorch --repeats=${repeats}${only ? ` --cases=${only.join(',')}` : ''}${forcedEngines.length > 0 ? ` --engines=${forcedEngines.join(',')}` : ''}${warm ? '' : ' --cold'}`,
    backend: tf.getBackend(),
    torch: torchVersion(),
    repeats,
    librarySettings: {
      single: settings.single,
      default: settings.default,
      ...Object.fromEntries(forced),
      warmPool: warm,
      note: "options object passed to every library call: the default is no engine option ('auto': ONNX Runtime where the model lowers and the method has an ONNX path, else TensorFlow.js); each row's `engine` is what the results name",
      workerPlatform: workerPlatform() !== null,
      defaultWorkers: defaultWorkerCount(),
    },
    torchSide: 'scripts/reference/torch_bench.py on /usr/bin/python3; times are the computation only (perf_counter)',
    order: `per round and case: library workers 1, library default (pool started up front unless --cold), PyTorch 1 thread, PyTorch 2 threads, a 300 ms pause${forced.length > 0 ? `, then the forced columns (${forced.map(([c]) => c).join(', ')}) taking turns going first` : ''}`,
    loadBefore,
    loadAfter: machineLoad(),
    totalSeconds: round((performance.now() - started) / 1000),
    cases: rows,
  };
}
