/**
 * The ordered map of the library: a job's chunks (row tasks) run in the calling thread or on the model's worker
 * pool, and their results are consumed strictly in task order, so any reduction gives the same bits with 1 or N
 * workers. At most `workers` tasks are in flight or waiting to be consumed; the task producer is lazy, so memory
 * stays bounded for any job size.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import type { ComputeBackend, ExecutionSettings } from '../execution/execution-settings.js';
import { WingbeatsError } from '../util/errors.js';
import { RowResult, RowTask, executeRowTask } from './row-task.js';
import { serializeExecution } from './serial-execution.js';
import type { TaskAccelerator } from './task-accelerator.js';
import { type ModelWorkers, defaultWorkerCount, poolStartMs, workerPlatform } from './worker-pool.js';

/**
 * What a job may run on besides the calling thread: the worker pool and the engine runners of its session (a
 * `Session` is one). A job without one runs every task in the calling thread on TensorFlow.js.
 */
export interface JobSession {
  /** The session's worker pool. */
  readonly workerPool: ModelWorkers;
  /** The runner the session resolved for engine `backend` with `threads` threads, if it has one. */
  accelerator(backend: ComputeBackend, threads: number | undefined): TaskAccelerator | undefined;
}

/** A task as its producer makes it: the head, scores and execution settings are the job's (see {@link RowJob}). */
export type RowTaskInput = Omit<RowTask, 'outputIndex' | 'scores' | 'execution'>;

/** A job: its model, head, scores and execution settings, how many tasks it has, and where the results go. */
export interface RowJob {
  model: ExplainableModel;
  /** The session whose worker pool and engine the job may use (absent: the calling thread, TensorFlow.js). */
  session: JobSession | undefined;
  outputIndex: number;
  scores: ScoreKind;
  execution: ExecutionSettings;
  /** Number of tasks the producer yields. */
  taskCount: number;
  /** The tasks, produced lazily (a generator). */
  tasks: Iterable<RowTaskInput>;
  /** Receives task k's result, for k = 0, 1, ... in order. */
  consume: (index: number, result: RowResult) => void;
}

/** The model, head, scores and execution settings of a job, taken from a request or a method's context. */
export function jobSettings(request: {
  model: ExplainableModel;
  session: JobSession | undefined;
  outputIndex: number;
  scores: ScoreKind;
  execution?: ExecutionSettings;
}): Pick<RowJob, 'model' | 'session' | 'outputIndex' | 'scores' | 'execution'> {
  return {
    model: request.model,
    session: request.session,
    outputIndex: request.outputIndex,
    scores: request.scores,
    execution: request.execution ?? {},
  };
}

/** Options of {@link runRowTasks}. */
export interface RowTaskOptions {
  /** Worker threads to use (default: the number of cores; 1 = always in the calling thread). */
  workers?: number;
  /** Stops the job between tasks (rejects with WingbeatsError ABORTED). */
  signal?: AbortSignal;
}

/** Where a job ran (for tests and benchmarks). */
export interface RowJobReport {
  /** Tasks run in the calling thread. */
  inline: number;
  /** Tasks run on the worker pool. */
  pooled: number;
  /** Tasks run by the model's task accelerator (`execution.backend`); absent when none ran there. */
  accelerated?: number;
}

/**
 * Accelerated tasks in flight at once: the next chunk is produced while the accelerator computes the current ones (an
 * accelerator with worker threads, such as the ONNX session pool, runs two side by side).
 */
export const ACCELERATED_IN_FLIGHT = 3;

/**
 * Runs a job's tasks and hands each result to `job.consume` in task order.
 *
 * Where tasks run (the numbers are the same either way — one executor, same chunks, ordered reduction): in the
 * calling thread when `workers` ≤ 1, when no worker platform is registered, when the job has fewer than 2 tasks, when
 * the model cannot be snapshotted (function models) or its execution settings cannot cross threads (a layer hook, an
 * unregistered rule). Otherwise, when the model's pool is already running, every task goes to the pool; when it is
 * not, the first task runs in the calling thread and is timed, and the pool is started only if the remaining tasks
 * are expected to take longer, spread over the workers, than starting the pool (`poolStartMs()`: the platform's
 * estimate), so small jobs never pay for starting workers. The pool is the session's (`job.session`; without a
 * session every task runs in the calling thread). When `job.execution.backend` names an engine whose runner the
 * session resolved (see `registerEngine`) and it accepts the first task, every task goes to it instead (a task it
 * refuses runs in the calling thread), ≤ {@link ACCELERATED_IN_FLIGHT} at a time, consumed in order.
 *
 * @throws WingbeatsError ABORTED when `signal` fires; WORKER_FAILED when a worker crashes; whatever a task throws.
 *   No task is left running and no result is kept after a rejection.
 * @example await runRowTasks({ model, outputIndex, scores, execution, taskCount, tasks, consume }, { workers: 2 });
 */
