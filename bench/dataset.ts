/**
 * `dataset` throughput and memory on the Potamitis PSD model (../shared/models; skipped when absent): recordings per
 * second for saliency and 50-step integrated gradients, one process against two shards run at once (this machine has
 * two cores), and the peak memory (max RSS) of one process over 1,000 and 10,000 recordings, also with the JavaScript heap
 * capped at 128 MB (which a run holding all examples could not finish). Inputs are synthetic recordings written on the
 * fly into a temporary folder. Wall times include each process's start (loading TensorFlow.js and the model).
 *
 * Archive scale (opt-in, hours at today's speed): DATASET_BENCH_ARCHIVE=N explains N synthetic recordings of the
 * Potamitis PSD preset in one process with saliency and with 50-step integrated gradients (recordings per second, per
 * core, peak memory), and times `dataset merge` of the same N explained as 16 shards.
 *
 *   npm run bench dataset           (DATASET_BENCH_LARGE=0 skips the 10,000-recording run)
 *   DATASET_BENCH_ARCHIVE=100000 DATASET_BENCH_LARGE=0 npm run bench -- dataset
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticDataset } from '../scripts/synthetic-dataset.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'bin', 'wingbeats-xai.js');
const preload = path.join(repo, 'bench', 'report-max-rss.mjs');
const model = path.join(repo, '..', 'shared', 'models', 'Potatamis_Sequential', 'PSD', 'Mosquito_CNN_PSD.h5');

interface Run {
  seconds: number;
  maxRssMB: number;
}

function run(argv: string[], nodeFlags: string[] = []): Promise<Run> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--import', preload, bin, ...argv], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0)
        reject(new Error(`wingbeats-xai ${argv.join(' ')} failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      const kb = Number(/maxRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ seconds: (performance.now() - start) / 1000, maxRssMB: Math.round(kb / 1024) });
    });
  });
}

async function throughput(
  input: string,
  count: number,
  methods: string[],
  work: string,
): Promise<Record<string, number>> {
  const base = [
    'dataset',
    '--model',
    model,
    '--input',
    input,
    '--methods',
    methods.join(','),
    '--steps',
    '50',
    '--quiet',
  ];
  const one = await run([...base, '--out', path.join(work, `one-${methods.join('-')}`)]);
  const out = path.join(work, `two-${methods.join('-')}`);
  const start = performance.now();
  const shards = await Promise.all([
    run([...base, '--shard', '0/2', '--out', out]),
    run([...base, '--shard', '1/2', '--out', out]),
  ]);
  const shardsSeconds = (performance.now() - start) / 1000;
  const merge = await run(['dataset', 'merge', out, '--quiet']);
  return {
    recordings: count,
    oneProcessPerSecond: count / one.seconds,
    twoShardsPerSecond: count / shardsSeconds,
    twoShardsWithMergePerSecond: count / (shardsSeconds + merge.seconds),
    speedup: one.seconds / shardsSeconds,
    oneProcessSeconds: one.seconds,
    twoShardsSeconds: shardsSeconds,
    mergeSeconds: merge.seconds,
    shardMaxRssMB: Math.max(...shards.map((s) => s.maxRssMB)),
  };
}

/**
 * Archive scale: `count` recordings (split evenly over the demo species) explained in one process per method, then the
 * saliency run again as 16 shards (two at a time, one core each) and their merge timed alone.
 */
async function archiveScale(count: number, work: string): Promise<Record<string, unknown>> {
  const folder = path.join(work, 'archive');
  const written = (await writeSyntheticDataset(folder, { perSpecies: Math.ceil(count / 6), seed: 3 })).length;
  const cores = os.cpus().length;
  const base = (methods: string, out: string): string[] => [
    'dataset',
    '--model',
    model,
    '--input',
    folder,
    '--methods',
    methods,
    '--steps',
    '50',
    '--out',
    path.join(work, out),
    '--quiet',
  ];
  const rows: Record<string, unknown> = { recordings: written, cores, loadAverageAtStart: os.loadavg() };
  for (const [name, methods] of [
    ['saliency', 'saliency'],
    ['integratedGradients50', 'integrated-gradients'],
  ] as const) {
    const one = await run(base(methods, `archive-${name}`));
    rows[name] = {
      seconds: one.seconds,
      perSecond: written / one.seconds,
      perSecondPerCore: written / one.seconds / cores,
      maxRssMB: one.maxRssMB,
    };
    rmSync(path.join(work, `archive-${name}`), { recursive: true, force: true });
  }
  const sharded = path.join(work, 'archive-16');
  for (let first = 0; first < 16; first += 2) {
    await Promise.all(
      [first, first + 1].map((index) =>
        run([...base('saliency', 'archive-16'), '--shard', `${index}/16`, '--workers', '1']),
      ),
    );
  }
  const merge = await run(['dataset', 'merge', sharded, '--quiet']);
  rows.merge16Shards = { seconds: merge.seconds, maxRssMB: merge.maxRssMB };
  rows.loadAverageAtEnd = os.loadavg();
  return rows;
}

/** Runs the dataset benchmarks (each measured once: they take seconds to minutes). */
export async function benchDataset(): Promise<Record<string, unknown>> {
  if (!existsSync(model)) return { skipped: `../shared is absent (${model})` };
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-bench-dataset-'));
  try {
    const small = path.join(work, 'small');
    const smallCount = (await writeSyntheticDataset(small, { perSpecies: 40, seed: 1 })).length;
    const result: Record<string, unknown> = {
      model: 'Potamitis Mosquito_CNN_PSD.h5',
      saliency: await throughput(small, smallCount, ['saliency'], work),
      integratedGradients50: await throughput(small, smallCount, ['integrated-gradients'], work),
    };
    if (process.env.DATASET_BENCH_LARGE !== '0') {
      const memory: Record<string, unknown> = { startupOnlyMaxRssMB: (await run(['dataset', '--help'])).maxRssMB };
      for (const perSpecies of [167, 1667]) {
        const folder = path.join(work, `n${perSpecies}`);
        const count = (await writeSyntheticDataset(folder, { perSpecies, seed: 2 })).length;
        const argv = (out: string): string[] => [
          'dataset',
          '--model',
          model,
          '--input',
          folder,
          '--methods',
          'saliency',
          '--out',
          path.join(work, out),
          '--quiet',
        ];
        const explained = await run(argv(`n${perSpecies}-out`));
        // The same run with the JavaScript heap capped at 128 MB: it would fail if memory grew with the data set.
        const capped = await run(argv(`n${perSpecies}-capped`), ['--max-old-space-size=128']);
        memory[`recordings${count}`] = {
          maxRssMB: explained.maxRssMB,
          seconds: explained.seconds,
          perSecond: count / explained.seconds,
          heapCapped128MB: { maxRssMB: capped.maxRssMB, seconds: capped.seconds },
        };
        for (const name of [folder, path.join(work, `n${perSpecies}-out`), path.join(work, `n${perSpecies}-capped`)])
          rmSync(name, { recursive: true, force: true });
      }
      result.peakMemorySaliency = memory;
    }
    const archive = Number(process.env.DATASET_BENCH_ARCHIVE ?? 0);
    if (archive > 0) result.archiveScale = await archiveScale(archive, work);
    return result;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
