/**
 * Error messages in the command line's words: the library names its arguments (`Argument 'output' passed to
 * 'explain'`), the user typed flags (`--output`); commander's choice errors get the nearest choice. Node only.
 */
import type { Command } from 'commander';
import { didYouMean } from '../../util/nearest-name.js';

/** `batchSize` → `batch-size`. */
function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * `message` with every "Argument 'x' passed to 'f'" that matches an option `--x` of `command` written as "Option
 * '--x'" (and "Argument 'target[1]'" as "Option '--target' (value 2)"), and a word repeated after a colon said once.
 * @example inUserWords("Argument 'output' passed to 'explain' must be …", explain) // "Option '--output' must be …"
 */
export function inUserWords(message: string, command: Command | undefined): string {
  const flags = new Set(command?.options.map((o) => o.long).filter((f): f is string => f !== undefined) ?? []);
  return message
    .replace(/Argument '([A-Za-z]+)(?:\[(\d+)\])?' passed to '[^']*'/g, (whole, name: string, index?: string) => {
      const flag = `--${kebab(name)}`;
      if (!flags.has(flag)) return whole;
      return `Option '${flag}'${index === undefined ? '' : ` (value ${Number(index) + 1})`}`;
    })
    .replace(/\b(\w+): \1:/g, '$1:');
}

/**
 * Commander's "option '--method <name>' argument 'salency' is invalid. Allowed choices are a, b." as "Option
 * '--method' must be one of a, b but got 'salency'. Did you mean 'saliency'?"; any other text unchanged.
 */
export function choiceErrorInUserWords(text: string): string {
  const match = /option '(?:-\w, )?(--[a-z-]+)[^']*' argument '(.*)' is invalid\. Allowed choices are (.*)\.$/s.exec(
    text,
  );
  if (match === null) return text;
  const [, flag, got, list] = match;
  const choices = list.split(', ');
  return `Option '${flag}' must be one of ${list} but got '${got}'.${didYouMean(got, choices)}`;
}
