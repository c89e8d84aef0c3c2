/**
 * Reading Keras HDF5 files in a worker thread with a time limit (Node only). libhdf5 can loop forever on some damaged
 * files (a corrupted global heap behind a string attribute, found by fuzzing); in a worker such a read is stopped after
 * the limit and reported as one clean error instead of hanging the command. One worker serves the reads of a process
 * one at a time (it is replaced after a stopped read) and does not keep the process alive.
 */
import { Worker } from 'node:worker_threads';
import { WingbeatsError, type WingbeatsErrorCode } from '../util/errors.js';
import { H5_READ_TIMEOUT_MS, type KerasH5Contents, type StoredWeight } from '../models/hdf5.js';

export { H5_READ_TIMEOUT_MS };

type Reply<T> = { id: number; ok: true; contents: T } | { id: number; ok: false; code?: string; message: string };

/** What the worker reads: a Keras `.h5` file, or the `model.weights.h5` of a `.keras` archive. */
type ReadKind = 'h5' | 'keras-vars';

/** The reader's worker thread, and when it has loaded. */
interface ReaderWorker {
  thread: Worker;
  ready: Promise<void>;
}

let worker: ReaderWorker | null = null;
let nextId = 0;
let queue: Promise<unknown> = Promise.resolve();

function startWorker(): ReaderWorker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./keras-h5-worker.${source ? 'ts' : 'js'}`, import.meta.url);
  // From the TypeScript sources (a checkout) the worker first registers tsx, which workers do not inherit.
  const created = source
    ? new Worker(
        `(async () => { (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register(); await import(${JSON.stringify(entry.href)}); })();`,
        { eval: true },
      )
    : new Worker(entry);
  created.unref();
  // A read in progress handles its worker's error itself; an error after it (the worker failing while it is stopped)
  // must never become an unhandled 'error' event that ends the process.
  created.on('error', () => undefined);
  created.on('exit', () => {
    if (worker?.thread === created) worker = null;
  });
  // The time limit is the file's: it starts once the worker has loaded (from the TypeScript sources, on a busy machine,
  // compiling the reader can take seconds).
  const ready = new Promise<void>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      created.off('message', onReady);
      created.off('error', reject);
      created.off('exit', onExit);
    };
    const onReady = (message: { ready?: boolean }): void => {
      if (message?.ready !== true) return;
      done();
      resolve();
    };
    const onExit = (code: number): void => {
      done();
      reject(new Error(`the reader stopped with code ${code} while starting`));
    };
    const timer = setTimeout(() => {
      done();
      void created.terminate();
      reject(new Error(`the reader did not start within ${WORKER_START_MS / 1000} s`));
    }, WORKER_START_MS);
    created.on('message', onReady);
    created.once('error', (error) => {
      done();
      reject(error);
    });
    created.once('exit', onExit);
  });
  return { thread: created, ready };
}

/** How often the time limit of a read is checked. */
const TICK_MS = 250;

/** Wall time after which a read fails whatever the CPU time says: this many times the limit. */
const WALL_LIMIT_FACTOR = 20;

/**
 * A clock of reading time (ms): per tick, the process's CPU time since the last tick, at most the wall time that
 * passed (so never faster than wall time); past {@link WALL_LIMIT_FACTOR} times the limit in wall time it reports
 * infinity.
 */
function readingClock(limitMs: number): () => number {
  const start = performance.now();
  let wall = start;
  let cpu = process.cpuUsage();
  let total = 0;
  return () => {
    const now = performance.now();
    const used = process.cpuUsage(cpu);
    total += Math.min(now - wall, (used.user + used.system) / 1000);
    wall = now;
    cpu = process.cpuUsage();
    return now - start > WALL_LIMIT_FACTOR * limitMs ? Infinity : total;
  };
}

/** Longest time the reader's worker may take to start (not counted in a file's time limit). */
const WORKER_START_MS = 120_000;

async function readOnce<T>(kind: ReadKind, bytes: Uint8Array, fileName: string, timeoutMs: number): Promise<T> {
  const reader = worker ?? (worker = startWorker());
  const current = reader.thread;
  try {
    await reader.ready;
  } catch (error) {
    if (worker === reader) worker = null;
    void current.terminate();
    throw new WingbeatsError(
      'IO',
      `'${fileName}' could not be read: the HDF5 reader's worker failed to start (${(error as Error).message}).`,
      { cause: error },
    );
  }
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      clearInterval(timer);
      current.off('message', onMessage);
      current.off('error', onError);
      current.off('exit', onExit);
    };
    const fail = (message: string, cause?: unknown): void => {
      stop();
      if (worker === reader) worker = null;
      void current.terminate();
      reject(new WingbeatsError('INVALID_FILE', message, cause === undefined ? undefined : { cause }));
    };
    const onMessage = (reply: Reply<T>): void => {
      if (reply.id !== id) return;
      stop();
      if (reply.ok) resolve(reply.contents);
      else reject(new WingbeatsError((reply.code as WingbeatsErrorCode) ?? 'INVALID_FILE', reply.message));
    };
    const onError = (error: Error): void =>
      fail(`'${fileName}' could not be read as a Keras HDF5 file (${error.message}).`, error);
    const onExit = (code: number): void =>
      fail(`'${fileName}' could not be read as a Keras HDF5 file (the reader stopped with code ${code}).`);
    // The limit counts reading time, not waiting: each tick adds the process's CPU time (at most the wall time) since
    // the last, so a loaded machine that gives the reader a fraction of a core does not make a good file look damaged.
    const clock = readingClock(timeoutMs);
    const timer = setInterval(() => {
      if (clock() >= timeoutMs)
        fail(`'${fileName}' could not be read as HDF5 within ${timeoutMs / 1000} s of reading; the file is damaged.`);
    }, TICK_MS);
    current.on('message', onMessage);
    current.once('error', onError);
    current.once('exit', onExit);
    current.postMessage({ id, bytes, fileName, kind });
  });
}

