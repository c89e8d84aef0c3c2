/**
 * `dataset` at archive scale on the Potamitis PSD model (../shared/models, Mosquito_CNN_PSD.h5; skipped with a message
 * when absent): synthetic recordings of the Potamitis PSD preset (the project's generator, 8 kHz 16-bit WAV, six demo
 * species) explained WAV to Parquet by `wingbeats-xai dataset` processes, each measured for wall time, CPU time (the
 * process and its ONNX session-pool processes) and peak memory (max RSS):
 *
 * - the default run per method (no flags: on 2 cores and at least 64 recordings two one-core shard processes merged
 *   by their parent; `processes` says how many): saliency, integrated gradients with 50 steps, exact Shapley values over
 *   8 bands (`maxRssMB` of this row is the parent's; each shard process peaks near a `--workers 1` process);
 * - integrated gradients in one process with its ONNX session pool (`--processes 1`: the default before it ran as
 *   processes);
 * - integrated gradients as two shards at once with `--workers 1` (one core each), the other way to use both cores;
 * - saliency as 16 shards, two at a time with `--workers 1`, then `dataset merge` of the 16 timed alone.
 *
 * On a shared machine wall time says little; CPU seconds per recording do. `recordingsPerCoreSecond` is recordings per
 * CPU second (what one fully used core explains per second) and `archiveHoursOn2Cores` extrapolates it to the
 * 280,000-recording Potamitis archive with both cores fully used (the target: at most 1 hour). Each method's fixed cost
 * per process (startup, model loading, the merge and report of a run) is measured on 6 recordings and also given apart,
 * so small runs can be extrapolated: `marginalCpuMsPerRecording` leaves it out.
 *
 *   npm run bench -- dataset                                    (100,000 recordings: hours)
 *   DATASET_BENCH_RECORDINGS=600 npm run bench -- dataset       (a few minutes on an idle machine)
 *   DATASET_BENCH_PARTS=integratedGradients50 npm run bench -- dataset   (only the named parts: saliency,
 *   integratedGradients50, shapley8Bands, onePoolProcess, twoShardsOneCoreEach, merge16Shards; default all)
 *   npm run build && DATASET_BENCH_DIST=1 DATASET_BENCH_RECORDINGS=600 npm run bench -- dataset   (the built CLI, as
 *   installed: no TypeScript compiled at each process start, which on a loaded machine can also make the HDF5 model
 *   read exceed its 15-second guard)
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticDataset } from '../scripts/synthetic-dataset.js';
import { DEMO_SPECIES } from '../src/demo/synthesize.js';
import { MIN_EXAMPLES_FOR_PROCESSES } from '../src/node/cli/dataset-processes.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
/** The CLI: from the TypeScript sources (bin/), or with DATASET_BENCH_DIST=1 from the build in dist/. */
const useBuild = process.env.DATASET_BENCH_DIST === '1';
const bin = path.join(repo, ...(useBuild ? ['bench', 'run-built-cli.mjs'] : ['bin', 'wingbeats-xai.js']));
const preload = path.join(repo, 'bench', 'report-max-rss.mjs');
const model = path.join(repo, '..', 'shared', 'models', 'Potatamis_Sequential', 'PSD', 'Mosquito_CNN_PSD.h5');

/** Recordings of the Potamitis archive, and the hours it should take on this 2-core machine. */
const ARCHIVE_RECORDINGS = 280_000;
const TARGET_HOURS = 1;

/** The parts of the benchmark, in the order they run (`DATASET_BENCH_PARTS` picks some). */
const PARTS = [
  'saliency',
  'integratedGradients50',
  'shapley8Bands',
  'onePoolProcess',
  'twoShardsOneCoreEach',
  'merge16Shards',
] as const;

/** The parts `DATASET_BENCH_PARTS` names (comma-separated; default all). */
function chosenParts(): Set<string> {
  const given = process.env.DATASET_BENCH_PARTS;
  if (given === undefined || given.trim() === '') return new Set(PARTS);
  const names = given.split(',').map((p) => p.trim());
  const unknown = names.filter((n) => !(PARTS as readonly string[]).includes(n));
  if (unknown.length > 0)
    throw new Error(`DATASET_BENCH_PARTS must name parts of ${PARTS.join(', ')} but has ${unknown.join(', ')}`);
  return new Set(names);
}

/** Default number of synthetic recordings (`DATASET_BENCH_RECORDINGS` changes it). */
const DEFAULT_RECORDINGS = 100_000;

