/**
 * Writes a command's output files into a hidden staging folder inside `--out DIR` and moves them into place only when
 * everything succeeded, so a failure never leaves half-written results that look complete. Node only.
 */
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { WingbeatsError } from '../../util/errors.js';
import { processAlive } from '../folder-lock.js';
import { OUTPUT_MARKER } from './output-target.js';
import type { OutputFile } from '../../pipeline/output-files.js';

/** A staging area for the files of one command run. */
export interface StagedOutput {
  /** Absolute path in the staging folder for a file name relative to the output folder. */
  path(name: string): string;
  /** Writes text or bytes to `name` in the staging folder. */
  write(name: string, data: string | Uint8Array): Promise<string>;
  /** Renders a Vega-Lite chart and writes `name.svg` and `name.png`. */
  writeChart(name: string, spec: TopLevelSpec): Promise<void>;
  /** Moves every staged file into the output folder (replacing older ones) and removes the staging folder. */
  commit(): Promise<string[]>;
  /** Removes the staging folder and everything in it. */
  discard(): Promise<void>;
}

const PARTIAL_PREFIX = '.wingbeats-xai-partial-';
const PARTIAL_NAME = /^\.wingbeats-xai-partial-(\d+)-(\d+)-(.*)$/;

/**
 * Removes staging folders left in `dir` by runs that were killed (their process is gone; same machine only), or every
 * staging folder when `all` is set (the caller holds the folder's lock). Returns how many were removed.
 */
export async function removeStalePartials(dir: string, options: { all?: boolean } = {}): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const match = PARTIAL_NAME.exec(name);
    if (match === null) continue;
    const stale =
      options.all === true ||
      (match[3] === hostname() && Number(match[1]) !== process.pid && !processAlive(Number(match[1])));
    if (!stale) continue;
    await rm(path.join(dir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Whether an error (or its cause) is a full disk or an exceeded quota. */
export function isDiskFull(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') return true;
  }
  return false;
}

async function firstMissingAncestor(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    try {
      await readdir(current);
      return missing;
    } catch {
      missing = current;
      if (path.dirname(current) === current) return missing;
    }
  }
}

/** Opens a staging folder inside `outDir` (created if needed; removed again on discard if this run created it). */
export async function stageOutput(outDir: string, options: { mark?: boolean } = {}): Promise<StagedOutput> {
  await removeStalePartials(outDir);
  const created = await firstMissingAncestor(outDir);
  const staging = path.join(outDir, `${PARTIAL_PREFIX}${process.pid}-${Date.now()}-${hostname()}`);
  try {
    await mkdir(staging, { recursive: true });
  } catch (error) {
    throw new WingbeatsError('IO', `Cannot create the output folder '${outDir}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  const names: string[] = [];
  const staged: StagedOutput = {
    path: (name) => path.join(staging, name),
    async write(name, data) {
      const target = path.join(staging, name);
      try {
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, data);
      } catch (error) {
        const reason = isDiskFull(error) ? 'no space left on the device' : (error as Error).message;
        throw new WingbeatsError('IO', `Cannot write '${path.join(outDir, name)}': ${reason}.`, { cause: error });
      }
      if (!names.includes(name)) names.push(name);
      return path.join(outDir, name);
    },
    async writeChart(name, spec) {
      // The renderers (vega, resvg) load only when a chart is written.
      const [{ renderChartSvg }, { svgToPng }] = await Promise.all([
        import('../../render/chart-svg.js'),
        import('../chart-png.js'),
      ]);
      const svg = await renderChartSvg(spec);
      await staged.write(`${name}.svg`, svg);
      await staged.write(`${name}.png`, svgToPng(svg));
    },
    async commit() {
      const written: string[] = [];
      for (const name of names) {
        const final = path.join(outDir, name);
        await mkdir(path.dirname(final), { recursive: true });
        await rename(path.join(staging, name), final);
        written.push(final);
      }
      await rm(staging, { recursive: true, force: true });
      // Marks the folder as this program's, so a later run may write into it again (see output-target.ts).
      if (options.mark !== false)
        await writeFile(
          path.join(outDir, OUTPUT_MARKER),
          'Written by wingbeats-xai: a later run may write into this folder again.\n',
        );
      return written;
    },
    async discard() {
      await rm(staging, { recursive: true, force: true });
      // Folders this run created stay only if something else was put in them meanwhile.
      for (
        let dir = path.resolve(outDir);
        created !== undefined && (dir === created || dir.startsWith(`${created}${path.sep}`));
        dir = path.dirname(dir)
      ) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
      }
    },
  };
  return staged;
}

/**
 * Runs `fill` with a staging folder in `outDir`, then moves its files into place; on any error the staging folder is
 * removed and the error rethrown, so nothing half-written is left. Returns the final paths.
 */
export async function writeStaged(
  outDir: string,
  fill: (staged: StagedOutput) => Promise<void>,
  options: { mark?: boolean } = {},
): Promise<string[]> {
  const staged = await stageOutput(outDir, options);
  try {
    await fill(staged);
    return await staged.commit();
  } catch (error) {
    await staged.discard();
    throw error;
  }
}

/**
 * Writes a job's output files (text, bytes, charts as .svg and .png) into `outDir`, staged; returns the final paths.
 * The folder is marked as this program's (`mark`, default true; false for the per-file folders inside a marked one).
 */
export async function writeOutputs(
  outDir: string,
  files: readonly OutputFile[],
  options: { mark?: boolean } = {},
): Promise<string[]> {
  return writeStaged(
    outDir,
    async (staged) => {
      for (const file of files) {
        if ('chart' in file) await staged.writeChart(file.name, file.chart());
        else await staged.write(file.name, 'text' in file ? file.text : file.bytes);
      }
    },
    options,
  );
}
