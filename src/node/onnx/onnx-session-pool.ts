/**
 * Node only: worker threads that each hold their own onnxruntime-node sessions of the same graphs (one intra-op
 * thread each, as in the calling thread) and take whole runs — both cores for models whose kernels are too small for
 * onnxruntime's own intra-op threads, when a job keeps several runs in flight. A run computes the same numbers in
 * any thread. Idle workers never keep the process alive; a worker that crashes fails its run with one WORKER_FAILED
 * line and is replaced.
 */
import type { Piscina } from 'piscina';
import { WingbeatsError } from '../../util/errors.js';
import { startWorkerThreads } from '../parallel/thread-pool.js';
import type { OnnxWorkerData, OnnxWorkerTask } from './onnx-session-worker.js';
import type { RowArray } from './ort.js';

/** The pool of one compiled model's graphs. */
export class OnnxSessionPool {
  /** Worker threads. */
  readonly size: number;
  private readonly piscina: Piscina;
  private readonly started: Promise<void>;
  private readyNow = false;

  private constructor(graphs: Uint8Array[], size: number) {
    this.size = size;
    const workerData: OnnxWorkerData = { graphs };
    this.piscina = startWorkerThreads(import.meta.url, 'onnx-session-worker', size, workerData);
    // One empty run per worker: resolves when the workers have opened their sessions.
    this.started = Promise.all(Array.from({ length: size }, () => this.piscina.run({ graph: -1, feeds: {} }))).then(
      () => {
        this.readyNow = true;
      },
    );
    this.started.catch(() => undefined);
  }

  /**
   * Starts `size` workers with sessions of `graphs` (in the background: check {@link ready} before {@link run}).
   * @example const pool = OnnxSessionPool.start([gradientGraph, forwardGraph], 2);
   */
  static start(graphs: Uint8Array[], size: number): OnnxSessionPool {
    return new OnnxSessionPool(graphs, size);
  }

  /** Whether every worker has its sessions open. */
  get ready(): boolean {
    return this.readyNow;
  }

  /** Resolves when {@link ready}; rejects when the workers could not start. */
  whenReady(): Promise<void> {
    return this.started;
  }

  /**
   * Runs graph `graph` (its index in the graphs the pool started with) on `feeds` in the next idle worker.
   *
   * @throws WingbeatsError WORKER_FAILED when the worker fails.
   */
  async run(graph: number, feeds: Record<string, RowArray>): Promise<Record<string, Float32Array>> {
    try {
      return (await this.piscina.run({ graph, feeds } satisfies OnnxWorkerTask)) as Record<string, Float32Array>;
    } catch (error) {
      throw new WingbeatsError(
        'WORKER_FAILED',
        `An ONNX worker thread failed: ${(error as Error).message.replace(/\.$/, '')}; run the call again, or use workers: 1.`,
        { cause: error },
      );
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
