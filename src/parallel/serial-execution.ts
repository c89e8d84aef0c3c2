/**
 * Execution settings in a form another thread can receive: propagation rules by their registered name, dropout as is.
 * Settings that cannot be described this way (a layer hook, an unregistered rule) make a job run in the calling thread.
 */
import type { ExecutionSettings, DropoutSettings } from '../execution/execution-settings.js';
import type { PropagationRule } from '../execution/propagation-rule.js';
import { guidedRelu } from '../rules/guided-relu.js';
import { WingbeatsError } from '../util/errors.js';

/** Serialisable execution settings: rule names (each a registered rule) and dropout. */
export interface SerialExecution {
  rules: string[];
  dropout?: DropoutSettings;
}

const rulesByName = new Map<string, PropagationRule>([[guidedRelu.name, guidedRelu]]);

/**
 * Makes a propagation rule reconstructible in worker threads by its name (it must be a module-level constant that
 * every thread registers at import, as guided ReLU is). Registering another rule under a taken name throws.
 */
export function registerSerialRule(rule: PropagationRule): void {
  const known = rulesByName.get(rule.name);
  if (known !== undefined && known !== rule) {
    throw new WingbeatsError(
      'INVALID_ARGUMENT',
      `A different propagation rule named '${rule.name}' is registered already.`,
    );
  }
  rulesByName.set(rule.name, rule);
}

/** The serial form of `settings`, or `undefined` when they cannot cross threads (layer hook, unregistered rule). */
export function serializeExecution(settings: ExecutionSettings): SerialExecution | undefined {
  if (settings.layerHook !== undefined) return undefined;
  const rules: string[] = [];
  for (const rule of settings.rules ?? []) {
    if (rulesByName.get(rule.name) !== rule) return undefined;
    rules.push(rule.name);
  }
  return settings.dropout === undefined ? { rules } : { rules, dropout: { ...settings.dropout } };
}

/** The execution settings a {@link SerialExecution} describes. */
export function deserializeExecution(serial: SerialExecution): ExecutionSettings {
  const rules = serial.rules.map((name) => {
    const rule = rulesByName.get(name);
    if (rule === undefined)
      throw new WingbeatsError('INVALID_ARGUMENT', `No propagation rule named '${name}' is registered.`);
    return rule;
  });
  return {
    ...(rules.length > 0 ? { rules } : {}),
    ...(serial.dropout === undefined ? {} : { dropout: { ...serial.dropout } }),
  };
}
