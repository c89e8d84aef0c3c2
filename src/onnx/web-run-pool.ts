/**
 * The browser page's run pool (`OnnxRunPool`, src/onnx/runtime.ts): Web Workers that each load their own
 * onnxruntime-web (one thread) and sessions of the same graphs, and take whole runs while the page's thread runs
 * another. onnxruntime-web's own threads split every kernel between them and wait for each other at every op, and
 * exist only where the page is cross-origin isolated; whole runs side by side need neither, so a job of several runs
 * (the two halves of 50-step integrated gradients) uses every core on any page. A run computes the same numbers in
 * any worker. The worker's side is {@link serveOnnxRuns} (the page's `ort-worker` bundle calls it).
 */
import { WingbeatsError } from '../util/errors.js';
import { graphSessionOptions } from './graph-optimization.js';
import { runOrtSession, type OnnxRunPool, type OrtSession, type OrtWebModule, type RowArray } from './runtime.js';

/**
 * Session options of the page's sessions (its own thread's and the pool workers'): the wasm execution provider,
 * sequential, and the options that depend on the graph ({@link graphSessionOptions}: no graph optimisation for a
 * recurrent or very large graph, no memory pattern for a recurrent one).
 */
export const webSessionOptions = (graph: Uint8Array): Record<string, unknown> => ({
  executionProviders: ['wasm'],
  executionMode: 'sequential',
  ...graphSessionOptions(graph),
});

/** The part of a `Worker` (or its global scope, seen from inside) the pool talks through. */
export interface RunPoolPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/** A worker of the pool, seen from the page (a `Worker`): its messages, its failure to start, how to stop it. */
export interface RunPoolWorker {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}

/** The first message to a worker: where onnxruntime-web's wasm files are, and the graphs to open. */
export interface RunPoolStart {
  wasmPaths: string;
  graphs: Uint8Array[];
}

/** One run: the feeds of graph `graph`. */
export interface RunPoolTask {
  id: number;
  graph: number;
  feeds: Record<string, RowArray>;
}

/** A worker's answer to the start (`id` −1) or to a run. */
export type RunPoolReply =
  { id: number; ok: true; outputs: Record<string, Float32Array> } | { id: number; ok: false; message: string };

/**
 * The worker's side of the pool: on the first message ({@link RunPoolStart}) loads `ort` with one thread and opens a
 * session per graph (as the page's runtime opens them), then answers every {@link RunPoolTask} with the run's outputs
 * (their buffers transferred), one run at a time.
 * @example serveOnnxRuns(ort, self); // in the worker bundle, after `import * as ort from 'onnxruntime-web/wasm'`
 */
export function serveOnnxRuns(ort: OrtWebModule, scope: RunPoolPort): void {
  let opened: Promise<OrtSession[]> | undefined;
  const reply = (message: RunPoolReply): void => {
    const transfer = message.ok ? Object.values(message.outputs).map((o) => o.buffer as ArrayBuffer) : [];
    scope.postMessage(message, transfer);
  };
  const fail = (id: number) => (error: unknown) =>
    reply({ id, ok: false, message: String((error as Error)?.message ?? error) });
  scope.addEventListener('message', ({ data }) => {
    if (opened === undefined) {
      const start = data as RunPoolStart;
      opened = (async () => {
        ort.env.wasm.wasmPaths = start.wasmPaths;
        ort.env.wasm.numThreads = 1;
        ort.env.wasm.proxy = false;
        const sessions: OrtSession[] = [];
        for (const graph of start.graphs)
          sessions.push(await ort.InferenceSession.create(graph, webSessionOptions(graph)));
        return sessions;
      })();
      opened.then(() => reply({ id: -1, ok: true, outputs: {} }), fail(-1));
      return;
    }
    const task = data as RunPoolTask;
    opened
      .then((sessions) => {
        const session = sessions[task.graph];
        if (session === undefined) throw new Error(`no graph ${task.graph} (the pool has ${sessions.length})`);
        // copies: the worker's outputs are its own, free to transfer
        return runOrtSession(ort.Tensor, session, task.feeds);
      })
      .then((outputs) => reply({ id: task.id, ok: true, outputs }), fail(task.id));
  });
}

function failure(error: unknown): WingbeatsError {
  const message = error instanceof Error ? error.message : String(error);
  return new WingbeatsError(
    'WORKER_FAILED',
    `An ONNX Runtime Web worker failed: ${message.replace(/\.$/, '')}; run the call again, or use workers: 1.`,
    { cause: error },
  );
}

interface Member {
  worker: RunPoolWorker;
  ready: Promise<void>;
  /** The run in flight (its id and how to settle it), or undefined when idle. */
  busy: { id: number; resolve: (o: Record<string, Float32Array>) => void; reject: (e: Error) => void } | undefined;
}

/**
 * Starts `size` workers from `startWorker` that each open sessions of `graphs` (in the background: see
 * {@link OnnxRunPool.ready}); a run goes to an idle worker, or waits for one.
 * @example const pool = startWebRunPool(graphs, 1, () => new Worker(url, { type: 'module' }), wasmPaths);
 */
export function startWebRunPool(
  graphs: Uint8Array[],
  size: number,
  startWorker: () => RunPoolWorker,
  wasmPaths: string,
): OnnxRunPool {
  const members: Member[] = [];
  const waiting: (() => void)[] = [];
  let closed = false;
  let readyNow = false;
  let nextId = 0;
  for (let i = 0; i < size; i++) {
    const worker = startWorker();
    const member: Member = { worker, ready: Promise.resolve(), busy: undefined };
    member.ready = new Promise<void>((resolve, reject) => {
      worker.addEventListener('message', ({ data }) => {
        const reply = data as RunPoolReply;
        if (reply.id === -1) {
          if (reply.ok) resolve();
          else reject(new Error(reply.message));
          return;
        }
        const busy = member.busy;
        if (busy === undefined || busy.id !== reply.id) return;
        member.busy = undefined;
        waiting.shift()?.();
        if (reply.ok) busy.resolve(reply.outputs);
        else busy.reject(failure(new Error(reply.message)));
      });
      worker.addEventListener('error', (event) => {
        const error = new Error(event.message ?? 'the worker could not start');
        reject(error);
        member.busy?.reject(failure(error));
        member.busy = undefined;
      });
    });
    member.ready.catch(() => undefined);
    // copies of the graphs: each worker keeps its own
    worker.postMessage({ wasmPaths, graphs: graphs.map((g) => g.slice()) } satisfies RunPoolStart);
    members.push(member);
  }
  const started = Promise.all(members.map((m) => m.ready)).then(() => {
    readyNow = true;
  });
  started.catch(() => undefined);
  return {
    size,
    get ready() {
      return readyNow;
    },
    whenReady: () => started,
    async run(graph, feeds) {
      for (;;) {
        if (closed) throw failure(new Error('the pool is closed'));
        const member = members.find((m) => m.busy === undefined);
        if (member !== undefined) {
          const id = nextId++;
          return new Promise<Record<string, Float32Array>>((resolve, reject) => {
            member.busy = { id, resolve, reject };
            member.ready.then(
              () => member.worker.postMessage({ id, graph, feeds } satisfies RunPoolTask),
              (error: unknown) => {
                member.busy = undefined;
                reject(failure(error));
              },
            );
          });
        }
        await new Promise<void>((wake) => waiting.push(wake));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const member of members) {
        member.busy?.reject(failure(new Error('the pool was closed')));
        member.busy = undefined;
        member.worker.terminate();
      }
      for (const wake of waiting.splice(0)) wake();
    },
  };
}