interface Run {
  seconds: number;
  cpuSeconds: number;
  maxRssMB: number;
}

/** Runs left after a model read timed out (see {@link run}); counted in the results. */
let retries = 0;

/**
 * Runs one `wingbeats-xai` process. On a heavily loaded machine the HDF5 model read can exceed its 15-second guard
 * (reported as a damaged file); such a run is started again, up to four times (`retries` counts them).
 */
async function run(argv: string[]): Promise<Run> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runOnce(argv);
    } catch (error) {
      if (attempt >= 4 || !/could not be read as HDF5 within/.test((error as Error).message)) throw error;
      retries++;
    }
  }
}

function runOnce(argv: string[]): Promise<Run> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', preload, bin, ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`wingbeats-xai ${argv.join(' ')} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
        return;
      }
      const kb = Number(/maxRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
      const cpuMs = Number(/cpuMs=(\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({
        seconds: (performance.now() - start) / 1000,
        cpuSeconds: cpuMs / 1000,
        maxRssMB: Math.round(kb / 1024),
      });
    });
  });
}

/** Several runs at once: the wall time of all, their CPU summed, the largest peak memory. */
async function together(argvs: string[][]): Promise<Run> {
  const start = performance.now();
  const runs = await Promise.all(argvs.map((argv) => run(argv)));
  return {
    seconds: (performance.now() - start) / 1000,
    cpuSeconds: runs.reduce((sum, r) => sum + r.cpuSeconds, 0),
    maxRssMB: Math.max(...runs.map((r) => r.maxRssMB)),
  };
}

