/**
 * Writes a command's output files into a hidden staging folder inside `--out DIR` and moves them into place only when
 * everything succeeded, so a failure never leaves half-written results that look complete. Node only.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WingbeatsError } from '../core/errors.js';

/** A staging area for the files of one command run. */
export interface StagedOutput {
  /** Absolute path in the staging folder for a file name relative to the output folder. */
  path(name: string): string;
  /** Writes text or bytes to `name` in the staging folder. */
  write(name: string, data: string | Uint8Array): Promise<string>;
  /** Moves every staged file into the output folder (replacing older ones) and removes the staging folder. */
  commit(): Promise<string[]>;
  /** Removes the staging folder and everything in it. */
  discard(): Promise<void>;
}

/** Opens a staging folder inside `outDir` (created if needed). */
export async function stageOutput(outDir: string): Promise<StagedOutput> {
  const staging = path.join(outDir, `.wingbeats-xai-partial-${process.pid}-${Date.now()}`);
  try {
    await mkdir(staging, { recursive: true });
  } catch (error) {
    throw new WingbeatsError('IO', `Cannot create the output folder '${outDir}': ${(error as Error).message}`);
  }
  const names: string[] = [];
  return {
    path: (name) => path.join(staging, name),
    async write(name, data) {
      const target = path.join(staging, name);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, data);
      if (!names.includes(name)) names.push(name);
      return path.join(outDir, name);
    },
    async commit() {
      const written: string[] = [];
      for (const name of names) {
        const final = path.join(outDir, name);
        await mkdir(path.dirname(final), { recursive: true });
        await rename(path.join(staging, name), final);
        written.push(final);
      }
      await rm(staging, { recursive: true, force: true });
      return written;
    },
    async discard() {
      await rm(staging, { recursive: true, force: true });
    },
  };
}
