/**
 * What produced a result, as a key (Node only): the library version, the model's bytes (a model.json together with its
 * weight files), the input file's bytes, and every setting that changes the numbers. `batch` redoes a file whose stored
 * key differs, so changing the model, the method or any option never reuses stale results.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FILE_SIZE_LIMITS, readRegularFile } from './read-regular-file.js';
import { readModelJsonArtifacts } from './load-model-file.js';
import { readFileBytes } from './read-files.js';

/** The package version (from package.json beside src/ or dist/). */
export const LIBRARY_VERSION: string = (() => {
  try {
    return String(
      (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string })
        .version ?? 'unknown',
    );
  } catch {
    return 'unknown';
  }
})();

/** SHA-256 of bytes, hex. */
export function sha256(...parts: (Uint8Array | ArrayBuffer | string)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part instanceof ArrayBuffer ? new Uint8Array(part) : part);
  return hash.digest('hex');
}

/** SHA-256 of a model file; a model.json is hashed with the weight files of its manifest. */
export async function modelFingerprint(path: string): Promise<string> {
  if (/\.json$/i.test(path)) {
    const artifacts = await readModelJsonArtifacts(path);
    return sha256(
      JSON.stringify(artifacts.modelTopology ?? null),
      JSON.stringify(artifacts.weightSpecs ?? []),
      (artifacts.weightData as ArrayBuffer) ?? '',
    );
  }
  return sha256(await readRegularFile(path, { what: 'The model', maxBytes: FILE_SIZE_LIMITS.model }));
}

/** SHA-256 of an input file (`what` starts the messages about it). */
export async function inputFingerprint(path: string, what = 'The --input file'): Promise<string> {
  // Through readFileBytes: a recording too long to decode is refused from its header before it is read whole.
  return sha256(await readFileBytes(path, { what, maxBytes: FILE_SIZE_LIMITS.recording }));
}

/** JSON with object keys sorted, so equal settings give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** What produced a result: stored beside it and compared on the next run. */
export interface Provenance {
  version: string;
  model: string;
  input: string;
  settings: Record<string, unknown>;
}

/**
 * The resumption key of a result: a hash of its {@link Provenance}.
 * @example resumptionKey({ version: LIBRARY_VERSION, model: await modelFingerprint(m), input: await inputFingerprint(f), settings });
 */
export function resumptionKey(provenance: Provenance): string {
  return sha256(canonicalJson(provenance));
}
