/**
 * The data-set table: one row per (example, method), its Parquet schema, and the conversions between rows and
 * Parquet columns. Universal (hyparquet-writer and hyparquet run anywhere).
 */
import type { ColumnSource, ParquetWriter } from 'hyparquet-writer';

/** A Parquet schema element as hyparquet-writer takes it. */
type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** One row of the table: an example explained by one method (or the error that stopped it). */
export interface DatasetRow {
  /** Path relative to the input folder (or manifest folder), `/`-separated. */
  path: string;
  /** Which input of the file (0 for a recording; files holding a list of inputs give one row per input). */
  index: number;
  label: string | null;
  split: string | null;
  method: string;
  /** Predicted class of the explained head: its name, or its index as text when the model has no class names. */
  predicted: string | null;
  predictedIndex: number | null;
  /** The explained class index and name. */
  target: number | null;
  targetName: string | null;
  /** Probabilities of the explained head (null when the head's scores are not probabilities). */
  probabilities: number[] | null;
  /** Scores of the explained head as explained (`scores`: logits by default). */
  scores: number[] | null;
  /** JSON of every head's prediction: `[{"head", "predicted", "probabilities"|"scores"}]`. */
  heads: string | null;
  /** The model input that was explained, flat row-major. */
  input: number[] | null;
  /** Attributions, flat row-major in the input's shape. */
  attributions: number[] | null;
  /** Heatmap (the method's reduction over channels, min-max to [0, 1]), flat row-major. */
  heatmap: number[] | null;
  /** Completeness gap, for methods that have one. */
  delta: number | null;
  /** Why this example could not be explained (null when it was). */
  error: string | null;
  /**
   * Warnings about the example's input, the same lines `explain` prints: far outside the model's training range (with
   * its figures), recorded at a lower rate and resampled up, a forced preset. Empty when all is well.
   */
  warnings: string[];
  /**
   * Misclassified examples (a label that is a class of the model, predicted as another class), methods that explain a
   * margin: the contrastive map of score(predicted) − score(label) — the attributions of the margin summed over
   * channels, in the heatmap's layout, divided by their largest |value| (so in [−1, 1]; positive = evidence for the
   * predicted class over the true one). Null otherwise (and in tables written before it existed).
   */
  contrastMap?: number[] | null;
  /**
   * Group methods (`--groups`): the names of the example's groups in order ('band 1', …; 'below f0', 'f0', '2f0', …,
   * 'between harmonics'; a mask file's names) — per row, since harmonic groups follow each recording's f0. Null for
   * other methods (and in tables written before it existed).
   */
  groupNames?: string[] | null;
  /** Group methods: one value per group, in `groupNames` order (float32; `attributions` holds each at its positions). */
  groupAttributions?: number[] | null;
  /** `--groups harmonics`: the example's estimated fundamental frequency, Hz (null otherwise). */
  f0Hz?: number | null;
}

/** Key of the file's metadata holding the run's settings (JSON). */
export const TABLE_METADATA_KEY = 'wingbeats-xai';

type Kind = 'string' | 'int' | 'double' | 'floats' | 'strings';

/** Every column in table order, with its kind and whether it may be null. */
export const TABLE_COLUMNS: readonly {
  name: keyof DatasetRow;
  kind: Kind;
  required?: true;
  /** Added after the first tables were written: a file without it is still read (as nulls). */
  later?: true;
}[] = [
  { name: 'path', kind: 'string', required: true },
  { name: 'index', kind: 'int', required: true },
  { name: 'label', kind: 'string' },
  { name: 'split', kind: 'string' },
  { name: 'method', kind: 'string', required: true },
  { name: 'predicted', kind: 'string' },
  { name: 'predictedIndex', kind: 'int' },
  { name: 'target', kind: 'int' },
  { name: 'targetName', kind: 'string' },
  { name: 'probabilities', kind: 'floats' },
  { name: 'scores', kind: 'floats' },
  { name: 'heads', kind: 'string' },
  { name: 'input', kind: 'floats' },
  { name: 'attributions', kind: 'floats' },
  { name: 'heatmap', kind: 'floats' },
  { name: 'delta', kind: 'double' },
  { name: 'error', kind: 'string' },
  { name: 'warnings', kind: 'strings', required: true },
  { name: 'contrastMap', kind: 'floats', later: true },
  { name: 'groupNames', kind: 'strings', later: true },
  { name: 'groupAttributions', kind: 'floats', later: true },
  { name: 'f0Hz', kind: 'double', later: true },
];

/** Names of the small columns (everything but the arrays), for reading keys and labels cheaply. */
export const KEY_COLUMNS = ['path', 'index', 'method'] as const;

/**
 * The Parquet schema of the table: strings as UTF8, arrays as LIST<FLOAT> (float32), warnings and group names as
 * LIST<UTF8>, delta and f0Hz as DOUBLE.
 */
export function tableSchema(): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: TABLE_COLUMNS.length }];
  for (const { name, kind, required } of TABLE_COLUMNS) {
    const repetition_type = required ? 'REQUIRED' : 'OPTIONAL';
    if (kind === 'floats') {
      schema.push(
        { name, repetition_type, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'FLOAT', repetition_type: 'REQUIRED' },
      );
    } else if (kind === 'strings') {
      schema.push(
        { name, repetition_type, converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      );
    } else if (kind === 'string') schema.push({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type });
    else if (kind === 'int') schema.push({ name, type: 'INT32', repetition_type });
    else schema.push({ name, type: 'DOUBLE', repetition_type });
  }
  return schema;
}

/** The rows as Parquet column data (in {@link TABLE_COLUMNS} order). */
export function rowsToColumns(rows: readonly DatasetRow[]): ColumnSource[] {
  return TABLE_COLUMNS.map(({ name }) => ({
    name,
    data: rows.map((row) => row[name] ?? null) as ColumnSource['data'],
  }));
}

/** A row read back by hyparquet (`parquetReadObjects`) as a {@link DatasetRow} (missing columns become null). */
export function rowFromObject(object: Record<string, unknown>): DatasetRow {
  const row: Record<string, unknown> = {};
  for (const { name, kind, required } of TABLE_COLUMNS) {
    const value = object[name];
    row[name] =
      value === undefined || value === null
        ? kind === 'strings' && required
          ? []
          : null
        : kind === 'floats'
          ? Array.from(value as ArrayLike<number>)
          : kind === 'strings'
            ? Array.from(value as ArrayLike<string>)
            : kind === 'int'
              ? Number(value)
              : value;
  }
  return row as unknown as DatasetRow;
}

/** The float32 values an array column stores (what a reader gets back), for comparisons. */
export function asStoredFloats(values: ArrayLike<number>): number[] {
  return Array.from(Float32Array.from(values));
}

/** Orders rows by example (path, then index); rows of one example keep their method order. */
export function compareExamples(a: Pick<DatasetRow, 'path' | 'index'>, b: Pick<DatasetRow, 'path' | 'index'>): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : a.index - b.index;
}
