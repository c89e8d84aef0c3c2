/**
 * Worker-thread entry of {@link readKerasH5Isolated}: reads Keras HDF5 files with h5wasm, one request at a time, and
 * posts their contents back (Node only). Runs apart from the main thread so that a damaged file on which libhdf5 loops
 * can be stopped by terminating the worker.
 */
import { parentPort } from 'node:worker_threads';
import { readKerasH5 } from '../models/hdf5.js';

parentPort?.on('message', (request: { id: number; bytes: Uint8Array; fileName: string }) => {
  readKerasH5(request.bytes, request.fileName).then(
    (contents) => {
      const buffers = [...contents.weights.values()].flatMap((list) => list.map((w) => w.values.buffer as ArrayBuffer));
      parentPort?.postMessage({ id: request.id, ok: true, contents }, [...new Set(buffers)]);
    },
    (error: unknown) => {
      const { code, message } = error as { code?: string; message?: string };
      parentPort?.postMessage({ id: request.id, ok: false, code, message: message ?? String(error) });
    },
  );
});
