/** Chooses the explained class per example: top class, one number, one per example, or class names. */
import { argumentError, described } from '../util/errors.js';

/** `target` option: omitted for the top class, a class index, a class name, or one of those per example. */
export type TargetOption = number | string | readonly (number | string)[];

/**
 * Resolves `target` to one class index per example.
 * @param predictions scores `[batch][classes]` (used for the top class when `target` is omitted)
 * @param labels class names of the head, if known (needed for names)
 * @param argument the option's name in messages (default `'target'`; `'contrast'` for contrast classes)
 * @throws WingbeatsError TARGET_OUT_OF_RANGE / INVALID_ARGUMENT naming `argument` and `functionName`
 */
export function resolveTargets(
  functionName: string,
  target: TargetOption | undefined,
  predictions: ArrayLike<number>[],
  labels: readonly string[] | undefined,
  argument = 'target',
): number[] {
  const batch = predictions.length;
  const classes = predictions[0]?.length ?? 0;
  const one = (value: number | string, index: number | null): number => {
    const arg = index === null ? argument : `${argument}[${index}]`;
    if (typeof value === 'string') {
      const found = labels?.indexOf(value) ?? -1;
      if (found >= 0) return found;
      if (labels === undefined)
        throw argumentError(functionName, arg, 'a class index (this head has no class names)', value);
      throw argumentError(
        functionName,
        arg,
        `one of the class names ${labels.map((l) => `'${l}'`).join(', ')}`,
        value,
        'TARGET_OUT_OF_RANGE',
        labels,
      );
    }
    if (!Number.isInteger(value)) throw argumentError(functionName, arg, 'an integer class index', value);
    if (value < 0 || value >= classes) {
      throw argumentError(functionName, arg, `in [0, ${classes}) (number of classes)`, value, 'TARGET_OUT_OF_RANGE');
    }
    return value;
  };
  if (target === undefined || target === null) {
    return predictions.map((row) => {
      let best = 0;
      for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
      return best;
    });
  }
  if (Array.isArray(target)) {
    if (target.length !== batch) {
      throw argumentError(
        functionName,
        argument,
        `one ${argument} per example (${batch})`,
        described(`${target.length} targets`),
      );
    }
    return target.map((t, i) => one(t, i));
  }
  if (typeof target === 'number' || typeof target === 'string') {
    const index = one(target, null);
    return new Array<number>(batch).fill(index);
  }
  throw argumentError(functionName, argument, 'a class index, a class name, or one per example', target);
}
