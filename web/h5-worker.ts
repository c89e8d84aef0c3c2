/**
 * The page's HDF5 worker (a module Web Worker, bundled as h5-worker.js): reads a Keras `.h5` file or the
 * `model.weights.h5` of a `.keras` archive with h5wasm, one request at a time, and posts the contents back. The reading
 * runs here rather than on the page's thread, so a damaged file on which libhdf5 loops can be stopped by terminating
 * the worker (see web/h5-in-worker.ts) while the page stays responsive.
 */
import { readKerasH5, readKerasVarsH5, type StoredWeight } from '../src/models/hdf5.js';

/** A request of web/h5-in-worker.ts. */
export interface H5Request {
  id: number;
  kind: 'h5' | 'keras-vars';
  bytes: Uint8Array;
  fileName: string;
}

/** The reply to an {@link H5Request}: the contents, or the error's code and one-line message. */
export type H5Reply =
  | { ready: true }
  | { id: number; ok: true; contents: unknown }
  | { id: number; ok: false; code?: string; message: string };

/** The scope of a module worker, as far as this file uses it (the DOM lib types `self` as a Window). */
interface Scope {
  onmessage: ((event: MessageEvent<H5Request>) => void) | null;
  postMessage(message: H5Reply, transfer?: Transferable[]): void;
}

const scope = self as unknown as Scope;

/** The weight buffers of a reply, moved rather than copied. */
function buffers(weights: Map<string, StoredWeight[]>): ArrayBuffer[] {
  return [...new Set([...weights.values()].flatMap((list) => list.map((w) => w.values.buffer as ArrayBuffer)))];
}

scope.onmessage = (event) => {
  const request = event.data;
  const read =
    request.kind === 'keras-vars'
      ? readKerasVarsH5(request.bytes, request.fileName).then((weights) => ({ contents: weights, weights }))
      : readKerasH5(request.bytes, request.fileName).then((contents) => ({ contents, weights: contents.weights }));
  read.then(
    ({ contents, weights }) => scope.postMessage({ id: request.id, ok: true, contents }, buffers(weights)),
    (error: unknown) => {
      const { code, message } = error as { code?: string; message?: string };
      scope.postMessage({ id: request.id, ok: false, code, message: message ?? String(error) });
    },
  );
};

// Loaded: the page's time limit for the first file starts now.
scope.postMessage({ ready: true });
