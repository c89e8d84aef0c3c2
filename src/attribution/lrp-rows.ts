/**
 * LRP's pass as a row task, `'lrp'`: the relevance x ⊙ (gradient under the LRP composite) of a chunk of rows for their
 * targets, the composite's settings carried as numbers — written once over the engine primitives (the composite is a
 * propagation: TensorFlow.js rules, or op-gradient overrides on ONNX Runtime: src/onnx/rules/).
 */
import { RowTask, registerRowTaskKind } from '../parallel/row-task.js';
import { LRP_RULE_NAMES, LrpCompositeSettings } from '../rules/lrp-composite.js';
import type { Propagation, RowTaskPlan } from '../engine/engine-primitives.js';

/** The composite's settings as a task's number list (`numbers.settings`). */
export function lrpSettingsNumbers(settings: LrpCompositeSettings): number[] {
  const { rule, epsilon, gamma, alpha, beta, foldBatchNorm } = settings;
  return [LRP_RULE_NAMES.indexOf(rule), epsilon, gamma, alpha, beta, foldBatchNorm ? 1 : 0];
}

/** The composite's settings of an `'lrp'` task. */
export function lrpTaskSettings(task: RowTask): LrpCompositeSettings {
  const [rule, epsilon, gamma, alpha, beta, fold] = task.numbers.settings;
  return { rule: LRP_RULE_NAMES[rule], epsilon, gamma, alpha, beta, foldBatchNorm: fold === 1 };
}

/** Plan of `'lrp'`: `arrays.rows`, `numbers.targets` and `numbers.settings` → relevance x ⊙ gradient, shaped like the rows. */
export function lrpTask(task: RowTask): RowTaskPlan {
  const rows = task.arrays.rows;
  return {
    primitive: 'gradients',
    pass: {
      rows,
      output: { targets: task.numbers.targets },
      propagation: lrpPropagation(task),
    },
    finish: ({ gradient }) => {
      const relevance = new Float32Array(rows.data.length);
      for (let i = 0; i < relevance.length; i++) relevance[i] = rows.data[i] * gradient[i];
      return { data: relevance, shape: rows.shape.slice() };
    },
  };
}

/** The propagation of an `'lrp'` task: the composite of its settings. */
const lrpPropagation = (task: RowTask): Propagation => ({ kind: 'lrp', settings: lrpTaskSettings(task) });

registerRowTaskKind('lrp', { plan: lrpTask, propagation: lrpPropagation });
