/**
 * Deterministic partition of a data set into shards by a stable hash of each example's relative path, so every
 * machine of a cluster agrees on who explains what without talking to the others, and adding files moves no existing
 * example to another shard. Universal (the environment is passed in).
 */
import { WingbeatsError } from '../util/errors.js';

/** One shard of `count`: `index` in 0..count-1. */
export interface Shard {
  index: number;
  count: number;
}

/** The whole data set as one shard. */
export const WHOLE_DATASET: Shard = { index: 0, count: 1 };

/**
 * 32-bit FNV-1a hash of the UTF-8 bytes of `text` (stable across machines, Node versions and platforms).
 *
 * @example stableHash('Ae_aegypti/rec1.wav') // an unsigned 32-bit integer
 */
export function stableHash(text: string): number {
  const bytes = new TextEncoder().encode(text);
  let hash = 0x811c9dc5;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard index (0..count-1) of the example at relative path `path`. */
export function shardOfPath(path: string, count: number): number {
  return stableHash(path) % count;
}

/** Does the example at `path` belong to `shard`? */
export function inShard(path: string, shard: Shard): boolean {
  return shard.count === 1 || shardOfPath(path, shard.count) === shard.index;
}

function checkShard(index: number, count: number, source: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${source}: the shard count must be an integer ≥ 1 but got '${count}'.`,
    );
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `${source}: the shard index must be an integer in 0..${count - 1} but got '${index}'.`,
    );
  }
  return { index, count };
}

function integer(text: string | undefined): number {
  return text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
}

/** Parses `i/n` (0-based index, count), as `--shard 0/4`. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (match === null)
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `Option '--shard' must be i/n (e.g. 0/4, index from 0) but got '${text}'.`,
    );
  return checkShard(Number(match[1]), Number(match[2]), "Option '--shard'");
}

/**
 * The shard of this process: `--shard i/n` when given; otherwise a Slurm job array (`SLURM_ARRAY_TASK_ID` with
 * `SLURM_ARRAY_TASK_COUNT`, or `--shard-count`), a Kubernetes Indexed Job (`JOB_COMPLETION_INDEX` with
 * `--shard-count`); otherwise the whole data set. Slurm array ids are taken as they are (0-based: use `--array=0-(n-1)`,
 * or `SLURM_ARRAY_TASK_MIN` is subtracted when it is set).
 *
 * @throws WingbeatsError `INVALID_ARGUMENT` for an index outside 0..count-1 or a count that cannot be known.
 */
export function resolveShard(
  options: { shard?: string; shardCount?: number },
  env: Readonly<Record<string, string | undefined>>,
): Shard {
  if (options.shard !== undefined) return parseShard(options.shard);
  const slurmId = integer(env.SLURM_ARRAY_TASK_ID);
  if (!Number.isNaN(slurmId)) {
    const min = integer(env.SLURM_ARRAY_TASK_MIN);
    const count = options.shardCount ?? integer(env.SLURM_ARRAY_TASK_COUNT);
    if (Number.isNaN(count))
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        'SLURM_ARRAY_TASK_ID is set but the shard count is unknown: SLURM_ARRAY_TASK_COUNT is not set; pass --shard-count N.',
      );
    return checkShard(slurmId - (Number.isNaN(min) ? 0 : min), count, 'SLURM_ARRAY_TASK_ID');
  }
  const jobIndex = integer(env.JOB_COMPLETION_INDEX);
  if (!Number.isNaN(jobIndex)) {
    if (options.shardCount === undefined)
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        "JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but the shard count is unknown: pass --shard-count N (the Job's completions).",
      );
    return checkShard(jobIndex, options.shardCount, 'JOB_COMPLETION_INDEX');
  }
  if (options.shardCount !== undefined && options.shardCount !== 1) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      "Option '--shard-count' needs a shard index: --shard i/n, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX.",
    );
  }
  return WHOLE_DATASET;
}

/** The folder name of a shard's part files, e.g. `shard-0003-of-0016`. */
export function shardFolderName(shard: Shard): string {
  return `shard-${String(shard.index).padStart(4, '0')}-of-${String(shard.count).padStart(4, '0')}`;
}

/** Parses {@link shardFolderName}; undefined for other names. */
export function parseShardFolderName(name: string): Shard | undefined {
  const match = /^shard-(\d+)-of-(\d+)$/.exec(name);
  return match === null ? undefined : { index: Number(match[1]), count: Number(match[2]) };
}
