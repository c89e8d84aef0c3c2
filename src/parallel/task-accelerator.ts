/**
 * Task accelerators: another engine (e.g. onnxruntime-node, registered from Node code) that runs some of a model's
 * row tasks, giving the array the TensorFlow.js executor of the task's kind gives (to float32 rounding). One per model
 * and backend; `runRowTasks` sends a job to it when the job's `execution.backend` names it and it accepts the tasks.
 */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { ComputeBackend } from '../execution/execution-settings.js';
import type { RowResult, RowTask } from './row-task.js';

/** Runs row tasks outside TensorFlow.js. `run` may work off the JS thread: several runs can be in flight. */
export interface TaskAccelerator {
  /** Whether {@link run} computes `task` (its kind, head, rules and dropout). */
  accepts(task: RowTask): boolean;
  /** The task's result, shaped as its TensorFlow.js executor shapes it. */
  run(task: RowTask): Promise<RowResult>;
}

const accelerators = new WeakMap<ExplainableModel, Map<ComputeBackend, TaskAccelerator>>();

/** Sets (or, with `undefined`, removes) the accelerator of `model` for `backend`. */
export function setTaskAccelerator(
  model: ExplainableModel,
  backend: ComputeBackend,
  accelerator: TaskAccelerator | undefined,
): void {
  let byBackend = accelerators.get(model);
  if (byBackend === undefined) accelerators.set(model, (byBackend = new Map()));
  if (accelerator === undefined) byBackend.delete(backend);
  else byBackend.set(backend, accelerator);
}

/** The accelerator of `model` for `backend`, if one is set (never for `'tfjs'` or no backend). */
export function taskAccelerator(
  model: ExplainableModel,
  backend: ComputeBackend | undefined,
): TaskAccelerator | undefined {
  if (backend === undefined || backend === 'tfjs') return undefined;
  return accelerators.get(model)?.get(backend);
}
