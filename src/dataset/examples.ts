/**
 * The examples of a labelled data set: from the relative paths of a folder with one sub-folder per class (the layout
 * of the Potamitis and Keogh data sets and of Keras's `*_dataset_from_directory`), or from a CSV manifest
 * `path,label[,split]`. Universal: the Node side walks the folder or reads the file and passes text and names in.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import { WingbeatsError } from '../util/errors.js';

/** File types a data set may hold: recordings and model inputs. */
export const DATASET_FILE_EXTENSIONS = ['.wav', '.wave', '.npy', '.json'] as const;

/** One file of a data set. */
export interface DatasetExample {
  /** Path relative to the input folder (or the manifest's folder), with `/` separators. */
  path: string;
  /** Class label (the sub-folder name or the manifest's label), or null when the data set has none. */
  label: string | null;
  /** The manifest's split column (`train`, `test`, ...), or null. */
  split: string | null;
}

/** Does `name` end in one of {@link DATASET_FILE_EXTENSIONS}? */
export function isDatasetFile(name: string): boolean {
  const lower = name.toLowerCase();
  return DATASET_FILE_EXTENSIONS.some((extension) => lower.endsWith(extension));
}

/** Compares two relative paths by UTF-16 code units (the order of every listing, table and shard). */
export function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The examples of a folder from its files' relative paths: a file inside a sub-folder is labelled with the first
 * folder of its path (`Ae_aegypti/rec1.wav` → `Ae_aegypti`); a file at the top has no label. Sorted by path.
 */
export function examplesFromFolder(relativePaths: readonly string[]): DatasetExample[] {
  return relativePaths
    .map((p) => p.split('\\').join('/'))
    .filter(isDatasetFile)
    .sort(comparePaths)
    .map((p) => {
      const slash = p.indexOf('/');
      return { path: p, label: slash > 0 ? p.slice(0, slash) : null, split: null };
    });
}

/** Most examples one manifest may list (split larger data sets into several manifests or use a folder). */
export const MAX_MANIFEST_EXAMPLES = 500_000;

/**
 * A manifest path in one spelling: `\\` as `/`, `.` segments and repeated or leading slashes dropped, `x/..` folded
 * (`./a.wav`, `//a.wav` and `x/../a.wav` are all `a.wav`). A path that climbs out of the manifest's folder keeps its
 * leading `..` (the Node side refuses it).
 *
 * @example normalizeManifestPath('.//Aedes/./a.wav') // 'Aedes/a.wav'
 */
export function normalizeManifestPath(text: string): string {
  const parts: string[] = [];
  for (const part of text.split('\\').join('/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

/** Lines of `text` (newlines counted; stops counting past `limit`). */
function lineCount(text: string, limit: number): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at >= 0 && lines <= limit; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

/**
 * The rows of CSV text without quotes (the common case, parsed in a fraction of csv-parse's time): lines split on
 * newlines, fields on commas, both trimmed, empty lines skipped, a byte-order mark dropped.
 */
function plainCsvRows(text: string): string[][] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const rows: string[][] = [];
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    rows.push(line.split(',').map((field) => field.trim()));
  }
  return rows;
}

/**
 * Parses a CSV manifest: columns `path,label[,split]` with or without that header line; `label` and `split` may be
 * empty (no label). Paths are relative to the manifest's folder, in one spelling ({@link normalizeManifestPath}), so a
 * file listed as `a.wav` and `./a.wav` is refused as listed twice. Sorted by path.
 *
 * @throws WingbeatsError `INVALID_FILE` naming the manifest and line for a malformed row or a path given twice;
 *   `LIMIT_EXCEEDED` (before parsing) for more than {@link MAX_MANIFEST_EXAMPLES} lines.
 */
export function examplesFromManifest(text: string, manifestName: string): DatasetExample[] {
  if (lineCount(text, MAX_MANIFEST_EXAMPLES + 2) > MAX_MANIFEST_EXAMPLES + 1)
    throw new WingbeatsError(
      'LIMIT_EXCEEDED',
      `Manifest '${manifestName}' has more than ${MAX_MANIFEST_EXAMPLES} lines; split it into several data sets (or shards of a folder).`,
    );
  let rows: string[][];
  try {
    rows = text.includes('"')
      ? (parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }) as string[][])
      : plainCsvRows(text);
  } catch (error) {
    // The parser's message may quote the file's bytes; only the line number goes into ours.
    const line = (error as { lines?: number }).lines;
    throw new WingbeatsError(
      'INVALID_FILE',
      `Manifest '${manifestName}' is not valid CSV${line === undefined ? '' : ` (line ${line})`}; expected lines path,label[,split].`,
    );
  }
  const hasHeader = rows.length > 0 && rows[0][0]?.toLowerCase() === 'path';
  const columns = hasHeader ? rows[0].map((c) => c.toLowerCase()) : ['path', 'label', 'split'];
  const at = (name: string): number => columns.indexOf(name);
  const [pathColumn, labelColumn, splitColumn] = [at('path'), at('label'), at('split')];
  const seen = new Map<string, number>();
  const examples: DatasetExample[] = [];
  rows.slice(hasHeader ? 1 : 0).forEach((row, i) => {
    const line = i + (hasHeader ? 2 : 1);
    const written = row[pathColumn] ?? '';
    const file = normalizeManifestPath(written);
    if (file === '')
      throw new WingbeatsError(
        'INVALID_FILE',
        `Manifest '${manifestName}' line ${line}: the path is empty (expected path,label[,split]).`,
      );
    const earlier = seen.get(file);
    if (earlier !== undefined)
      throw new WingbeatsError(
        'INVALID_FILE',
        `Manifest '${manifestName}' line ${line}: '${written}' is listed twice (line ${earlier} names the same file).`,
      );
    seen.set(file, line);
    const label = labelColumn >= 0 ? (row[labelColumn] ?? '') : '';
    const split = splitColumn >= 0 ? (row[splitColumn] ?? '') : '';
    examples.push({ path: file, label: label === '' ? null : label, split: split === '' ? null : split });
  });
  if (examples.length === 0)
    throw new WingbeatsError(
      'INVALID_FILE',
      `Manifest '${manifestName}' lists no example (expected lines path,label[,split]).`,
    );
  return examples.sort((a, b) => comparePaths(a.path, b.path));
}

/** A short list of names for one error line: the first `shown` and how many more. */
export function nameList(names: readonly string[], shown = 10): string {
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head} and ${names.length - shown} more` : head;
}
