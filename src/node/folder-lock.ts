/**
 * An exclusive lock on an output folder (Node only): a lock file created atomically, holding the owner's process id
 * and machine. A lock whose process is gone (a run killed with SIGKILL) is taken over; a live one is refused with who
 * holds it, so two runs never do the same work into one folder.
 */
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { WingbeatsError } from '../util/errors.js';

/** A held lock; `release()` removes it (idempotent). */
export interface FolderLock {
  /** The lock file. */
  path: string;
  /** Whether a stale lock of a killed run was taken over. */
  tookOverStale: boolean;
  release(): Promise<void>;
}

const LOCK_NAME = '.wingbeats-xai.lock';

interface LockOwner {
  pid: number;
  host: string;
  started: string;
  /** The owner's process start time ({@link processStartTime}), when the system tells it. */
  processStart?: string;
}

/**
 * When process `pid` started, as the kernel counts it (Linux: field 22 of `/proc/PID/stat`, clock ticks since boot);
 * undefined where the system does not tell. A lock records its owner's, so a pid reused by another process after the
 * owner died is not taken for the owner.
 */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether the process that wrote a lock on this machine still runs: its pid is alive and, when both start times are
 * known, it is the same process (not a later one that got the same pid).
 */
export function lockOwnerAlive(owner: { pid: number; processStart?: unknown }): boolean {
  if (!processAlive(owner.pid)) return false;
  if (typeof owner.processStart !== 'string') return true;
  const now = processStartTime(owner.pid);
  return now === undefined || now === owner.processStart;
}

/** The lock text of this process: pid, host, time, process start time. */
export function ownLockText(): string {
  return JSON.stringify({
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    processStart: processStartTime(process.pid),
  });
}

/** Whether process `pid` is alive on this machine. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(file: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(file, 'utf8')) as LockOwner;
    return Number.isSafeInteger(owner.pid) && typeof owner.host === 'string' ? owner : undefined;
  } catch {
    return undefined;
  }
}

async function create(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'wx');
    try {
      await handle.writeFile(ownLockText());
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new WingbeatsError('IO', `Cannot lock the output folder: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Takes the lock of `dir` (created if needed).
 *
 * @param dir - The output folder.
 * @param command - The command, for the message (`'batch'`).
 * @returns The {@link FolderLock}; release it in `finally`.
 * @throws WingbeatsError `LOCKED` naming the process that holds the folder; `IO` when the lock cannot be written.
 * @example const lock = await lockFolder('out', 'batch'); try { ... } finally { await lock.release(); }
 */
export async function lockFolder(dir: string, command: string): Promise<FolderLock> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new WingbeatsError('IO', `Cannot create the output folder '${dir}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  const file = path.join(dir, LOCK_NAME);
  let tookOverStale = false;
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await create(file)) {
      let released = false;
      return {
        path: file,
        tookOverStale,
        async release() {
          if (released) return;
          released = true;
          await rm(file, { force: true });
        },
      };
    }
    const owner = await readOwner(file);
    const stale = owner !== undefined && owner.host === hostname() && !lockOwnerAlive(owner);
    if (!stale) {
      const who =
        owner === undefined
          ? 'another run'
          : `another run (process ${owner.pid} on ${owner.host}, since ${owner.started})`;
      throw new WingbeatsError(
        'LOCKED',
        `The output folder '${dir}' is in use by ${who}; wait for it to finish, or choose another --out. ` +
          `If no such run exists, remove '${file}'.`,
      );
    }
    await rm(file, { force: true });
    tookOverStale = true;
  }
  throw new WingbeatsError(
    'LOCKED',
    `The output folder '${dir}' was locked by another ${command} run at the same moment; run again.`,
  );
}
