/**
 * Parquet files of the data-set table on disk (Node only): written through a hidden temporary file renamed into place
 * only when complete (a killed process never leaves a half-written table or part file), read back row group by row
 * group so memory stays bounded.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { WingbeatsError } from '../../util/errors.js';
import { readRegularFile } from '../read-regular-file.js';
import {
  TABLE_COLUMNS,
  TABLE_METADATA_KEY,
  rowFromObject,
  rowsToColumns,
  tableSchema,
  type DatasetRow,
} from '../../dataset/table.js';

/** A table file being written. */
export interface TableFileWriter {
  /** Appends rows as one or more row groups. */
  write(rows: readonly DatasetRow[]): void;
  /** Finishes the file, flushes it to disk and moves it into place. */
  finish(): void;
  /** Removes the unfinished file. */
  abort(): void;
}

/**
 * Opens `file` for writing: a hidden temporary file beside it until {@link TableFileWriter.finish}. `metadata` (the
 * run's settings) goes into the file's key-value metadata under `wingbeats-xai`.
 */
export function openTableFile(file: string, metadata: unknown, rowGroupRows = 256): TableFileWriter {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const writer = new ParquetWriter({
    writer: fileWriter(temporary),
    schema: tableSchema(),
    kvMetadata: [{ key: TABLE_METADATA_KEY, value: JSON.stringify(metadata) }],
    createdBy: 'wingbeats-xai',
  });
  return {
    write(rows) {
      if (rows.length > 0) writer.write({ columnData: rowsToColumns(rows), rowGroupSize: rowGroupRows });
    },
    finish() {
      writer.finish();
      const fd = openSync(temporary, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, file);
    },
    abort() {
      rmSync(temporary, { force: true });
    },
  };
}

/** Writes `rows` as the complete table file `file` (atomically). */
export function writeTableFile(file: string, rows: readonly DatasetRow[], metadata: unknown): void {
  const writer = openTableFile(file, metadata);
  try {
    writer.write(rows);
    writer.finish();
  } catch (error) {
    writer.abort();
    throw error;
  }
}

/** Most rows one row group of a wingbeats-xai table holds (parts use 256, the merged table at most 4096). */
export const MAX_TABLE_GROUP_ROWS = 65_536;

/** A table file's footer, checked against the file's size before anything it declares is allocated. */
interface OpenedTable {
  buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
}

/** A footer integer as a bigint (a damaged footer may give numbers or other types where Parquet declares i64). */
function integer(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  return -1n;
}

/** Table files up to this size are read into memory at once (every part file); larger ones slice by slice. */
const IN_MEMORY_BYTES = 64 * 2 ** 20;

/**
 * The byte source of a table file: a part file is read whole into memory, so reads hyparquet still has in flight
 * when a damaged file makes it throw cannot fail later (a file removed meanwhile would otherwise end the process with
 * an unhandled rejection); a large table is read slice by slice.
 */
async function tableBytes(file: string): Promise<OpenedTable['buffer']> {
  const info = await stat(file);
  if (info.isFile() && info.size > IN_MEMORY_BYTES) return asyncBufferFromFile(file);
  // Regular files only (never /dev/zero, a FIFO or a folder), read at once.
  const bytes = await readRegularFile(file, { what: 'Table file', maxBytes: IN_MEMORY_BYTES });
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return {
    byteLength: buffer.byteLength,
    slice: (start: number, end?: number) => Promise.resolve(buffer.slice(start, end)),
  };
}

function damaged(file: string, reason: string): WingbeatsError {
  return new WingbeatsError('INVALID_FILE', `'${file}' is not a readable wingbeats-xai table: ${reason}.`);
}

/**
 * Opens a table file and checks its footer before reading any row: the Parquet magic bytes, the declared metadata
 * length, every column chunk inside the file, row counts no larger than the file could hold (and at most
 * {@link MAX_TABLE_GROUP_ROWS} per row group), values no more than the bytes could encode, and every column of the
 * table's schema present.
 *
 * @throws WingbeatsError `INVALID_FILE` naming the file and what is wrong with it.
 */
