/**
 * Grad-CAM on the engines: task kind `'grad-cam'` — the Grad-CAM maps of a chunk of rows from ONE layer-gradient
 * pass (the layer's activations and the gradient of each row's target score with respect to them,
 * src/engine/engine-primitives.ts), formed on the host with `gradCamMap`, so TensorFlow.js, its workers and ONNX
 * Runtime give the same maps to float32 rounding.
 */
import { type RowTask, registerRowTaskKind, taskTensor, tidyArray } from '../parallel/row-task.js';
import { registerSerialRule } from '../parallel/serial-execution.js';
import { type RowTaskPlan, layerOfNumbers } from '../engine/engine-primitives.js';
import { maxPoolFirstWinner } from '../rules/max-pool-first-winner.js';
import { WingbeatsError } from '../util/errors.js';
import { gradCamMap } from './grad-cam-map.js';

/**
 * Plan of `'grad-cam'`: `arrays.rows`, `numbers.targets` and `numbers.layer` (the layer's name, `layerNumbers`) →
 * the maps ReLU(Σ_c w_c A_c), `[rows, ...layer axes]`.
 */
export function gradCamTask(task: RowTask): RowTaskPlan {
  const layer = layerOfNumbers(task.numbers.layer);
  if (layer === undefined) throw new WingbeatsError('INVALID_ARGUMENT', "A 'grad-cam' task names no layer.");
  return {
    primitive: 'layer-gradients',
    pass: { rows: task.arrays.rows, layer, targets: task.numbers.targets },
    finish: ({ activations, gradient }) => tidyArray(() => gradCamMap(taskTensor(activations), taskTensor(gradient))),
  };
}

// Grad-CAM's tie rule crosses threads by name, so its tasks can run in workers and on other engines.
registerSerialRule(maxPoolFirstWinner);
registerRowTaskKind('grad-cam', { plan: gradCamTask });
