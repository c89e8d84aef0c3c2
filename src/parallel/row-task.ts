/**
 * Row tasks: one chunk of a job (rows of inputs, path points, noisy copies, samples...) in a form that can cross
 * threads, and the registry of task kinds. The library's kinds are written ONCE on the host over the engine primitives
 * ({@link HostTaskKind}: a plan of one pass, src/engine/engine-primitives.ts), run on TensorFlow.js in the calling
 * thread (workers = 1, small jobs) and in every worker, and on any other engine through its primitives, so the numbers
 * cannot depend on where a task ran. A kind may also be a plain TensorFlow.js executor (tests, worker probes).
 */
import * as tf from '@tensorflow/tfjs';
import type { ExplainableModel, ScoreKind } from '../execution/explainable-model.js';
import type { ExecutionSettings } from '../execution/execution-settings.js';
import { tfjsPrimitives } from '../engine/tfjs-primitives.js';
import { guidedRelu } from '../rules/guided-relu.js';
import { type Propagation, type RowTaskPlan, type TaskArray, runPlanSync } from '../engine/engine-primitives.js';
import { WingbeatsError } from '../util/errors.js';
import { SerialExecution, deserializeExecution } from './serial-execution.js';

export type { TaskArray } from '../engine/engine-primitives.js';

/** One chunk of work for a model. Every field is structured-clone-able; typed arrays are transferred. */
export interface RowTask {
  /** A registered kind (`'gradients'`, `'scores'`, `'integrated-gradients'`, ...). */
  kind: string;
  /** Head index. */
  outputIndex: number;
  scores: ScoreKind;
  execution: SerialExecution;
  /** The task's arrays (rows of inputs, baselines, ...). */
  arrays: Record<string, TaskArray>;
  /** The task's number lists (targets per row, alphas, weights, seeds, ...). */
  numbers: Record<string, number[]>;
}

/** What a task returns: one float32 array and its shape. */
export interface RowResult extends TaskArray {
  /** `tf.memory().numTensors` of the thread that ran the task, after it finished (leak checks of workers). */
  tensors: number;
  /** Id of the worker that ran the task (set by worker pools). */
  worker?: number;
}

/** What an executor receives besides the task: its execution settings, rebuilt. */
export interface RowTaskContext {
  model: ExplainableModel;
  execution: ExecutionSettings;
}

/** Runs one task of a kind on a model and returns its array (must free every tensor it makes). */
export type RowTaskExecutor = (task: RowTask, context: RowTaskContext) => TaskArray;

/**
 * A task kind written once on the host: `plan` forms the task's one pass over the engine primitives and its result
 * from the pass's output. Every engine runs it (TensorFlow.js here and in workers, ONNX Runtime's runner).
 */
export interface HostTaskKind {
  plan(task: RowTask): RowTaskPlan;
  /** The propagation of the task's pass, read without planning it (default {@link rulesPropagation}). */
  propagation?(task: RowTask): Propagation;
  /** The pass draws its keep-masks from the task's own row seeds, in place of any call-wide dropout. */
  rowSeededDropout?: boolean;
}

const executors = new Map<string, RowTaskExecutor | HostTaskKind>();

/**
 * Registers a task kind (at module level, so that every thread importing the library knows it): a
 * {@link HostTaskKind} (runs on every engine) or a TensorFlow.js executor (runs on TensorFlow.js only).
 * Registering a different one under a taken kind throws.
 */
export function registerRowTaskKind(kind: string, executor: RowTaskExecutor | HostTaskKind): void {
  const known = executors.get(kind);
  if (known !== undefined && known !== executor)
    throw new WingbeatsError('INVALID_ARGUMENT', `A different executor of row tasks '${kind}' is registered already.`);
  executors.set(kind, executor);
}

/** Whether a task kind is registered. */
export function hasRowTaskKind(kind: string): boolean {
  return executors.has(kind);
}

/** The host implementation of a kind, or `undefined` for an unknown kind or a TensorFlow.js-only executor. */
export function hostTaskKind(kind: string): HostTaskKind | undefined {
  const known = executors.get(kind);
  return typeof known === 'object' ? known : undefined;
}

/** The kinds written on the host over the engine primitives (every engine runs them), in registration order. */
export function hostTaskKinds(): string[] {
  return [...executors].filter(([, e]) => typeof e === 'object').map(([kind]) => kind);
}

/**
 * The propagation of a task's plain gradient passes, from its serial rules: guided ReLU when it is the first rule,
 * else plain (an engine that takes no other rules refuses tasks with others before it plans them).
 */
export function rulesPropagation(task: RowTask): Propagation {
  return { kind: task.execution.rules[0] === guidedRelu.name ? 'guided' : 'plain' };
}

/** The propagation of a task's pass, as its kind declares it (see {@link HostTaskKind.propagation}). */
export function taskPropagation(task: RowTask): Propagation {
  return hostTaskKind(task.kind)?.propagation?.(task) ?? rulesPropagation(task);
}

/**
 * Executes one task on `model` in this thread: the same function the workers run. `execution` (default: the task's
 * serial settings, rebuilt) lets the calling thread pass settings that cannot cross threads. No tensor outlives the call, also
 * when the executor throws (executors run in `tf.tidy` and differentiate with `safeGrad`).
 * @throws WingbeatsError INVALID_ARGUMENT for an unknown kind; whatever the executor throws.
 */
export function executeRowTask(model: ExplainableModel, task: RowTask, execution?: ExecutionSettings): RowResult {
  const executor = executors.get(task.kind);
  if (executor === undefined)
    throw new WingbeatsError('INVALID_ARGUMENT', `No executor of row tasks '${task.kind}' is registered.`);
  const context = { model, execution: execution ?? deserializeExecution(task.execution) };
  const { data, shape } =
    typeof executor === 'function'
      ? executor(task, context)
      : runPlanSync(
          executor.plan(task),
          tfjsPrimitives({ ...context, outputIndex: task.outputIndex, scores: task.scores }),
        );
  return { data, shape, tensors: tf.memory().numTensors };
}

/** A task's array as a tensor (owned by the caller or the enclosing tidy). */
export function taskTensor(array: TaskArray): tf.Tensor {
  return tf.tensor(array.data, array.shape, 'float32');
}

/** Runs `compute` in `tf.tidy` and returns its tensor's values as a task array (every tensor freed). */
export function tidyArray(compute: () => tf.Tensor): TaskArray {
  const tensor = tf.tidy(compute);
  try {
    return { data: tensor.dataSync() as Float32Array, shape: tensor.shape.slice() };
  } finally {
    tensor.dispose();
  }
}

/** The rows of a batch tensor read once, for cutting into task arrays (see {@link rowsOf}). */
export interface BatchRows {
  data: Float32Array;
  /** Shape of one row (without the batch axis). */
  rowShape: number[];
  /** Values per row. */
  rowSize: number;
}

/** Reads a `[batch, ...]` tensor's values once (does not free it). */
export function batchRows(x: tf.Tensor): BatchRows {
  const rowShape = x.shape.slice(1);
  return { data: x.dataSync() as Float32Array, rowShape, rowSize: rowShape.reduce((a, b) => a * b, 1) };
}

/** Rows [start, end) of a batch as a task array (a copy, so it can be transferred). */
export function rowsOf(batch: BatchRows, start: number, end: number): TaskArray {
  return {
    data: batch.data.slice(start * batch.rowSize, end * batch.rowSize),
    shape: [end - start, ...batch.rowShape],
  };
}
