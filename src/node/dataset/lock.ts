/**
 * One process per shard (Node only): a lock file in the shard's part folder holding the owner's pid, host and process
 * start time, renewed while it runs. A lock left by a killed process is taken over: on the same host when its pid is
 * gone (or now belongs to a later process), on another host when it has not been renewed for two minutes (a Slurm job
 * requeued on another node).
 */
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import { WingbeatsError } from '../../util/errors.js';
import { lockOwnerAlive, ownLockText } from '../folder-lock.js';

const STALE_MS = 120_000;
const RENEW_MS = 30_000;

/** The owner of the lock `file` while it is held by a live process (undefined when absent or stale). */
export function liveLockOwner(file: string): { pid?: number; host?: string } | undefined {
  let owner: { pid?: number; host?: string; processStart?: string } = {};
  let age: number;
  try {
    age = Date.now() - statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  try {
    owner = JSON.parse(readFileSync(file, 'utf8')) as typeof owner;
  } catch {
    // unreadable: judged by its age alone
  }
  const stale =
    owner.host === os.hostname() && Number.isSafeInteger(owner.pid)
      ? !lockOwnerAlive(owner as { pid: number; processStart?: string })
      : age > STALE_MS;
  return stale ? undefined : owner;
}

/** The text of `file`, or undefined when it cannot be read. */
function textOf(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function lockedBy(owner: { pid?: number; host?: string }, what: string, file: string): WingbeatsError {
  return new WingbeatsError(
    'LOCKED',
    `${what} is already running (process ${owner.pid ?? '?'} on ${owner.host ?? '?'}, lock '${file}'); wait for it, or remove the lock if that process is gone.`,
  );
}

/** Takes the lock `file` (or throws naming its owner); returns the function that releases it. */
export function acquireLock(file: string, what: string): () => void {
  const mine = ownLockText();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      const timer = setInterval(() => {
        try {
          const now = new Date();
          utimesSync(file, now, now);
        } catch {
          // the folder was removed: nothing left to renew
        }
      }, RENEW_MS);
      timer.unref();
      return () => {
        clearInterval(timer);
        rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new WingbeatsError('IO', `Cannot create the lock '${file}': ${(error as Error).message}`);
    }
    const judged = textOf(file);
    const owner = liveLockOwner(file);
    if (owner !== undefined) throw lockedBy(owner, what, file);
    // The stale lock is moved aside, never removed in place: two processes taking it over at once must not remove the
    // fresh lock of the one that came first. What was moved aside must be the lock judged stale; else it goes back.
    const aside = `${file}.${process.pid}.stale`;
    try {
      renameSync(file, aside);
    } catch {
      continue; // gone meanwhile: try to create it again
    }
    const moved = textOf(aside);
    if (moved !== judged) {
      try {
        linkSync(aside, file);
      } catch {
        // a third process holds the name now; the owner of the moved lock keeps running either way
      }
      rmSync(aside, { force: true });
      let fresh: { pid?: number; host?: string } = {};
      try {
        fresh = JSON.parse(moved ?? '{}') as typeof fresh;
      } catch {
        // unreadable: named as unknown
      }
      throw lockedBy(fresh, what, file);
    }
    rmSync(aside, { force: true });
  }
  throw new WingbeatsError('LOCKED', `Cannot take the lock '${file}': another process keeps taking it.`);
}