/**
 * Reads a Keras HDF5 file like `readKerasH5`, in a worker thread that is stopped after `timeoutMs`.
 *
 * @param bytes - The file's bytes.
 * @param fileName - For messages.
 * @param timeoutMs - Time limit (default {@link H5_READ_TIMEOUT_MS}).
 * @returns The file's {@link KerasH5Contents}.
 * @throws WingbeatsError as `readKerasH5`, or `INVALID_FILE` when the read does not finish in time.
 * @example const contents = await readKerasH5Isolated(bytes, 'model.h5');
 */
export function readKerasH5Isolated(
  bytes: Uint8Array,
  fileName: string,
  timeoutMs = H5_READ_TIMEOUT_MS,
): Promise<KerasH5Contents> {
  return enqueue(() => readOnce<KerasH5Contents>('h5', bytes, fileName, timeoutMs));
}

function enqueue<T>(read: () => Promise<T>): Promise<T> {
  const result = queue.then(read);
  queue = result.catch(() => undefined);
  return result;
}

/**
 * Reads the `model.weights.h5` of a `.keras` archive like `readKerasVarsH5`, in the same worker and under the same
 * time limit as {@link readKerasH5Isolated} (a damaged file never freezes the main thread).
 *
 * @throws WingbeatsError as `readKerasVarsH5`, or `INVALID_FILE` when the read does not finish in time.
 * @example const variables = await readKerasVarsH5Isolated(bytes, 'model.keras/model.weights.h5');
 */
export function readKerasVarsH5Isolated(
  bytes: Uint8Array,
  fileName: string,
  timeoutMs = H5_READ_TIMEOUT_MS,
): Promise<Map<string, StoredWeight[]>> {
  return enqueue(() => readOnce<Map<string, StoredWeight[]>>('keras-vars', bytes, fileName, timeoutMs));
}
