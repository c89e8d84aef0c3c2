/**
 * Command-line flags of the attribution methods' options, generated from the registry's option specs: every command
 * that takes a method has the same flags, defaults and help (Node only).
 */
import { Option, type Command } from 'commander';
import { methodOptionSpecs } from '../../attribution/method-catalog.js';
import { parseOptionText, type OptionSpec } from '../../util/option-spec.js';

/**
 * `--samples N`: each method's number of samples, as the anchors name it — SmoothGrad's noisy copies and GradientSHAP's
 * samples (`--noise-samples`), KernelSHAP's and LIME's coalitions (`--coalitions`).
 */
export const SAMPLES_ALIAS = { '--samples': ['--noise-samples', '--coalitions'] } as const;

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
 * hidden aliases, each for one flag or several (e.g. `{ '--samples': ['--noise-samples', '--coalitions'] }`: every
 * method's sample count); a flag given by its own name keeps its value whatever the alias says.
 */
export function addSpecOptions(
  command: Command,
  specs: readonly OptionSpec[],
  aliases: Record<string, string | readonly string[]> = {},
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
    for (const alias of spec.aliases ?? []) {
      command.addOption(new Option(`${alias} <${placeholder(spec)}>`).hideHelp());
      command.on(`option:${alias.slice(2)}`, (value: string) =>
        command.setOptionValueWithSource(flagAttribute(spec.flag), value, 'cli'),
      );
    }
  }
  for (const [alias, flags] of Object.entries(aliases)) {
    const targets = specs.filter((spec) => ([] as string[]).concat(flags).includes(spec.flag));
    if (targets.length === 0) continue;
    command.addOption(new Option(`${alias} <${placeholder(targets[0])}>`).hideHelp());
    command.on(`option:${alias.slice(2)}`, (value: string) => {
      for (const spec of targets) {
        const attribute = flagAttribute(spec.flag);
        if (command.getOptionValueSource(attribute) !== 'cli')
          command.setOptionValueWithSource(attribute, value, 'cli');
      }
    });
  }
  return command;
}

/** Adds the flags of every attribution method's options (see {@link addSpecOptions}). */
export function addMethodOptions(command: Command, aliases: Record<string, string | readonly string[]> = {}): Command {
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
