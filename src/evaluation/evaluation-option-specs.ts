/** The options of the comparison with random explanations, as specs, free of TensorFlow.js (the command line builds its flags and help from them). */
import type { OptionSpec } from '../util/option-spec.js';

/** The evaluation's own options, as specs (flags, defaults, ranges, help). */
export const EVALUATION_OPTIONS = [
  {
    name: 'randomSeeds',
    flag: '--random-seeds',
    type: 'integer',
    default: 5,
    min: 1,
    max: 10000,
    help: 'number of random flipping orders (seeds seed, seed+1, ...)',
  },
  {
    name: 'fraction',
    flag: '--fraction',
    type: 'number',
    default: 0.25,
    min: 0,
    max: 1,
    help: 'fraction of all positions flipped in total',
  },
  {
    name: 'flipStep',
    flag: '--flip-step',
    type: 'number',
    default: 0.005,
    min: 0,
    max: 1,
    help: 'fraction of all positions flipped per step (at least one position)',
    aliases: ['--step'],
  },
] as const satisfies readonly OptionSpec[];
