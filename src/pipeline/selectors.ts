/** Text forms of the target and head selectors (command line, form fields): `--target 2`, `--target Ae_aegypti,3`, `--output species`. */
import type { TargetOption } from '../execution/targets.js';

/** Parses `--target`: a class index, a class name, or a comma-separated list (one per input). */
export function parseTarget(text: string | undefined): TargetOption | undefined {
  if (text === undefined) return undefined;
  const one = (t: string): number | string => (/^\d+$/.test(t.trim()) ? Number(t.trim()) : t.trim());
  return text.includes(',') ? text.split(',').map(one) : one(text);
}

/** Parses `--output`: a head index (digits) or a head name. */
export function parseOutput(text: string | undefined): string | number | undefined {
  return text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text;
}
