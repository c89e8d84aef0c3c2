/**
 * Peak memory (max RSS of the whole process, worker threads included) and wall time of the README's `report` on the
 * six recordings in ../shared/data/recordings with the Potamitis spectrogram CNN, on the default engine and on
 * TensorFlow.js (`--engine tfjs`), interleaved over two rounds. The target is under 1 GB on either engine. Skipped
 * when ../shared is absent.
 *
 *   npm run bench -- report-memory
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = path.join(repo, 'bin', 'wingbeats-xai.js');
const preload = path.join(repo, 'bench', 'report-max-rss.mjs');
const shared = path.join(repo, '..', 'shared');
const model = path.join(shared, 'models', 'Potatamis', 'spectro', 'SimpleCls', 'SimpleCls_spectro_frozen.h5');
const recordings = path.join(shared, 'data', 'recordings');

/** One `report` run: wall seconds and peak resident memory in MB. */
function report(out: string, engineArgs: string[]): Promise<{ seconds: number; maxRssMB: number }> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        preload,
        bin,
        'report',
        '--model',
        model,
        '--input',
        recordings,
        '--out',
        out,
        '--quiet',
        ...engineArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`report failed: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
      const kb = Number(/maxRSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ seconds: (performance.now() - start) / 1000, maxRssMB: Math.round(kb / 1024) });
    });
  });
}

/** Runs the benchmark (see the module note). */
export async function benchReportMemory(): Promise<Record<string, unknown>> {
  if (!existsSync(model) || !existsSync(recordings)) return { skipped: '../shared/models or ../shared/data is absent' };
  const work = mkdtempSync(path.join(tmpdir(), 'wingbeats-report-memory-'));
  const engines: [string, string[]][] = [
    ['default', []],
    ['tfjs', ['--engine', 'tfjs']],
  ];
  const runs: Record<string, { seconds: number; maxRssMB: number }[]> = { default: [], tfjs: [] };
  const loadAverageAtStart = os.loadavg();
  try {
    for (let round = 0; round < 2; round++)
      for (const [name, args] of engines) {
        const out = path.join(work, `${name}-${round}`);
        runs[name].push(await report(out, args));
        rmSync(out, { recursive: true, force: true });
      }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const summary = (list: { seconds: number; maxRssMB: number }[]) => ({
    maxRssMB: Math.max(...list.map((r) => r.maxRssMB)),
    seconds: list.map((r) => Number(r.seconds.toFixed(2))),
  });
  return {
    recordings: 6,
    model: 'Potamitis SimpleCls_spectro_frozen.h5',
    targetMB: 1024,
    default: summary(runs.default),
    tfjs: summary(runs.tfjs),
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg(),
  };
}
