/** A data-set table file as bytes, for the fuzz seeds (the same writer and schema as the part files of `dataset`). */
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { TABLE_METADATA_KEY, rowsToColumns, tableSchema, type DatasetRow } from '../../src/dataset/table.js';

export type { DatasetRow };

/** The bytes of a table file holding `rows`, with `metadata` under the table's metadata key. */
export function encodeTableFile(rows: readonly DatasetRow[], metadata: unknown): Uint8Array {
  const writer = new ByteWriter();
  const parquet = new ParquetWriter({
    writer,
    schema: tableSchema(),
    kvMetadata: [{ key: TABLE_METADATA_KEY, value: JSON.stringify(metadata) }],
  });
  parquet.write({ columnData: rowsToColumns(rows), rowGroupSize: 1 });
  parquet.finish();
  return new Uint8Array(writer.getBuffer());
}
