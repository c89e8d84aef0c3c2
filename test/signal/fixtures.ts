// Locates ../shared (reference numbers and recordings) for the signal tests; tests skip when it is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const referenceDir = path.join(sharedDir, 'reference');
export const recordingsDir = path.join(sharedDir, 'data', 'recordings');

/** `false` when ../shared is present, else a skip message for node:test's `skip` option. */
export function skipWithoutShared(what: string): string | false {
  return existsSync(path.join(sharedDir, what))
    ? false
    : `../shared/${what} is absent (tests on real references run where ../shared exists)`;
}

export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The JSON files of a reference folder, or [] when absent. */
export function referenceFiles(folder: string): string[] {
  const dir = path.join(referenceDir, folder);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => path.join(dir, f))
    : [];
}

/** The WAV recordings, or [] when absent. */
export function recordingFiles(): string[] {
  return existsSync(recordingsDir)
    ? readdirSync(recordingsDir)
        .filter((f) => f.endsWith('.wav'))
        .sort()
        .map((f) => path.join(recordingsDir, f))
    : [];
}
