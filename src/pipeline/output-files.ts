/** What a job wants written, as data: the Node shell stages these files, the web page could offer them as downloads. */
import type { TopLevelSpec } from 'vega-lite';
import { toJson } from './json-values.js';

/** One output: text, bytes, or a chart (built only when written, as `name.svg` and `name.png`). */
export type OutputFile =
  { name: string; text: string } | { name: string; bytes: Uint8Array } | { name: string; chart: () => TopLevelSpec };

/** A JSON document as an output file (typed arrays as arrays, one trailing newline). */
export function jsonFile(name: string, document: unknown): OutputFile {
  return { name, text: `${toJson(document)}\n` };
}

/** A file-name-safe version of an input name (`rec.wav#2` → `rec.wav_2`). */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_');
}
