/**
 * LRP's pass as a row task, `'lrp'`: the relevance x ⊙ (gradient under the LRP composite) of a chunk of rows for their
 * targets, the composite's settings carried as numbers — run on TensorFlow.js here and in workers, or by an engine
 * that accepts the kind (ONNX Runtime, with the composite as op-gradient overrides: src/onnx/rules/).
 */
import * as tf from '@tensorflow/tfjs';
import { safeGrad } from '../execution/safe-grad.js';
import {
  RowTask,
  RowTaskContext,
  TaskArray,
  registerRowTaskKind,
  taskTensor,
  tidyArray,
} from '../parallel/row-task.js';
import { LRP_RULE_NAMES, LrpCompositeSettings, lrpComposite } from '../rules/lrp-composite.js';
import { relevanceRatio } from '../rules/lrp-linear.js';
import { WingbeatsError } from '../util/errors.js';
import { targetMask } from './target-gradients.js';

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

/** Executor of `'lrp'`: `arrays.rows`, `numbers.targets` and `numbers.settings` → relevance, shaped like the rows. */
export function lrpTask(task: RowTask, { model, execution }: RowTaskContext): TaskArray {
  const layersModel = model.layersModel;
  if (layersModel === null && model.info.format === 'onnx')
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      `'${String(model.info.fileName)}' is an ONNX file on the TensorFlow.js interpreter, where LRP cannot run: it runs on the native engine (engine 'auto' or 'onnx' in Node, with every op of the file lowered; a line above names the op that was not).`,
    );
  if (layersModel === null)
    throw new WingbeatsError(
      'UNSUPPORTED_MODEL',
      'LRP propagates relevance layer by layer, which needs a tf.LayersModel.',
    );
  const composite = lrpComposite(layersModel, lrpTaskSettings(task));
  const ruled = { ...execution, rules: [composite.rule, ...(execution.rules ?? [])] };
  const { outputIndex } = task;
  try {
    return tidyArray(() => {
      const rows = taskTensor(task.arrays.rows);
      const logits = model.run(rows, { outputIndex, scores: 'logits' });
      const mask = targetMask(task.numbers.targets, logits.shape[1]);
      // Relevance at the output = the target score; in gradient form the output gradient is score / logit.
      const start =
        task.scores === 'probabilities'
          ? relevanceRatio(
              tf.sum(tf.mul(tf.softmax(logits), mask), 1, true),
              tf.sum(tf.mul(logits, mask), 1, true),
              1e-12,
            )
          : tf.onesLike(logits);
      const weights = tf.mul(mask, start);
      const gradient = safeGrad(
        (input) => tf.sum(tf.mul(model.run(input, { outputIndex, scores: 'logits', execution: ruled }), weights)),
        rows,
      );
      return tf.mul(rows, gradient);
    });
  } finally {
    composite.dispose();
  }
}

registerRowTaskKind('lrp', lrpTask);
