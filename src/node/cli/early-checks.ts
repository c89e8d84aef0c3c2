/** Checks of parsed options against the loaded model, made before any input is read or computed (Node only). */
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { resolveTargets, type TargetOption } from '../../execution/targets.js';

/**
 * Refuses a `--target` the chosen head cannot have (an index beyond its classes, an unknown class name) before any
 * work starts, so `batch --target 99` fails at once instead of after explaining every file.
 *
 * @param command - The command's name, used in messages.
 * @throws WingbeatsError `TARGET_OUT_OF_RANGE` / `INVALID_ARGUMENT` as `resolveTargets`.
 * @example checkTargetOption('batch', model, 99, undefined);
 */
export function checkTargetOption(
  command: string,
  model: ExplainableModel,
  target: TargetOption | undefined,
  output: string | number | undefined,
): void {
  if (target === undefined || model.layersModel === null) return;
  const head = model.resolveOutput(command, output);
  const classes = model.layersModel.outputs[head]?.shape.at(-1);
  if (typeof classes !== 'number') return;
  const row = [new Array<number>(classes).fill(0)];
  for (const one of Array.isArray(target) ? target : [target])
    resolveTargets(command, one as number | string, row, model.labels(head));
}
