/** The names of the LRP rules, free of TensorFlow.js (the command line's help lists them without loading the rules). */

/** The LRP rules a convolution can take. */
export const LRP_RULE_NAMES = ['epsilon', 'gamma', 'alpha-beta', 'z-plus'] as const;
