/**
 * Worker-thread entry of {@link readKerasH5Isolated} (and of the weights file of a `.keras` archive): reads Keras HDF5
 * files with h5wasm, one request at a time, and
 * posts their contents back (Node only). Runs apart from the main thread so that a damaged file on which libhdf5 loops
 * can be stopped by terminating the worker.
 */
import { parentPort } from 'node:worker_threads';
import { readKerasH5, readKerasVarsH5, type StoredWeight } from '../models/hdf5.js';

/** The weight buffers of a reply, moved rather than copied. */
function buffers(weights: Map<string, StoredWeight[]>): ArrayBuffer[] {
  return [...new Set([...weights.values()].flatMap((list) => list.map((w) => w.values.buffer as ArrayBuffer)))];
}

parentPort?.on(
  'message',
  (request: { id: number; bytes: Uint8Array; fileName: string; kind?: 'h5' | 'keras-vars' }) => {
    const read =
      request.kind === 'keras-vars'
        ? readKerasVarsH5(request.bytes, request.fileName).then((weights) => ({ contents: weights, weights }))
        : readKerasH5(request.bytes, request.fileName).then((contents) => ({ contents, weights: contents.weights }));
    read.then(
      ({ contents, weights }) => parentPort?.postMessage({ id: request.id, ok: true, contents }, buffers(weights)),
      (error: unknown) => {
        const { code, message } = error as { code?: string; message?: string };
        parentPort?.postMessage({ id: request.id, ok: false, code, message: message ?? String(error) });
      },
    );
  },
);

// Loaded: the caller's time limit for the first file starts now.
parentPort?.postMessage({ ready: true });
