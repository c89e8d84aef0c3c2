/** How many failures a data-set run names, free of TensorFlow.js (the command line uses it without loading a model). */

/** How many failed examples a shard's outcome names (the console lists them; `summary.json` holds the rest). */
export const SHOWN_FAILURES = 10;
