/**
 * `dataset merge`: gathers the part files of every shard of a run into one table, in example order, after checking that
 * every example of the data set was explained exactly once (missing shards, missing and duplicated examples are named),
 * then writes the summaries and the HTML report. Memory holds one part file per shard at a time. Node only.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../../util/errors.js';
import { compareExamples, type DatasetRow } from '../../dataset/table.js';
import { inShard, parseShardFolderName, shardFolderName, type Shard } from '../../dataset/shard.js';
import { nameList } from '../../dataset/examples.js';
import { settingsDifferences, type DatasetRunFile, type DatasetRunSettings } from '../../dataset/settings.js';
import { summarizeTable, type DatasetSummary } from '../../dataset/summarize.js';
import { heatmapAxis } from '../../dataset/axis.js';
import { isFeaturePresetName } from '../../signal/presets.js';
import { listDataset } from './listing.js';
import {
  chunkFiles,
  currentHash,
  DATASET_FILES,
  producerDifferences,
  readSettingsFile,
  removeTemporaries,
  type DatasetPartMetadata,
} from './run.js';
import { openTableFile, readTableMetadata, readTableRowGroups } from './table-file.js';
import { acquireLock, liveLockOwner } from './lock.js';
import { writeStaged } from '../output/staged-output.js';
import { toJson } from '../../pipeline/json-values.js';

/** The result of a merge (the `--json` document of `dataset` and `dataset merge`). */
export interface DatasetTableResult {
  table: string;
  examples: number;
  errors: number;
  /** The summary, with the run's settings (as in `summary.json`). */
  summary: DatasetSummary & { settings: DatasetRunSettings };
}

interface Chunk {
  file: string;
  first: DatasetRow;
  last: DatasetRow;
}

/** A part file's shard, its examples and the SHA-256 of their bytes when they were explained. */
interface MergedPart {
  file: string;
  shard: string;
  inputs: Record<string, string>;
  paths: Set<string>;
}

/** Recordings hashed at once by a merge (reading overlaps hashing). */
const HASH_CONCURRENCY = 8;

/**
 * The examples of `parts` whose bytes now differ from those their part recorded (examples no longer listed are reported
 * elsewhere). Every listed example is read and hashed again: merge is the last step before the table is trusted, and
 * a recording changed after its shard ran would otherwise be combined silently with rows made from its old bytes.
 */
async function changedRecordings(
  parts: MergedPart[],
  root: string,
  expected: Map<string, unknown>,
): Promise<{ path: string; file: string; shard: string }[]> {
  const work = parts.flatMap((part) => [...part.paths].filter((p) => expected.has(p)).map((p) => ({ path: p, part })));
  const changed: { path: string; file: string; shard: string; at: number }[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < work.length) {
      const at = next++;
      const { path: example, part } = work[at];
      const now = await currentHash(root, example);
      if (part.inputs[example] !== now) changed.push({ path: example, file: part.file, shard: part.shard, at });
    }
  };
  await Promise.all(Array.from({ length: HASH_CONCURRENCY }, worker));
  return changed.sort((a, b) => a.at - b.at);
}

/**
 * Reads `settings.json` of a run folder.
 * @throws WingbeatsError `IO` when the folder has none; `INVALID_FILE` naming it when it is not a run's settings.
 */
export async function readRunSettings(out: string): Promise<DatasetRunFile> {
  const file = path.join(out, DATASET_FILES.settings);
  if (!existsSync(file))
    throw new WingbeatsError(
      'IO',
      `'${out}' is not a dataset output folder: it has no ${DATASET_FILES.settings} (run 'wingbeats-xai dataset ... --out ${out}' first).`,
    );
  return readSettingsFile(file);
}