/** A run's figures per recording, with `fixed` (the same command on 6 recordings) as its fixed cost. */
function figures(measured: Run, count: number, fixed?: Run): Record<string, number | boolean> {
  const cpuPerRecording = measured.cpuSeconds / count;
  const marginal = fixed === undefined ? undefined : Math.max(0, measured.cpuSeconds - fixed.cpuSeconds) / count;
  const perCoreSecond = 1 / (marginal ?? cpuPerRecording);
  const hours = (ARCHIVE_RECORDINGS * (marginal ?? cpuPerRecording)) / 2 / 3600;
  return {
    wallSeconds: round(measured.seconds),
    recordingsPerWallSecond: round(count / measured.seconds),
    cpuSeconds: round(measured.cpuSeconds),
    cpuMsPerRecording: round(cpuPerRecording * 1000),
    ...(fixed === undefined
      ? {}
      : { fixedCpuSeconds: round(fixed.cpuSeconds), marginalCpuMsPerRecording: round((marginal as number) * 1000) }),
    recordingsPerCoreSecond: round(perCoreSecond),
    archiveHoursOn2Cores: round(hours),
    meetsTarget: hours <= TARGET_HOURS,
    maxRssMB: measured.maxRssMB,
    // The same command's peak on 6 recordings: memory flat in the number of recordings keeps the two close.
    ...(fixed === undefined ? {} : { maxRssMBOn6Recordings: fixed.maxRssMB }),
  };
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

/** Runs the dataset benchmark (see the module doc). */
export async function benchDataset(): Promise<Record<string, unknown>> {
  if (!existsSync(model))
    return { skipped: `the Potamitis PSD model is absent (${model}): ../shared is needed for this benchmark` };
  const wanted = Number(process.env.DATASET_BENCH_RECORDINGS ?? DEFAULT_RECORDINGS);
  if (!Number.isInteger(wanted) || wanted < DEMO_SPECIES.length)
    throw new Error(
      `DATASET_BENCH_RECORDINGS must be an integer of at least ${DEMO_SPECIES.length} but is '${process.env.DATASET_BENCH_RECORDINGS}'`,
    );
  const parts = chosenParts();
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-bench-dataset-'));
  try {
    const folder = path.join(work, 'recordings');
    const count = (
      await writeSyntheticDataset(folder, { perSpecies: Math.ceil(wanted / DEMO_SPECIES.length), seed: 3 })
    ).length;
    const tiny = path.join(work, 'tiny');
    await writeSyntheticDataset(tiny, { perSpecies: 1, seed: 4 });
    const result: Record<string, unknown> = {
      cli: useBuild ? 'dist/ (built)' : 'src/ through tsx',
      model: 'Potamitis Mosquito_CNN_PSD.h5 (../shared/models/Potatamis_Sequential/PSD)',
      recordings: count,
      cores: os.cpus().length,
      loadAverageAtStart: os.loadavg(),
    };
    const command = (input: string, out: string, methods: string[], extra: string[] = []): string[] => [
      'dataset',
      '--model',
      model,
      '--input',
      input,
      ...methods,
      '--out',
      path.join(work, out),
      '--quiet',
      ...extra,
    ];
    const methods: [string, string[]][] = [
      ['saliency', ['--methods', 'saliency']],
      ['integratedGradients50', ['--methods', 'integrated-gradients', '--steps', '50']],
      ['shapley8Bands', ['--methods', 'shapley', '--groups', 'bands:8']],
    ];
    // The default run's processes (see src/node/cli/dataset-processes.ts): their fixed cost is that of as many one-core
    // processes, measured on the 6 tiny recordings (which alone stay in one process).
    const cores = os.availableParallelism();
    const processes = cores > 1 && count >= MIN_EXAMPLES_FOR_PROCESSES ? cores : 1;
    result.defaultProcesses = processes;
    for (const [name, args] of methods) {
      if (!parts.has(name)) continue;
      console.error(`bench dataset: ${name} on ${count} recordings (default: ${processes} process(es)) ...`);
      const fixedOne = await run(command(tiny, `tiny-${name}`, processes > 1 ? [...args, '--workers', '1'] : args));
      const measured = await run(command(folder, `one-${name}`, args));
      const fixed = { ...fixedOne, cpuSeconds: processes * fixedOne.cpuSeconds };
      result[name] = { defaultRun: { processes, ...figures(measured, count, fixed) } };
      console.error(`bench dataset: ${name}: ${JSON.stringify(result[name])}`);
      rmSync(path.join(work, `one-${name}`), { recursive: true, force: true });
    }
    const ig = methods[1][1];
    const igResult = (): Record<string, unknown> => (result.integratedGradients50 ??= {}) as Record<string, unknown>;
    if (parts.has('onePoolProcess')) {
      console.error('bench dataset: integrated gradients in one process with its session pool (--processes 1) ...');
      const pool = await run(command(folder, 'pool-integratedGradients50', ig, ['--processes', '1']));
      const poolFixed = await run(command(tiny, 'tiny-ig-pool', ig, ['--processes', '1']));
      igResult().onePoolProcess = figures(pool, count, poolFixed);
      rmSync(path.join(work, 'pool-integratedGradients50'), { recursive: true, force: true });
    }
    if (parts.has('twoShardsOneCoreEach')) {
      console.error('bench dataset: integrated gradients as two shards of one core each ...');
      const shards = await together(
        [0, 1].map((i) => command(folder, 'two-integratedGradients50', ig, ['--shard', `${i}/2`, '--workers', '1'])),
      );
      const igFixed = await run(command(tiny, 'tiny-ig-one-core', ig, ['--workers', '1']));
      igResult().twoShardsOneCoreEach = figures(shards, count, { ...igFixed, cpuSeconds: 2 * igFixed.cpuSeconds });
      rmSync(path.join(work, 'two-integratedGradients50'), { recursive: true, force: true });
    }
    if (!parts.has('merge16Shards')) {
      result.loadAverageAtEnd = os.loadavg();
      result.runsRepeatedAfterModelReadTimeout = retries;
      return result;
    }
    console.error('bench dataset: saliency as 16 shards (two at a time, one core each), then their merge ...');
    const sixteen: Run[] = [];
    for (let first = 0; first < 16; first += 2)
      sixteen.push(
        await together(
          [first, first + 1].map((i) =>
            command(folder, 'sixteen', methods[0][1], ['--shard', `${i}/16`, '--workers', '1']),
          ),
        ),
      );
    const merge = await run(['dataset', 'merge', path.join(work, 'sixteen'), '--quiet']);
    result.merge16Shards = {
      shardsCpuSeconds: round(sixteen.reduce((sum, r) => sum + r.cpuSeconds, 0)),
      shardsWallSeconds: round(sixteen.reduce((sum, r) => sum + r.seconds, 0)),
      shardMaxRssMB: Math.max(...sixteen.map((r) => r.maxRssMB)),
      mergeWallSeconds: round(merge.seconds),
      mergeCpuSeconds: round(merge.cpuSeconds),
      mergeMaxRssMB: merge.maxRssMB,
    };
    result.loadAverageAtEnd = os.loadavg();
    result.runsRepeatedAfterModelReadTimeout = retries;
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
