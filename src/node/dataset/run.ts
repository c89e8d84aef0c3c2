/**
 * Runs one shard of a data set (Node only): lists the examples, keeps this shard's, skips those already in part files,
 * and explains the rest chunk by chunk, each chunk written as its own Parquet part file (atomically), so a killed run
 * restarts where it stopped and loses at most the chunk it was on. Memory holds one chunk at a time.
 */
import { link, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../../util/errors.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { inShard, shardFolderName, type Shard } from '../../dataset/shard.js';
import { explainExamples, type DatasetExplainSettings, type LoadedExample } from '../../dataset/explain-rows.js';
import { settingsDifferences, type DatasetRunSettings } from '../../dataset/settings.js';
import type { DatasetExample } from '../../dataset/examples.js';
import { readInputSource } from '../../pipeline/input-sources.js';
import { warningKind } from '../../summary/input-notes.js';
import { startPoolForRest } from '../../parallel/start-worker-pool.js';
import { readSource } from '../read-files.js';
import { openTableFile, readTableRowGroups } from './table-file.js';
import { acquireLock } from './lock.js';
import type { DatasetListing } from './listing.js';

/** File names inside `--out`. */
export const DATASET_FILES = {
  settings: 'settings.json',
  parts: 'parts',
  table: 'table.parquet',
  summary: 'summary.json',
  report: 'report.html',
} as const;

/** What one shard did. */
export interface ShardOutcome {
  shard: Shard;
  /** Examples (files) of this shard, how many were already done before this run, how many failed in this run. */
  examples: number;
  resumed: number;
  explained: number;
  errors: number;
  /** The first {@link SHOWN_FAILURES} examples that failed in this run, with their one-line reasons. */
  failed: { path: string; index: number; error: string }[];
  /** Examples explained in this run with warnings about their input: any, and far outside the training range. */
  warned: number;
  outOfRange: number;
  parts: string;
}

/** How many failed examples a shard's outcome names (the console lists them; `summary.json` holds the rest). */
export const SHOWN_FAILURES = 10;

/** Options of {@link runDatasetShard}. */
export interface ShardRunOptions {
  model: ExplainableModel;
  listing: DatasetListing;
  settings: DatasetRunSettings;
  explain: DatasetExplainSettings;
  out: string;
  shard: Shard;
  /** Examples per part file (default 32). */
  chunkSize: number;
  onProgress?: (done: number, total: number) => void;
}

/** Writes `settings.json` into `out` if absent (atomically, safe against shards starting together), else checks it. */
export async function ensureRunSettings(out: string, settings: DatasetRunSettings): Promise<void> {
  await mkdir(out, { recursive: true });
  const file = path.join(out, DATASET_FILES.settings);
  const temporary = path.join(out, `.settings.${process.pid}.tmp`);
  await writeFile(temporary, `${JSON.stringify(settings, null, 2)}\n`);
  try {
    await link(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new WingbeatsError('IO', `Cannot write '${file}': ${(error as Error).message}`);
    const existing = JSON.parse(await readFile(file, 'utf8')) as DatasetRunSettings;
    const differences = settingsDifferences(existing, settings);
    if (differences.length > 0) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--out' names '${out}', which holds a run with other settings (${differences.join(', ')} differ); use another --out, or --force to start over.`,
      );
    }
  } finally {
    await rm(temporary, { force: true });
  }
}

/** Removes a previous run's files from `out` (for `--force`). */
export async function clearRun(out: string): Promise<void> {
  for (const name of Object.values(DATASET_FILES)) await rm(path.join(out, name), { recursive: true, force: true });
}

/** The chunk files of a shard folder, in chunk order. */
export async function chunkFiles(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^chunk-\d+\.parquet$/.test(n))
    .sort()
    .map((n) => path.join(folder, n));
}