/** Runs of chunks whose rows are in ascending example order (one per shard unless the data set changed between restarts). */
function sortedRuns(chunks: Chunk[]): Chunk[][] {
  const runs: Chunk[][] = [];
  for (const chunk of chunks) {
    const run = runs[runs.length - 1];
    if (run !== undefined && compareExamples(run[run.length - 1].last, chunk.first) < 0) run.push(chunk);
    else runs.push([chunk]);
  }
  return runs;
}

async function* rowsOfRun(run: Chunk[]): AsyncGenerator<DatasetRow[]> {
  for (const chunk of run) for await (const rows of readTableRowGroups(chunk.file)) yield rows;
}

/** Yields the rows of every run merged into example order, one example's rows at a time. */
async function* mergeRuns(runs: Chunk[][]): AsyncGenerator<DatasetRow[]> {
  const cursors = runs.map((run) => ({ groups: rowsOfRun(run), rows: [] as DatasetRow[], at: 0 }));
  const fill = async (cursor: (typeof cursors)[number]): Promise<boolean> => {
    while (cursor.at >= cursor.rows.length) {
      const next = await cursor.groups.next();
      if (next.done) return false;
      cursor.rows = next.value;
      cursor.at = 0;
    }
    return true;
  };
  let open = [];
  for (const cursor of cursors) if (await fill(cursor)) open.push(cursor);
  while (open.length > 0) {
    let best = open[0];
    for (const cursor of open) if (compareExamples(cursor.rows[cursor.at], best.rows[best.at]) < 0) best = cursor;
    const head = best.rows[best.at];
    const example: DatasetRow[] = [];
    while ((await fill(best)) && compareExamples(best.rows[best.at], head) === 0) example.push(best.rows[best.at++]);
    yield example;
    const still = [];
    for (const cursor of open) if (await fill(cursor)) still.push(cursor);
    open = still;
  }
}

/**
 * Merges the part files of the run in `out` into `out/table.parquet`, `summary.json` and `report.html`, holding the
 * folder's merge lock; the table is written to a temporary file renamed into place when complete, and temporary files
 * of a killed merge are removed first.
 *
 * @throws WingbeatsError `INVALID_FILE` when shards are missing, examples are missing or duplicated (all named, in
 *   one line), a part file is damaged or comes from other settings, another model or version (named, with what to do),
 *   or the shard counts disagree; `LOCKED` while another merge of `out` runs.
 */
export async function mergeDataset(out: string, options: { memoryValues?: number } = {}): Promise<DatasetTableResult> {
  const settings = await readRunSettings(out);
  const release = acquireLock(path.join(out, DATASET_FILES.mergeLock), `A merge of '${out}'`);
  try {
    await removeTemporaries(out, `.${DATASET_FILES.table}.`);
    return await mergeLocked(out, settings, options);
  } finally {
    release();
  }
}

