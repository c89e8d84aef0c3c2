/**
 * Option specs: one description per tunable option (name, flag, type, default, range, help), from which the library
 * validates values, the command line generates its flags and help, and the web page builds its controls.
 */
import { WingbeatsError, argumentError } from './errors.js';

/** The kind of value an option takes. `file`: a path on the command line, bytes or a value in the library. */
export type OptionType = 'integer' | 'number' | 'string' | 'choice' | 'file' | 'list' | 'boolean';

/** One tunable option. */
export interface OptionSpec {
  /** Key in the options object (`'steps'`). */
  readonly name: string;
  /** Command-line flag (`'--steps'`). */
  readonly flag: string;
  readonly type: OptionType;
  /** Default value (absent: none, e.g. a random seed). */
  readonly default?: number | string | boolean;
  /** Smallest allowed value (numbers). */
  readonly min?: number;
  /** Largest allowed value (numbers): every count has one, so a typo cannot ask for days of work. */
  readonly max?: number;
  /** Allowed values (`choice`). */
  readonly choices?: readonly string[];
  /** One line of help (without the default, which the help generator adds). */
  readonly help: string;
  /** Old flags still accepted but not shown in help. */
  readonly aliases?: readonly string[];
  /**
   * For a flag shared by methods with different defaults: the command line passes no value unless given (each method
   * applies its own default) and help shows this text as the default (`'smoothgrad 0.15, gradient-shap 0'`).
   */
  readonly defaultText?: string;
}

function range(spec: OptionSpec): string {
  const integer = spec.type === 'integer';
  if (spec.min !== undefined && spec.max !== undefined)
    return `${integer ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}]`;
  if (spec.min !== undefined) return `${integer ? 'an integer' : 'a number'} ≥ ${spec.min}`;
  return integer ? 'an integer' : 'a finite number';
}

/** What `spec` expects, in words ("an integer in [1, 100000]", "one of 'a', 'b'"). */
export function expectedText(spec: OptionSpec): string {
  if (spec.type === 'integer' || spec.type === 'number') return range(spec);
  if (spec.type === 'choice') return `one of ${(spec.choices ?? []).map((c) => `'${c}'`).join(', ')}`;
  if (spec.type === 'boolean') return 'true or false';
  return spec.type === 'list' ? 'a list' : 'a string';
}

/**
 * Checks a library value against `spec` and returns it (or the default when `value` is undefined).
 * @throws WingbeatsError INVALID_ARGUMENT naming `functionName` and the option.
 * @example const steps = checkOption('integratedGradients', STEPS_OPTION, options.steps) as number;
 */
export function checkOption(functionName: string, spec: OptionSpec, value: unknown): unknown {
  if (value === undefined) return spec.default;
  const bad = (): WingbeatsError => argumentError(functionName, spec.name, expectedText(spec), value);
  if (spec.type === 'integer' || spec.type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value) || (spec.type === 'integer' && !Number.isInteger(value)))
      throw bad();
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) throw bad();
  } else if (spec.type === 'choice') {
    if (typeof value !== 'string' || !(spec.choices ?? []).includes(value)) throw bad();
  } else if (spec.type === 'boolean' && typeof value !== 'boolean') {
    throw bad();
  }
  return value;
}

/**
 * Parses the command-line (or form) text of an option: numbers checked against the range, choices against the list,
 * lists split on commas (an empty entry is refused); `file` and `string` stay text. `label` names the field in the error (default: the flag).
 * @throws WingbeatsError INVALID_ARGUMENT "Option '--steps' must be an integer in [1, 100000] but got 'x'."
 */
export function parseOptionText(spec: OptionSpec, text: string, label = `Option '${spec.flag}'`): unknown {
  const bad = (): WingbeatsError =>
    new WingbeatsError('INVALID_ARGUMENT', `${label} must be ${expectedText(spec)} but got '${text}'.`);
  if (spec.type === 'integer' || spec.type === 'number') {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || (spec.type === 'integer' && !/^[-+]?\d+$/.test(text.trim())))
      throw bad();
    if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) throw bad();
    return value;
  }
  if (spec.type === 'choice') {
    if (!(spec.choices ?? []).includes(text)) throw bad();
    return text;
  }
  if (spec.type === 'list') {
    const entries = text.split(',').map((t) => t.trim());
    if (entries.some((t) => t === ''))
      throw new WingbeatsError(
        'INVALID_ARGUMENT',
        `${label} must be a comma-separated list without empty entries but got '${text}'.`,
      );
    return entries;
  }
  return text;
}