export async function runRowTasks(job: RowJob, options: RowTaskOptions = {}): Promise<RowJobReport> {
  const workers = options.workers ?? defaultWorkerCount();
  const serial = serializeExecution(job.execution);
  const full = (input: RowTaskInput): RowTask => ({
    ...input,
    outputIndex: job.outputIndex,
    scores: job.scores,
    execution: serial ?? { rules: [] },
  });
  const iterator = job.tasks[Symbol.iterator]();
  const report: RowJobReport = { inline: 0, pooled: 0 };
  const backend = tf.getBackend();
  const engine = job.execution.backend;
  const accelerator =
    serial === undefined || engine === undefined || engine === 'tfjs'
      ? undefined
      : job.session?.accelerator(engine, options.workers);
  if (accelerator !== undefined) {
    const first = iterator.next();
    if (first.done === true) return report;
    const rest = prepend(first.value, iterator);
    if (accelerator.accepts(full(first.value))) {
      await runAccelerated(accelerator, job, rest, full, report, options.signal);
      return report;
    }
    return runRowTasks(
      { ...job, execution: { ...job.execution, backend: 'tfjs' }, tasks: { [Symbol.iterator]: () => rest } },
      options,
    );
  }
  let index = 0;
  const runInline = (): boolean => {
    checkAborted(options.signal);
    const next = iterator.next();
    if (next.done === true) return false;
    const result = executeRowTask(job.model, full(next.value), job.execution);
    report.inline++;
    job.consume(index++, result);
    return true;
  };
  const inlineRest = (): RowJobReport => {
    while (runInline());
    return report;
  };
  const pools = job.session?.workerPool;
  const eligible =
    pools !== undefined &&
    workers > 1 &&
    job.taskCount > 1 &&
    serial !== undefined &&
    workerPlatform() !== null &&
    job.model.layersModel !== null;
  if (!eligible) return inlineRest();
  // A running pool is used at once, unless the model's weights changed since it started (then it is replaced).
  let pool = pools.running(1, backend, true);
  if (pool === undefined) {
    const started = performance.now();
    if (!runInline()) return report;
    const expected = (performance.now() - started) * (job.taskCount - 1);
    if (expected / workers < poolStartMs()) return inlineRest();
    pool = pools.acquire(workers, backend);
    if (pool === undefined) return inlineRest();
  }
  await runOrdered(
    pool.run.bind(pool),
    iterator,
    index,
    workers,
    (k, result) => {
      report.pooled++;
      job.execution.engineRecord?.ran.add('tfjs');
      job.consume(k, result);
    },
    full,
    options.signal,
  );
  return report;
}

/** Sends the tasks to `accelerator` (refused ones run in this thread), ≤ ACCELERATED_IN_FLIGHT in flight, in order. */
async function runAccelerated(
  accelerator: TaskAccelerator,
  job: RowJob,
  iterator: Iterator<RowTaskInput>,
  full: (input: RowTaskInput) => RowTask,
  report: RowJobReport,
  signal: AbortSignal | undefined,
): Promise<void> {
  report.accelerated = 0;
  const run = async (task: RowTask): Promise<RowResult> => {
    if (accelerator.accepts(task)) {
      report.accelerated = (report.accelerated ?? 0) + 1;
      job.execution.engineRecord?.ran.add(job.execution.backend ?? 'onnx');
      return accelerator.run(task);
    }
    report.inline++;
    return executeRowTask(job.model, task, job.execution);
  };
  await runOrdered(run, iterator, 0, ACCELERATED_IN_FLIGHT, job.consume, full, signal);
}

/** `first`, then the rest of `iterator`. */
function prepend<T>(first: T, iterator: Iterator<T>): Iterator<T> {
  let taken = false;
  return {
    next: () => {
      if (taken) return iterator.next();
      taken = true;
      return { done: false, value: first };
    },
  };
}

/** Keeps ≤ `width` tasks in flight and consumes results in order; on failure waits for the flight to land. */
async function runOrdered(
  run: (task: RowTask) => Promise<RowResult>,
  iterator: Iterator<RowTaskInput>,
  firstIndex: number,
  width: number,
  consume: (index: number, result: RowResult) => void,
  full: (input: RowTaskInput) => RowTask,
  signal: AbortSignal | undefined,
): Promise<void> {
  const inFlight = new Map<number, Promise<RowResult>>();
  let launched = firstIndex;
  let exhausted = false;
  const launch = (): void => {
    while (!exhausted && inFlight.size < width) {
      checkAborted(signal);
      const next = iterator.next();
      if (next.done === true) {
        exhausted = true;
        return;
      }
      const promise = run(full(next.value));
      promise.catch(() => undefined); // awaited in order below; this only silences early rejections
      inFlight.set(launched++, promise);
    }
  };
  try {
    launch();
    for (let k = firstIndex; inFlight.has(k); k++) {
      const result = await (inFlight.get(k) as Promise<RowResult>);
      inFlight.delete(k);
      consume(k, result);
      launch();
    }
  } finally {
    if (inFlight.size > 0) await Promise.allSettled(inFlight.values());
  }
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new WingbeatsError('ABORTED', 'The job was stopped (its AbortSignal fired).');
}
