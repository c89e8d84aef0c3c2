/**
 * Worker-thread entry of {@link readKerasH5Isolated}: reads one Keras HDF5 file with h5wasm and posts its contents
 * back (Node only). Runs apart from the main thread so that a damaged file on which libhdf5 loops can be stopped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readKerasH5 } from '../models/hdf5.js';

const { bytes, fileName } = workerData as { bytes: Uint8Array; fileName: string };
readKerasH5(bytes, fileName).then(
  (contents) => {
    const buffers = [...contents.weights.values()].flatMap((list) => list.map((w) => w.values.buffer as ArrayBuffer));
    parentPort?.postMessage({ ok: true, contents }, [...new Set(buffers)]);
  },
  (error: unknown) => {
    const { code, message } = error as { code?: string; message?: string };
    parentPort?.postMessage({ ok: false, code, message: message ?? String(error) });
  },
);
