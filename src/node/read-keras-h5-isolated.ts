/**
 * Reading a Keras HDF5 file in a worker thread with a time limit (Node only). libhdf5 can loop forever on some
 * damaged files (a corrupted global heap behind a string attribute, found by fuzzing); in a worker such a read is
 * stopped after the limit and reported as one clean error instead of hanging the command.
 */
import { Worker } from 'node:worker_threads';
import { WingbeatsError, type WingbeatsErrorCode } from '../util/errors.js';
import type { KerasH5Contents } from '../models/hdf5.js';

/** Longest time a Keras HDF5 file may take to read (real files take well under a second). */
export const H5_READ_TIMEOUT_MS = 15_000;

/**
 * Reads a Keras HDF5 file like `readKerasH5`, in a worker thread that is terminated after `timeoutMs`.
 *
 * @param bytes - The file's bytes.
 * @param fileName - For messages.
 * @param timeoutMs - Time limit (default {@link H5_READ_TIMEOUT_MS}).
 * @returns The file's {@link KerasH5Contents}.
 * @throws WingbeatsError as `readKerasH5`, or `INVALID_FILE` when the read does not finish in time.
 * @example const contents = await readKerasH5Isolated(bytes, 'model.h5');
 */
export function readKerasH5Isolated(bytes: Uint8Array, fileName: string, timeoutMs = H5_READ_TIMEOUT_MS): Promise<KerasH5Contents> {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./keras-h5-worker.${source ? 'ts' : 'js'}`, import.meta.url);
  // From the TypeScript sources (a checkout) the worker first registers tsx, which workers do not inherit.
  const script = source
    ? `(async () => { (await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).register(); await import(${JSON.stringify(entry.href)}); })();`
    : undefined;
  return new Promise((resolve, reject) => {
    const worker = script === undefined ? new Worker(entry, { workerData: { bytes, fileName } }) : new Worker(script, { eval: true, workerData: { bytes, fileName } });
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(() => {
      settle(() => reject(new WingbeatsError('INVALID_FILE', `'${fileName}' could not be read as HDF5 within ${timeoutMs / 1000} s; the file is damaged.`)));
    }, timeoutMs);
    worker.once('message', (message: { ok: true; contents: KerasH5Contents } | { ok: false; code?: string; message: string }) => {
      settle(() => (message.ok ? resolve(message.contents) : reject(new WingbeatsError((message.code as WingbeatsErrorCode) ?? 'INVALID_FILE', message.message))));
    });
    worker.once('error', (error) => {
      settle(() => reject(new WingbeatsError('INVALID_FILE', `'${fileName}' could not be read as a Keras HDF5 file (${error.message}).`, { cause: error })));
    });
    worker.once('exit', (code) => {
      settle(() => reject(new WingbeatsError('INVALID_FILE', `'${fileName}' could not be read as a Keras HDF5 file (the reader stopped with code ${code}).`)));
    });
  });
}
