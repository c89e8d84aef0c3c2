/**
 * Command-line flags of the attribution methods' options, generated from the registry's option specs: every command
 * that takes a method has the same flags, defaults and help (Node only).
 */
import { Option, type Command } from 'commander';
import { methodOptionSpecs } from '../../attribution/method-catalog.js';
import { parseOptionText, type OptionSpec } from '../../util/option-spec.js';

/** The commander attribute of a flag (`--noise-samples` → `noiseSamples`). */
export function flagAttribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function placeholder(spec: OptionSpec): string {
  if (spec.type === 'integer') return 'n';
  if (spec.type === 'number') return 'x';
  if (spec.type === 'file') return 'file';
  if (spec.type === 'list') return 'a,b';
  return 'name';
}

/** The help line of a spec: its text and its range (the default is added by commander, in one style). */
export function optionHelp(spec: OptionSpec): string {
  const range =
    spec.min !== undefined && spec.max !== undefined
      ? `, ${spec.min} to ${spec.max}`
      : spec.max !== undefined
        ? `, at most ${spec.max}`
        : '';
  return `${spec.help}${range}`;
}

/**
 * Adds one flag per spec (and its old names as hidden aliases), with choices and default. `aliases` adds command-specific
 * hidden aliases (e.g. `{ '--samples': '--noise-samples' }` where `--samples` once meant SmoothGrad's noise count).
 */
export function addSpecOptions(
  command: Command,
  specs: readonly OptionSpec[],
  aliases: Record<string, string> = {},
): Command {
  for (const spec of specs) {
    if (spec.type === 'boolean') {
      // A switch: present means true.
      command.addOption(new Option(spec.flag, optionHelp(spec)).default(spec.default ?? false));
      continue;
    }
    // A default that differs by method is stated in the help text; no value is passed unless given.
    const help =
      spec.defaultText === undefined ? optionHelp(spec) : `${optionHelp(spec)} (default: ${spec.defaultText})`;
    const option = new Option(`${spec.flag} <${placeholder(spec)}>`, help);
    if (spec.choices !== undefined) option.choices([...spec.choices]);
    if (spec.defaultText === undefined && spec.default !== undefined) option.default(spec.default);
    command.addOption(option);
    const oldNames = [...(spec.aliases ?? []), ...Object.keys(aliases).filter((a) => aliases[a] === spec.flag)];
    for (const alias of oldNames) {
      command.addOption(new Option(`${alias} <${placeholder(spec)}>`).hideHelp());
      command.on(`option:${alias.slice(2)}`, (value: string) =>
        command.setOptionValueWithSource(flagAttribute(spec.flag), value, 'cli'),
      );
    }
  }
  return command;
}

/** Adds the flags of every attribution method's options (see {@link addSpecOptions}). */
export function addMethodOptions(command: Command, aliases: Record<string, string> = {}): Command {
  return addSpecOptions(command, methodOptionSpecs(), aliases);
}

/** The values of `specs` from commander's parsed options: text parsed and checked, defaults kept. */
export function specValues(options: Record<string, unknown>, specs: readonly OptionSpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const raw = options[flagAttribute(spec.flag)];
    if (raw === undefined) continue;
    values[spec.name] = typeof raw === 'string' ? parseOptionText(spec, raw) : raw;
  }
  return values;
}

/** The attribution methods' option values given on the command line (with their defaults). */
export function methodOptionValues(options: Record<string, unknown>): Record<string, unknown> {
  return specValues(options, methodOptionSpecs());
}
