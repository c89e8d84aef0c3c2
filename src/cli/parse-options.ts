/** Parsing of numeric and list options shared by the evaluation and uncertainty commands (Node only). */
import { WingbeatsError } from '../core/errors.js';

function invalid(option: string, expected: string, text: string): WingbeatsError {
  return new WingbeatsError('INVALID_ARGUMENT', `Option '${option}' must be ${expected} but got '${text}'.`);
}

/** A number option within `[min, max]` (bounds inclusive unless `openMin`). */
export function parseNumberOption(option: string, text: string, range: { min?: number; max?: number; openMin?: boolean } = {}): number {
  const value = Number(text);
  const { min = -Infinity, max = Infinity, openMin = false } = range;
  const ok = text.trim() !== '' && Number.isFinite(value) && (openMin ? value > min : value >= min) && value <= max;
  if (!ok) {
    const bounds = Number.isFinite(min) || Number.isFinite(max) ? ` in ${openMin ? '(' : '['}${min}, ${max}]` : '';
    throw invalid(option, `a number${bounds}`, text);
  }
  return value;
}

/** An integer option ≥ `min`. */
export function parseIntegerOption(option: string, text: string, min = 0): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) throw invalid(option, `an integer ≥ ${min}`, text);
  return value;
}

/** A comma-separated list of numbers, each checked like {@link parseNumberOption}. */
export function parseNumberListOption(option: string, text: string, range: { min?: number; max?: number } = {}): number[] {
  const parts = text.split(',').map((t) => t.trim());
  if (parts.some((p) => p === '')) throw invalid(option, 'a comma-separated list of numbers', text);
  return parts.map((p) => parseNumberOption(option, p, range));
}

/** `--output HEAD`: a head index (digits) or a head name. */
export function parseOutputOption(text: string | undefined): string | number | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim();
}
