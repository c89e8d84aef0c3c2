/**
 * Reading Keras HDF5 files off the page's thread: the page's counterpart of src/node/read-keras-h5-isolated.ts. A `.h5`
 * file and the `model.weights.h5` of a `.keras` archive are read in a Web Worker (web/h5-worker.ts) under the time
 * limit Node uses; a read past it terminates the worker (a damaged file on which libhdf5 loops never freezes the tab)
 * and fails with one clean message. Reads run one at a time in one worker, which is replaced after a stopped read.
 */
import { H5_READ_TIMEOUT_MS, type KerasH5Contents, type StoredWeight } from '../src/models/hdf5.js';
import { WingbeatsError, type WingbeatsErrorCode } from '../src/util/errors.js';
import type { H5Reply, H5Request } from './h5-worker.js';

let worker: Worker | null = null;
let nextId = 0;
let queue: Promise<unknown> = Promise.resolve();

/** Longest time the worker may take to load (not counted in a file's time limit). */
const WORKER_START_MS = 60_000;
const ready = new WeakMap<Worker, Promise<void>>();

/** A new worker and, in {@link ready}, the promise that it has loaded. */
function startWorker(): Worker {
  const created = new Worker(new URL('./h5-worker.js', import.meta.url), { type: 'module', name: 'wingbeats-h5' });
  ready.set(
    created,
    new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        created.removeEventListener('message', onMessage);
        created.removeEventListener('error', onError);
      };
      const onMessage = (event: MessageEvent<H5Reply>): void => {
        if (!('ready' in event.data)) return;
        done();
        resolve();
      };
      const onError = (event: ErrorEvent): void => {
        event.preventDefault();
        done();
        reject(new Error(event.message || 'it could not be loaded'));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`it did not start within ${WORKER_START_MS / 1000} s`));
      }, WORKER_START_MS);
      created.addEventListener('message', onMessage);
      created.addEventListener('error', onError);
    }),
  );
  return created;
}

async function readOnce<T>(
  kind: H5Request['kind'],
  bytes: Uint8Array,
  fileName: string,
  timeoutMs: number,
): Promise<T> {
  const current = worker ?? (worker = startWorker());
  try {
    await ready.get(current);
  } catch (error) {
    if (worker === current) worker = null;
    current.terminate();
    throw new WingbeatsError(
      'IO',
      `'${fileName}' could not be read: the HDF5 reader's worker failed to start (${(error as Error).message}).`,
    );
  }
  const id = ++nextId;
  return new Promise<T>((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(timer);
      current.removeEventListener('message', onMessage);
      current.removeEventListener('error', onError);
    };
    const fail = (message: string): void => {
      stop();
      if (worker === current) worker = null;
      current.terminate();
      reject(new WingbeatsError('INVALID_FILE', message));
    };
    const onMessage = (event: MessageEvent<H5Reply>): void => {
      const reply = event.data;
      if ('ready' in reply || reply.id !== id) return;
      stop();
      if (reply.ok) resolve(reply.contents as T);
      else reject(new WingbeatsError((reply.code as WingbeatsErrorCode | undefined) ?? 'INVALID_FILE', reply.message));
    };
    const onError = (event: ErrorEvent): void => {
      event.preventDefault();
      fail(
        `'${fileName}' could not be read as a Keras HDF5 file (the reader failed: ${event.message || 'no reason given'}).`,
      );
    };
    const timer = setTimeout(
      () => fail(`'${fileName}' could not be read as HDF5 within ${timeoutMs / 1000} s; the file is damaged.`),
      timeoutMs,
    );
    current.addEventListener('message', onMessage);
    current.addEventListener('error', onError);
    // A copy goes to the worker: the caller's bytes stay usable.
    current.postMessage({ id, kind, bytes, fileName } satisfies H5Request);
  });
}

function enqueue<T>(read: () => Promise<T>): Promise<T> {
  const result = queue.then(read);
  queue = result.catch(() => undefined);
  return result;
}

/**
 * Reads a Keras `.h5` file like `readKerasH5`, in a Web Worker stopped after `timeoutMs`.
 *
 * @throws WingbeatsError as `readKerasH5`, or `INVALID_FILE` when the read does not finish in time.
 * @example const contents = await readKerasH5InWorker(bytes, 'model.h5');
 */
export function readKerasH5InWorker(
  bytes: Uint8Array,
  fileName: string,
  timeoutMs = H5_READ_TIMEOUT_MS,
): Promise<KerasH5Contents> {
  return enqueue(() => readOnce<KerasH5Contents>('h5', bytes, fileName, timeoutMs));
}

/**
 * Reads the `model.weights.h5` of a `.keras` archive like `readKerasVarsH5`, in the same worker and under the same
 * time limit as {@link readKerasH5InWorker}.
 *
 * @throws WingbeatsError as `readKerasVarsH5`, or `INVALID_FILE` when the read does not finish in time.
 * @example const variables = await readKerasVarsH5InWorker(bytes, 'model.keras/model.weights.h5');
 */
export function readKerasVarsH5InWorker(
  bytes: Uint8Array,
  fileName: string,
  timeoutMs = H5_READ_TIMEOUT_MS,
): Promise<Map<string, StoredWeight[]>> {
  return enqueue(() => readOnce<Map<string, StoredWeight[]>>('keras-vars', bytes, fileName, timeoutMs));
}
