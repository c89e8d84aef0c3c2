/**
 * Parquet files of the data-set table on disk (Node only): written through a hidden temporary file renamed into place
 * only when complete (a killed process never leaves a half-written table or part file), read back row group by row
 * group so memory stays bounded.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { WingbeatsError } from '../../util/errors.js';
import { TABLE_METADATA_KEY, rowFromObject, rowsToColumns, tableSchema, type DatasetRow } from '../../dataset/table.js';

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

/** The settings stored in a table file's metadata. */
export async function readTableMetadata(file: string): Promise<unknown> {
  try {
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(file));
    const entry = metadata.key_value_metadata?.find((kv) => kv.key === TABLE_METADATA_KEY);
    if (entry?.value === undefined) throw new Error(`no '${TABLE_METADATA_KEY}' metadata`);
    return JSON.parse(entry.value);
  } catch (error) {
    throw new WingbeatsError('INVALID_FILE', `'${file}' is not a wingbeats-xai table: ${(error as Error).message}`);
  }
}

/**
 * Reads the rows of a table file one row group at a time (only `columns` when given; the others come back null).
 *
 * @example for await (const rows of readTableRowGroups('table.parquet')) for (const row of rows) ...
 */
export async function* readTableRowGroups(file: string, columns?: readonly string[]): AsyncGenerator<DatasetRow[]> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  let rowStart = 0;
  for (const group of metadata.row_groups) {
    const rowEnd = rowStart + Number(group.num_rows);
    const objects = await parquetReadObjects({
      file: buffer,
      metadata,
      rowStart,
      rowEnd,
      ...(columns === undefined ? {} : { columns: [...columns] }),
    });
    yield objects.map(rowFromObject);
    rowStart = rowEnd;
  }
}
