/**
 * Memory estimates checked before a command allocates its results (Node only): a run whose planned arrays would not
 * fit is refused with its estimate, instead of exhausting memory after minutes of work. The bounds of the count
 * options themselves come from their option specs.
 */
import { WingbeatsError } from '../../util/errors.js';

/** Memory a run may plan to hold in result arrays (1 GB); larger estimates are refused before allocating. */
export const MEMORY_BUDGET_BYTES = 2 ** 30;

/**
 * Refuses a run whose planned result arrays exceed {@link MEMORY_BUDGET_BYTES}, before they are allocated.
 *
 * @param what - What would be held, e.g. `'uncertainty: 10000 samples × 6450 input values'`.
 * @param bytes - The estimate in bytes.
 * @param hint - How to fit, e.g. `'lower --samples'`.
 * @throws WingbeatsError `LIMIT_EXCEEDED` stating the estimate, the budget and the hint.
 * @example checkMemoryEstimate('100 samples × 129 input values', 51600, 'lower --samples');
 */
export function checkMemoryEstimate(what: string, bytes: number, hint: string): void {
  if (bytes > MEMORY_BUDGET_BYTES) {
    const gb = (n: number): string => `${(n / 2 ** 30).toFixed(1)} GB`;
    throw new WingbeatsError(
      'LIMIT_EXCEEDED',
      `${what} would take about ${gb(bytes)}, more than the budget of ${gb(MEMORY_BUDGET_BYTES)}; ${hint}.`,
    );
  }
}