async function mergeLocked(
  out: string,
  settings: DatasetRunFile,
  options: { memoryValues?: number },
): Promise<DatasetTableResult> {
  const partsDir = path.join(out, DATASET_FILES.parts);
  const folders = (await readdir(partsDir).catch(() => [] as string[]))
    .map((name) => ({ name, shard: parseShardFolderName(name) }))
    .filter((f) => f.shard !== undefined) as { name: string; shard: Shard }[];
  if (folders.length === 0)
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${out}' holds no part files (expected ${DATASET_FILES.parts}/shard-*-of-*/chunk-*.parquet).`,
    );
  const counts = [...new Set(folders.map((f) => f.shard.count))];
  if (counts.length > 1)
    throw new WingbeatsError(
      'INVALID_FILE',
      `'${out}' holds part files of runs with different shard counts (${counts.join(', ')}); keep the folders of one count.`,
    );
  const count = counts[0];
  const listing = await listDataset(settings.input.path, { limit: settings.limit ?? undefined, outputs: [out] });
  const expected = new Map(listing.examples.map((e) => [e.path, e]));
  const seen = new Map<string, number>();
  const unexpected: string[] = [];
  const chunks: Chunk[] = [];
  const problems: string[] = [];
  const missingShards: string[] = [];
  const runningShards: string[] = [];
  const otherSettings: string[] = [];
  const otherProducer: { file: string; shard: string; what: string }[] = [];
  const parts: MergedPart[] = [];
  for (let index = 0; index < count; index++) {
    const folder = path.join(partsDir, shardFolderName({ index, count }));
    if (liveLockOwner(path.join(folder, 'lock')) !== undefined) runningShards.push(`${index}/${count}`);
    const files = await chunkFiles(folder);
    if (files.length === 0) {
      if (listing.examples.some((e) => inShard(e.path, { index, count }))) missingShards.push(`${index}/${count}`);
      continue;
    }
    for (const file of files) {
      const rerun = `run shard ${index}/${count} again (same command and --out) to resume`;
      let metadata: DatasetPartMetadata;
      let first: DatasetRow | undefined;
      let last: DatasetRow | undefined;
      const partPaths = new Set<string>();
      try {
        metadata = (await readTableMetadata(file)) as DatasetPartMetadata;
        for await (const rows of readTableRowGroups(file, ['path', 'index', 'method'])) {
          for (const row of rows) {
            first ??= row;
            last = row;
            partPaths.add(row.path);
            const key = `${row.path}#${row.index}#${row.method}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            if (!expected.has(row.path)) unexpected.push(row.path);
          }
        }
      } catch (error) {
        throw new WingbeatsError(
          'INVALID_FILE',
          `Cannot merge '${out}': part file ${(error as Error).message.replace(/\.$/, '')}; remove '${file}' and ${rerun}: its examples are explained again.`,
        );
      }
      const differences = settingsDifferences(settings, metadata);
      if (differences.length > 0) otherSettings.push(`'${file}' (${differences.join(', ')})`);
      const producer =
        settings.producedBy === undefined ? [] : producerDifferences(metadata.producedBy, settings.producedBy);
      if (producer.length > 0) otherProducer.push({ file, shard: `${index}/${count}`, what: producer.join(' and ') });
      parts.push({ file, shard: `${index}/${count}`, inputs: metadata.inputs ?? {}, paths: partPaths });
      if (first !== undefined && last !== undefined) chunks.push({ file, first, last });
    }
  }
  if (otherSettings.length > 0)
    throw new WingbeatsError(
      'INVALID_FILE',
      `Cannot merge '${out}': ${otherSettings.length} part file${otherSettings.length > 1 ? 's come' : ' comes'} from a run with other settings than its ${DATASET_FILES.settings}: ${nameList(otherSettings, 5)} differ; remove ${otherSettings.length > 1 ? 'them' : 'it'} or use their own output folder.`,
    );
  if (otherProducer.length > 0) {
    const shards = [...new Set(otherProducer.map((p) => p.shard))];
    throw new WingbeatsError(
      'INVALID_FILE',
      `Cannot merge '${out}': ${otherProducer.length} part file${otherProducer.length > 1 ? 's were' : ' was'} made by another model or version than the run's ${DATASET_FILES.settings} names: ${nameList(
        otherProducer.map((p) => `'${p.file}': another ${p.what}`),
        5,
      )}; run shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')} again (same command and --out) to resume: ${otherProducer.length > 1 ? 'their' : 'its'} stale rows are recomputed.`,
    );
  }
  const explainedPaths = new Set(
    [...seen.keys()].map((key) => key.slice(0, key.lastIndexOf('#', key.lastIndexOf('#') - 1))),
  );
  const missing = listing.examples.filter((e) => !explainedPaths.has(e.path)).map((e) => e.path);
  const duplicated = [...seen.entries()].filter(([, n]) => n > 1).map(([key]) => key.replace(/#[^#]*$/, ''));
  if (runningShards.length > 0)
    problems.push(`shard${runningShards.length > 1 ? 's' : ''} ${runningShards.join(', ')} still running`);
  if (missingShards.length > 0)
    problems.push(`shard${missingShards.length > 1 ? 's' : ''} ${missingShards.join(', ')} wrote no part file`);
  if (missing.length > 0)
    problems.push(
      `${missing.length} example${missing.length > 1 ? 's were' : ' was'} not explained: ${nameList(missing)}`,
    );
  if (duplicated.length > 0)
    problems.push(`${new Set(duplicated).size} explained more than once: ${nameList([...new Set(duplicated)])}`);
  if (unexpected.length > 0)
    problems.push(`${new Set(unexpected).size} not in the input any more: ${nameList([...new Set(unexpected)])}`);
  if (problems.length > 0)
    throw new WingbeatsError(
      'INVALID_FILE',
      `Cannot merge '${out}': ${problems.join('; ')}. Run the missing shards again (same command and --out), or remove the extra part files.`,
    );

  const changed = await changedRecordings(parts, listing.root, expected);
  if (changed.length > 0) {
    const shards = [...new Set(changed.map((c) => c.shard))];
    throw new WingbeatsError(
      'INVALID_FILE',
      `Cannot merge '${out}': ${changed.length} recording${changed.length > 1 ? 's' : ''} changed since ${changed.length > 1 ? 'their' : 'its'} shard explained ${changed.length > 1 ? 'them' : 'it'}: ${nameList(
        changed.map((c) => `${c.path} (in '${c.file}')`),
        5,
      )}; run shard${shards.length > 1 ? 's' : ''} ${shards.join(', ')} again (same command and --out): ${changed.length > 1 ? 'they are' : 'it is'} explained again.`,
    );
  }
  const tableFile = path.join(out, DATASET_FILES.table);
  const rowFloats = 3 * settings.heatmapShape.reduce((a, b) => a * b, 1) * (settings.model.inputShape.at(-1) ?? 1);
  const groupRows = Math.max(16, Math.min(4096, Math.floor(500_000 / Math.max(1, rowFloats))));
  const writer = openTableFile(tableFile, settings, groupRows);
  try {
    let buffered: DatasetRow[] = [];
    for await (const rows of mergeRuns(sortedRuns(chunks))) {
      buffered.push(...rows);
      if (buffered.length >= groupRows) {
        writer.write(buffered);
        buffered = [];
      }
    }
    writer.write(buffered);
    writer.finish();
  } catch (error) {
    writer.abort();
    throw error;
  }
  const summarized = await summarizeTable(
    async (visit) => {
      for await (const rows of readTableRowGroups(tableFile, [
        'path',
        'index',
        'label',
        'predicted',
        'method',
        'input',
        'heatmap',
        'error',
        'warnings',
        'contrastMap',
        'groupNames',
        'groupAttributions',
        'f0Hz',
      ]))
        rows.forEach(visit);
    },
    {
      heatmapShape: settings.heatmapShape,
      axis: heatmapAxis(
        settings.preset !== null && isFeaturePresetName(settings.preset) ? settings.preset : undefined,
        settings.heatmapShape,
      ),
      memoryValues: options.memoryValues,
      classes: settings.model.labels,
    },
  );
  const summary = { ...summarized, settings };
  // Loaded here, not with the module: the report's charts need Vega and Vega-Lite (a quarter of a second of CPU to
  // load), which the shard processes of a run, which import this module but never merge, do not.
  const [{ datasetReport }, { renderReport }] = await Promise.all([
    import('../../dataset/summary-report.js'),
    import('../../render/html-report.js'),
  ]);
  const report = renderReport(await datasetReport(summary, settings));
  await writeStaged(out, async (staged) => {
    await staged.write(DATASET_FILES.summary, `${toJson(summary)}\n`);
    await staged.write(DATASET_FILES.report, report);
  });
  return { table: path.resolve(tableFile), examples: summary.examples, errors: summary.errors, summary };
}