async function loadExample(
  example: DatasetExample,
  root: string,
  model: ExplainableModel,
  settings: DatasetRunSettings,
): Promise<LoadedExample> {
  try {
    const source = { ...(await readSource(path.join(root, example.path))), label: example.path };
    const items = readInputSource(source, model, {
      preset: settings.preset ?? undefined,
      windows: settings.windows,
      pad: settings.pad,
      channel: settings.channel,
      forcePreset: settings.forcePreset,
    });
    return { example, inputs: items.map((item) => item.data), warnings: items.map((item) => item.warnings) };
  } catch (error) {
    return { example, error: (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ') };
  }
}

/** Explains this shard's examples that are not in its part files yet (see the module doc). */
export async function runDatasetShard(options: ShardRunOptions): Promise<ShardOutcome> {
  const { model, listing, settings, shard, out } = options;
  const folder = path.join(out, DATASET_FILES.parts, shardFolderName(shard));
  await mkdir(folder, { recursive: true });
  const release = acquireLock(path.join(folder, 'lock'), `Shard ${shard.index}/${shard.count} of '${out}'`);
  try {
    for (const name of await readdir(folder))
      if (name.endsWith('.tmp')) await rm(path.join(folder, name), { force: true });
    const existing = await chunkFiles(folder);
    const done = new Set<string>();
    for (const file of existing) {
      for await (const rows of readTableRowGroups(file, ['path'])) for (const row of rows) done.add(row.path);
    }
    const mine = listing.examples.filter((e) => inShard(e.path, shard));
    const todo = mine.filter((e) => !done.has(e.path));
    let next =
      existing.length === 0 ? 0 : Number(/chunk-(\d+)/.exec(path.basename(existing[existing.length - 1]))?.[1]) + 1;
    let errors = 0;
    let warned = 0;
    let outOfRange = 0;
    const failed: ShardOutcome['failed'] = [];
    options.onProgress?.(0, todo.length);
    for (let start = 0; start < todo.length; start += options.chunkSize) {
      const chunk = todo.slice(start, start + options.chunkSize);
      const loaded: LoadedExample[] = [];
      // Progress per example: half a step when its features are read, the other half as the methods explain it.
      for (const example of chunk) {
        loaded.push(await loadExample(example, listing.root, model, settings));
        options.onProgress?.(start + loaded.length / 2, todo.length);
      }
      const started = performance.now();
      const rows = await explainExamples(model, loaded, {
        ...options.explain,
        onProgress: (done, total) =>
          options.onProgress?.(
            start + chunk.length / 2 + (total > 0 ? (done / total) * (chunk.length / 2) : 0),
            todo.length,
          ),
      });
      // Each chunk alone may be too small to start the worker pool; the whole shard may not be.
      if (start === 0) {
        const chunksLeft = Math.ceil((todo.length - chunk.length) / options.chunkSize);
        await startPoolForRest(model, options.explain.workers, performance.now() - started, chunksLeft);
      }
      const seen = new Set<string>();
      for (const row of rows) {
        const key = `${row.path}#${row.index}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (row.warnings.length > 0) warned++;
        if (row.warnings.some((w) => warningKind(w) === 'out-of-range')) outOfRange++;
        if (row.error === null) continue;
        errors++;
        if (failed.length < SHOWN_FAILURES) failed.push({ path: row.path, index: row.index, error: row.error });
      }
      const writer = openTableFile(path.join(folder, `chunk-${String(next).padStart(6, '0')}.parquet`), {
        ...settings,
        shard,
      });
      try {
        writer.write(rows);
        writer.finish();
      } catch (error) {
        writer.abort();
        throw new WingbeatsError('IO', `Cannot write a part file in '${folder}': ${(error as Error).message}`);
      }
      next++;
      options.onProgress?.(start + chunk.length, todo.length);
    }
    return {
      shard,
      examples: mine.length,
      resumed: mine.length - todo.length,
      explained: todo.length,
      errors,
      failed,
      warned,
      outOfRange,
      parts: folder,
    };
  } finally {
    release();
  }
}
