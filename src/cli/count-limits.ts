/**
 * Upper bounds of the command line's count options, and memory estimates checked before a run allocates (Node only).
 * A count that passes these bounds finishes in reasonable time and memory; the bounds are printed in `--help`.
 */
import type { Command } from 'commander';
import { WingbeatsError } from '../core/errors.js';

/** Largest value of each count option, by flag (one table for every command). */
export const COUNT_LIMITS: Readonly<Record<string, number>> = {
  '--steps': 10_000,
  '--samples': 10_000,
  '--smooth-samples': 10_000,
  '--random-seeds': 1_000,
  '--batch-size': 1_024,
  '--seed': 2 ** 32 - 1,
};

/** Memory a run may plan to hold in result arrays (1 GB); larger estimates are refused before allocating. */
export const MEMORY_BUDGET_BYTES = 2 ** 30;

/** The upper bound of `option` (Number.MAX_SAFE_INTEGER when it has none). */
export function countLimit(option: string): number {
  return Object.hasOwn(COUNT_LIMITS, option) ? COUNT_LIMITS[option] : Number.MAX_SAFE_INTEGER;
}

/** Appends "(at most N)" to the help line of every bounded count option of `command`, so `--help` states the bounds. */
export function describeCountLimits(command: Command): Command {
  for (const option of command.options) {
    const flag = option.long;
    if (flag !== undefined && Object.hasOwn(COUNT_LIMITS, flag) && !option.description.includes('at most')) {
      option.description = `${option.description} (at most ${COUNT_LIMITS[flag]})`;
    }
  }
  return command;
}

/**
 * Refuses a run whose planned result arrays exceed {@link MEMORY_BUDGET_BYTES}, before they are allocated.
 *
 * @param what - What would be held, e.g. `'uncertainty: 10000 samples × 3 inputs × 14577 heatmap values'`.
 * @param bytes - The estimate in bytes.
 * @param hint - How to fit, e.g. `'lower --samples'`.
 * @throws WingbeatsError `LIMIT_EXCEEDED` stating the estimate, the budget and the hint.
 * @example checkMemoryEstimate('100 samples × 1 input × 129 values', 51600, 'lower --samples');
 */
export function checkMemoryEstimate(what: string, bytes: number, hint: string): void {
  if (bytes > MEMORY_BUDGET_BYTES) {
    const gb = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GB`;
    throw new WingbeatsError('LIMIT_EXCEEDED', `${what} would take about ${gb(bytes)}, more than the budget of ${gb(MEMORY_BUDGET_BYTES)}; ${hint}.`);
  }
}
