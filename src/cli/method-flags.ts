/** Command-line flags generated from the methods' option specs (Node only). */
import { Option, type Command } from 'commander';
import { WingbeatsError } from '../util/errors.js';
import { methodOptionSpecs } from '../attribution/registry.js';
import type { OptionSpec } from '../util/option-spec.js';

function attribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The specs of the methods' own options, without those a command already defines (e.g. `--baseline`). */
export function methodFlagSpecs(except: readonly string[] = ['baseline']): OptionSpec[] {
  return methodOptionSpecs().filter((s) => !except.includes(s.name));
}

/** Adds one flag per spec: booleans as switches, choices with their list, numbers with their range in the help. */
export function addSpecFlags(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    const range = spec.min !== undefined && spec.max !== undefined ? ` (${spec.min} to ${spec.max}${spec.default === undefined ? '' : `, default ${spec.default}`})` : spec.default === undefined ? '' : ` (default ${spec.default})`;
    if (spec.type === 'boolean') {
      command.addOption(new Option(spec.flag, spec.help));
      continue;
    }
    const option = new Option(`${spec.flag} <${spec.type === 'integer' ? 'n' : spec.type === 'number' ? 'x' : 'name'}>`, `${spec.help}${spec.choices === undefined ? range : ''}`);
    if (spec.choices !== undefined) option.choices([...spec.choices]);
    command.addOption(option);
  }
  return command;
}

/** The values given for `specs` (unset flags stay unset, so each method applies its own default), parsed and checked. */
export function specFlagValues(options: Record<string, unknown>, specs: readonly OptionSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = options[attribute(spec.flag)];
    if (raw === undefined) continue;
    if (spec.type === 'boolean' || typeof raw !== 'string') {
      values[spec.name] = raw;
    } else if (spec.type === 'integer' || spec.type === 'number') {
      const value = Number(raw);
      const ok = raw.trim() !== '' && Number.isFinite(value) && (spec.type === 'number' || /^[-+]?\d+$/.test(raw.trim())) && (spec.min === undefined || value >= spec.min) && (spec.max === undefined || value <= spec.max);
      if (!ok) throw new WingbeatsError('INVALID_ARGUMENT', `Option '${spec.flag}' must be ${spec.type === 'integer' ? 'an integer' : 'a number'} in [${spec.min}, ${spec.max}] but got '${raw}'.`);
      values[spec.name] = value;
    } else {
      values[spec.name] = raw;
    }
  }
  return values;
}
