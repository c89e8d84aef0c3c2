/** Option specs: one description per tunable option (name, flag, type, default, range, help). */
import { argumentError } from '../util/errors.js';

/** The kind of value an option takes. */
export type OptionType = 'integer' | 'number' | 'string' | 'choice' | 'file' | 'list' | 'boolean';

/** One tunable option. */
export interface OptionSpec {
  readonly name: string;
  readonly flag: string;
  readonly type: OptionType;
  readonly default?: number | string | boolean;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  readonly help: string;
}

/** Checks a library value against `spec` and returns it (or the default when undefined). */
export function checkOption(functionName: string, spec: OptionSpec, value: unknown): unknown {
  if (value === undefined) return spec.default;
  if (spec.type === 'integer' || spec.type === 'number') {
    const bad = typeof value !== 'number' || !Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value)) || (spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max);
    if (bad) throw argumentError(functionName, spec.name, `a number in [${spec.min}, ${spec.max}]`, value);
  } else if (spec.type === 'choice') {
    if (typeof value !== 'string' || !(spec.choices ?? []).includes(value)) throw argumentError(functionName, spec.name, `one of ${(spec.choices ?? []).map((c) => `'${c}'`).join(', ')}`, value);
  } else if (spec.type === 'boolean' && typeof value !== 'boolean') {
    throw argumentError(functionName, spec.name, 'true or false', value);
  }
  return value;
}
