/** The shared request options as specs, free of TensorFlow.js (the command line builds its flags and help from them). */
import type { OptionSpec } from '../util/option-spec.js';

/** Largest `workers` value accepted. */
export const MAX_WORKERS = 64;

/** The shared `seed`, `batchSize` and `workers` options, as specs (flags, defaults, ranges, help). */
export const REQUEST_OPTIONS = [
  {
    name: 'seed',
    flag: '--seed',
    type: 'integer',
    default: 0,
    min: 0,
    max: 2147483647,
    help: 'seed of everything random: noise, dropout masks, replacement values, random orders',
  },
  {
    name: 'batchSize',
    flag: '--batch-size',
    type: 'integer',
    min: 1,
    max: 100000,
    help: 'rows per model call (default: chosen per model from its activation sizes, at most 64; does not change results)',
  },
  {
    name: 'workers',
    flag: '--workers',
    type: 'integer',
    min: 1,
    max: MAX_WORKERS,
    help: 'worker threads sharing the work, each with its own copy of the model (default: the number of cores; 1 = no threads; small jobs never start them; does not change results)',
  },
] as const satisfies readonly OptionSpec[];