async function openTable(file: string): Promise<OpenedTable> {
  let buffer: OpenedTable['buffer'];
  let metadata: OpenedTable['metadata'];
  try {
    buffer = await tableBytes(file);
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError(
      'IO',
      `Table file '${file}' cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
    );
  }
  const size = buffer.byteLength;
  if (size < 12) throw damaged(file, `it is ${size} bytes long, too short for a Parquet file (truncated?)`);
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw damaged(file, `${(error as Error).message} (truncated or not Parquet)`);
  }
  const bytes = BigInt(size);
  let rows = 0n;
  if (!Array.isArray(metadata.row_groups) || !Array.isArray(metadata.schema))
    throw damaged(file, 'its footer has no row groups or schema');
  for (const [g, group] of metadata.row_groups.entries()) {
    const groupRows = integer(group.num_rows);
    if (groupRows < 0n || groupRows > BigInt(MAX_TABLE_GROUP_ROWS))
      throw damaged(
        file,
        `row group ${g} declares ${String(group.num_rows)} rows (at most ${MAX_TABLE_GROUP_ROWS} are written)`,
      );
    rows += groupRows;
    if (!Array.isArray(group.columns)) throw damaged(file, `row group ${g} has no column list`);
    for (const column of group.columns) {
      const meta = column.meta_data;
      if (meta === undefined) throw damaged(file, `row group ${g} has a column chunk without metadata`);
      const start = integer(meta.dictionary_page_offset ?? meta.data_page_offset);
      const compressed = integer(meta.total_compressed_size);
      const uncompressed = integer(meta.total_uncompressed_size);
      const values = integer(meta.num_values);
      if (
        start < 0n ||
        compressed < 0n ||
        start + compressed > bytes ||
        uncompressed < 0n ||
        uncompressed > 32n * compressed + 65_536n ||
        values < 0n ||
        values > 8n * compressed + BigInt(MAX_TABLE_GROUP_ROWS)
      )
        throw damaged(
          file,
          `column '${String(meta.path_in_schema?.join?.('.'))}' of row group ${g} declares sizes the file's ${size} bytes cannot hold (truncated or damaged)`,
        );
    }
  }
  if (rows > bytes || integer(metadata.num_rows) !== rows)
    throw damaged(file, `its footer declares ${String(metadata.num_rows)} rows, more than its ${size} bytes can hold`);
  const names = new Set(metadata.schema.map((element) => element.name));
  const absent = TABLE_COLUMNS.filter((c) => c.later !== true)
    .map((c) => c.name)
    .filter((name) => !names.has(name));
  if (absent.length > 0) throw damaged(file, `it lacks the columns ${absent.join(', ')} (a table of another program?)`);
  return { buffer, metadata };
}

/** The settings stored in a table file's metadata (the footer checked first, see `openTable`). */
export async function readTableMetadata(file: string): Promise<unknown> {
  const { metadata } = await openTable(file);
  const entry = metadata.key_value_metadata?.find((kv) => kv.key === TABLE_METADATA_KEY);
  if (entry?.value === undefined) throw damaged(file, `it has no '${TABLE_METADATA_KEY}' metadata`);
  try {
    const value = JSON.parse(entry.value) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch (error) {
    throw damaged(file, `its '${TABLE_METADATA_KEY}' metadata is not a JSON object (${(error as Error).message})`);
  }
}

/**
 * Reads the rows of a table file one row group at a time (only `columns` when given; the others come back null),
 * after checking its footer against its size.
 *
 * @throws WingbeatsError `INVALID_FILE` naming the file when it is damaged, truncated or of another schema.
 * @example for await (const rows of readTableRowGroups('table.parquet')) for (const row of rows) ...
 */
export async function* readTableRowGroups(file: string, columns?: readonly string[]): AsyncGenerator<DatasetRow[]> {
  const { buffer, metadata } = await openTable(file);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    let objects: Record<string, unknown>[];
    try {
      objects = await parquetReadObjects({
        file: buffer,
        metadata,
        rowStart,
        rowEnd,
        ...(columns === undefined ? {} : { columns: [...columns] }),
      });
    } catch (error) {
      throw damaged(file, `rows ${rowStart}..${rowEnd - 1} cannot be read (${(error as Error).message})`);
    }
    yield objects.map(rowFromObject);
    rowStart = rowEnd;
  }
}
