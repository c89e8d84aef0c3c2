/** The Monte-Carlo-dropout options as specs, free of TensorFlow.js (the command line builds its flags and help from them). */
import type { OptionSpec } from '../util/option-spec.js';

/** The Monte-Carlo options, as specs (flags, defaults, ranges, help). */
export const MC_DROPOUT_OPTIONS = [
  {
    name: 'samples',
    flag: '--samples',
    type: 'integer',
    default: 100,
    min: 1,
    max: 100000,
    help: 'number of Monte-Carlo dropout samples',
  },
] as const satisfies readonly OptionSpec[];
