/**
 * Runs one shard of a data set (Node only): lists the examples, keeps this shard's, skips those already in part files,
 * and explains the rest chunk by chunk, each chunk written as its own Parquet part file (atomically), so a killed run
 * restarts where it stopped and loses at most the chunk it was on. Memory holds one chunk at a time.
 */
import { createHash } from 'node:crypto';
import { SHOWN_FAILURES } from './failure-limit.js';
import { link, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../../util/errors.js';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { inShard, parseShardFolderName, shardFolderName, type Shard } from '../../dataset/shard.js';
import { explainExamples, type DatasetExplainSettings, type LoadedExample } from '../../dataset/explain-rows.js';
import {
  parseRunSettings,
  settingsDifferences,
  type DatasetProvenance,
  type DatasetRunSettings,
} from '../../dataset/settings.js';
import { nameList, type DatasetExample } from '../../dataset/examples.js';
import { readInputSource } from '../../pipeline/input-sources.js';
import type { TrainingInputStatistics } from '../../execution/input-statistics.js';
import { warningKind } from '../../summary/input-notes.js';
import { startPoolForRest } from '../../session/start-worker-pool.js';
import { readSource } from '../read-files.js';
import { FILE_SIZE_LIMITS, readRegularFile } from '../read-regular-file.js';
import { openTableFile, readTableMetadata, readTableRowGroups } from './table-file.js';
import { acquireLock } from './lock.js';
import { processAlive } from '../folder-lock.js';
import type { DatasetListing } from './listing.js';

export { SHOWN_FAILURES } from './failure-limit.js';

/** File names inside `--out`. */
export const DATASET_FILES = {
  settings: 'settings.json',
  parts: 'parts',
  table: 'table.parquet',
  summary: 'summary.json',
  report: 'report.html',
  mergeLock: '.merge.lock',
} as const;

/** What a part file's metadata holds: the run's settings, what produced its rows, its shard, its inputs' hashes. */
export interface DatasetPartMetadata extends DatasetRunSettings {
  producedBy?: DatasetProvenance;
  shard: Shard;
  /** SHA-256 of each example's bytes as explained, by example path ('' when the file could not be read). */
  inputs?: Record<string, string>;
}

/** What one shard did. */
export interface ShardOutcome {
  shard: Shard;
  /** Examples (files) of this shard, how many were already done before this run, how many failed in this run. */
  examples: number;
  resumed: number;
  explained: number;
  /** Examples explained again because their part was made by another model, recording bytes or version. */
  recomputed: number;
  errors: number;
  /** The first {@link SHOWN_FAILURES} examples that failed in this run, with their one-line reasons. */
  failed: { path: string; index: number; error: string }[];
  /** Examples explained in this run with warnings about their input: any, and far outside the training range. */
  warned: number;
  outOfRange: number;
  parts: string;
}

/** Options of {@link runDatasetShard}. */
export interface ShardRunOptions {
  model: ExplainableModel;
  listing: DatasetListing;
  settings: DatasetRunSettings;
  explain: DatasetExplainSettings;
  /** Training statistics each input's range is checked against (a `--stats` file), where the model has no input batch norm. */
  statistics?: TrainingInputStatistics;
  out: string;
  shard: Shard;
  /** Examples per part file (default 32). */
  chunkSize: number;
  /** What produces the rows now (the library version, the model's bytes). */
  producedBy: DatasetProvenance;
  /** Refuse, instead of recomputing, when rows were made by another model, recording bytes or version. */
  noRecompute?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** Reads and checks the `settings.json` of a run folder (one `INVALID_FILE` line naming it when it is damaged). */
export async function readSettingsFile(file: string): Promise<ReturnType<typeof parseRunSettings>> {
  const bytes = await readRegularFile(file, { what: 'The run settings', maxBytes: FILE_SIZE_LIMITS.json });
  return parseRunSettings(new TextDecoder().decode(bytes), file);
}

/** Creates the output folder `out`, or says in one line why it cannot be one. */
async function makeOutputFolder(out: string): Promise<void> {
  try {
    await mkdir(out, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WingbeatsError(
      code === 'EEXIST' || code === 'ENOTDIR' ? 'INVALID_ARGUMENT' : 'IO',
      code === 'EEXIST' || code === 'ENOTDIR'
        ? `Option '--out' must be a folder but '${out}' is a file (or lies below one).`
        : `Option '--out': the folder '${out}' cannot be created (${code ?? (error as Error).message}).`,
    );
  }
}

/**
 * Writes `settings.json` into `out` if absent (atomically, safe against shards starting together), else checks it:
 * other settings are refused; another model or version (`producedBy`) replaces it, so stale parts are recomputed —
 * or is refused with `noRecompute`. Returns whether what produces the rows changed.
 */
export async function ensureRunSettings(
  out: string,
  settings: DatasetRunSettings,
  producedBy?: DatasetProvenance,
  options: { noRecompute?: boolean } = {},
): Promise<{ producerChanged: boolean }> {
  await makeOutputFolder(out);
  // A run killed while writing the settings left its temporary file: removed once its process is gone.
  for (const name of await readdir(out)) {
    const pid = /^\.settings\.(\d+)\.tmp$/.exec(name)?.[1];
    if (pid !== undefined && !processAlive(Number(pid))) await rm(path.join(out, name), { force: true });
  }
  const file = path.join(out, DATASET_FILES.settings);
  const temporary = path.join(out, `.settings.${process.pid}.tmp`);
  const text = `${JSON.stringify(producedBy === undefined ? settings : { ...settings, producedBy }, null, 2)}\n`;
  await writeFile(temporary, text);
  try {
    await link(temporary, file);
    return { producerChanged: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new WingbeatsError('IO', `Cannot write '${file}': ${(error as Error).message}`);
    const existing = await readSettingsFile(file);
    const differences = settingsDifferences(existing, settings);
    if (differences.length > 0) {
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--out' names '${out}', which holds a run with other settings (${differences.join(', ')} differ); use another --out, or --force to start over.`,
      );
    }
    const changed = producedBy !== undefined && producerDifferences(existing.producedBy, producedBy).length > 0;
    if (changed && options.noRecompute)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--no-recompute': '${out}' holds results made by another ${producerDifferences(existing.producedBy, producedBy).join(' and ')}; run without --no-recompute to explain them again, or use another --out.`,
      );
    if (changed) await rename(temporary, file);
    return { producerChanged: changed };
  } finally {
    await rm(temporary, { force: true });
  }
}

/** What differs between two producers of rows: `'model'` (its bytes), `'version'` (of wingbeats-xai). */
export function producerDifferences(a: DatasetProvenance | undefined, b: DatasetProvenance): string[] {
  if (a === undefined) return ['version'];
  return [
    ...(a.modelSha256 !== b.modelSha256 ? ['model (its bytes changed)'] : []),
    ...(a.version !== b.version ? [`version (${a.version} → ${b.version})`] : []),
  ];
}

/**
 * Removes a previous run's files from `out` (for `--force`), but never a live run's: every shard's lock and the merge
 * lock are taken first (refused with the owner named when a run holds one).
 *
 * @throws WingbeatsError `LOCKED` naming the process of a shard or merge still running.
 */
export async function clearRun(out: string): Promise<void> {
  const releases: (() => void)[] = [];
  try {
    const parts = path.join(out, DATASET_FILES.parts);
    const folders = await readdir(parts).catch(() => [] as string[]);
    for (const name of folders.sort())
      if (parseShardFolderName(name) !== undefined)
        releases.push(acquireLock(path.join(parts, name, 'lock'), `Shard folder '${name}' of '${out}' (--force)`));
    if (folders.length > 0 || (await readdir(out).catch(() => [])).length > 0)
      releases.push(acquireLock(path.join(out, DATASET_FILES.mergeLock), `A merge of '${out}' (--force)`));
    for (const name of Object.values(DATASET_FILES))
      if (name !== DATASET_FILES.mergeLock) await rm(path.join(out, name), { recursive: true, force: true });
    await removeTemporaries(out);
  } finally {
    for (const release of releases.reverse()) release();
  }
}

/**
 * Removes the temporary files a killed run left in `folder` (`.NAME.PID.tmp`, only those starting with `prefix`; the
 * caller holds the lock that covers them).
 */
export async function removeTemporaries(folder: string, prefix = '.'): Promise<number> {
  let removed = 0;
  for (const name of await readdir(folder).catch(() => [] as string[]))
    if (name.startsWith(prefix) && name.endsWith('.tmp')) {
      await rm(path.join(folder, name), { force: true });
      removed++;
    }
  return removed;
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

/** SHA-256 of bytes, hex (the key of a recording in a part file). */
function bytesHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function loadExample(
  example: DatasetExample,
  root: string,
  model: ExplainableModel,
  settings: DatasetRunSettings,
  statistics: TrainingInputStatistics | undefined,
): Promise<LoadedExample & { sha256: string }> {
  let sha256 = '';
  try {
    const source = { ...(await readSource(path.join(root, example.path))), label: example.path };
    sha256 = bytesHash(source.bytes);
    const items = readInputSource(source, model, {
      preset: settings.preset ?? undefined,
      windows: settings.windows,
      pad: settings.pad,
      channel: settings.channel,
      forcePreset: settings.forcePreset,
      statistics,
    });
    return { example, inputs: items.map((item) => item.data), warnings: items.map((item) => item.warnings), sha256 };
  } catch (error) {
    return {
      example,
      error: (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' '),
      sha256,
    };
  }
}

/** The SHA-256 of an example's bytes now ('' when it cannot be read), as part files record it. */
export async function currentHash(root: string, example: string): Promise<string> {
  try {
    return bytesHash(await readSource(path.join(root, example)).then((source) => source.bytes));
  } catch {
    return '';
  }
}

/** A part file that failed its checks, with what to do about it. */
function damagedPart(file: string, error: unknown): WingbeatsError {
  const message = error instanceof Error ? error.message.replace(/\.$/, '') : String(error);
  return new WingbeatsError(
    'INVALID_FILE',
    `Part file ${message}; remove '${file}' and run the same command again: the shard resumes and explains that file's examples again.`,
  );
}

/** A part file's examples: those whose rows are current, and those made by another model, recording or version. */
interface PartCheck {
  file: string;
  metadata: DatasetPartMetadata;
  current: Set<string>;
  stale: Set<string>;
}

async function checkPart(file: string, options: ShardRunOptions, hashes: Map<string, string>): Promise<PartCheck> {
  let metadata: DatasetPartMetadata;
  const paths = new Set<string>();
  try {
    metadata = (await readTableMetadata(file)) as DatasetPartMetadata;
    for await (const rows of readTableRowGroups(file, ['path'])) for (const row of rows) paths.add(row.path);
  } catch (error) {
    throw damagedPart(file, error);
  }
  const differences = settingsDifferences(options.settings, metadata);
  if (differences.length > 0)
    throw new WingbeatsError(
      'INVALID_FILE',
      `Part file '${file}' comes from a run with other settings (${differences.join(', ')} differ); remove it, or run with --force to start over.`,
    );
  const sameProducer = producerDifferences(metadata.producedBy, options.producedBy).length === 0;
  const current = new Set<string>();
  const stale = new Set<string>();
  for (const example of paths) {
    let now = hashes.get(example);
    if (now === undefined) {
      now = await currentHash(options.listing.root, example);
      hashes.set(example, now);
    }
    if (sameProducer && metadata.inputs?.[example] === now) current.add(example);
    else stale.add(example);
  }
  return { file, metadata, current, stale };
}

/** Rewrites a part file without its stale examples (atomically), or removes it when none is left. */
async function dropStale(part: PartCheck): Promise<void> {
  if (part.current.size === 0) {
    await rm(part.file, { force: true });
    return;
  }
  const inputs = Object.fromEntries([...part.current].map((p) => [p, part.metadata.inputs?.[p] ?? '']));
  const writer = openTableFile(part.file, { ...part.metadata, inputs });
  try {
    for await (const rows of readTableRowGroups(part.file)) writer.write(rows.filter((r) => part.current.has(r.path)));
    writer.finish();
  } catch (error) {
    writer.abort();
    throw error;
  }
}

/**
 * Explains this shard's examples that are not in its part files yet (see the module doc). A row is reused only when
 * its part was made with the same settings, model bytes and version, and its recording's bytes are unchanged; other
 * rows are explained again (`recomputed`), or refused with `noRecompute`.
 *
 * @throws WingbeatsError `LOCKED` when the shard runs elsewhere; `INVALID_FILE` naming a damaged part file (removing
 *   it resumes); `INVALID_ARGUMENT` for stale rows with `noRecompute`.
 */
export async function runDatasetShard(options: ShardRunOptions): Promise<ShardOutcome> {
  const { model, listing, settings, shard, out } = options;
  const folder = path.join(out, DATASET_FILES.parts, shardFolderName(shard));
  await mkdir(folder, { recursive: true });
  const release = acquireLock(path.join(folder, 'lock'), `Shard ${shard.index}/${shard.count} of '${out}'`);
  try {
    for (const name of await readdir(folder))
      if (name.endsWith('.tmp')) await rm(path.join(folder, name), { force: true });
    const existing = await chunkFiles(folder);
    const hashes = new Map<string, string>();
    const parts: PartCheck[] = [];
    for (const file of existing) parts.push(await checkPart(file, options, hashes));
    const mine = listing.examples.filter((e) => inShard(e.path, shard));
    const listed = new Set(mine.map((e) => e.path));
    const stale = new Set(parts.flatMap((part) => [...part.stale]).filter((p) => listed.has(p)));
    if (stale.size > 0 && options.noRecompute)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `Option '--no-recompute': ${stale.size} example${stale.size > 1 ? 's' : ''} of shard ${shard.index}/${shard.count} in '${out}' ${stale.size > 1 ? 'were' : 'was'} explained with another model, recording or version (${nameList([...stale])}); run without --no-recompute to explain them again.`,
      );
    for (const part of parts) if (part.stale.size > 0) await dropStale(part);
    const done = new Set(parts.flatMap((part) => [...part.current]));
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
      const loaded: (LoadedExample & { sha256: string })[] = [];
      // Progress per example: half a step when its features are read, the other half as the methods explain it.
      for (const example of chunk) {
        loaded.push(await loadExample(example, listing.root, model, settings, options.statistics));
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
        if (options.explain.session !== undefined)
          await startPoolForRest(
            options.explain.session,
            options.explain.workers,
            performance.now() - started,
            chunksLeft,
          );
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
      const metadata: DatasetPartMetadata = {
        ...settings,
        producedBy: options.producedBy,
        shard,
        inputs: Object.fromEntries(loaded.map((l) => [l.example.path, l.sha256])),
      };
      const writer = openTableFile(path.join(folder, `chunk-${String(next).padStart(6, '0')}.parquet`), metadata);
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
      recomputed: [...stale].length,
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
