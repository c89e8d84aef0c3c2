/**
 * Task accelerators: another engine (e.g. onnxruntime-node, registered from Node code) that runs some of a model's
 * row tasks, giving the array the TensorFlow.js executor of the task's kind gives (to float32 rounding). A session
 * holds the one its engine made for its model (see `registerEngine`); `runRowTasks` sends a job to it when the job's
 * `execution.backend` names an engine and it accepts the tasks.
 */
import type { RowResult, RowTask } from './row-task.js';

/** Runs row tasks outside TensorFlow.js. `run` may work off the JS thread: several runs can be in flight. */
export interface TaskAccelerator {
  /** Whether {@link run} computes `task` (its kind, head, rules and dropout). */
  accepts(task: RowTask): boolean;
  /** The task's result, shaped as its TensorFlow.js executor shapes it. */
  run(task: RowTask): Promise<RowResult>;
}
