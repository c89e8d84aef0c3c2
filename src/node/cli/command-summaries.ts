/** The commands' one-line summaries: no imports, so every command file and the command list can share them. */

/** The one-line summary of every command, in help order (the program's help and each command's own use the same text). */
export const COMMAND_SUMMARIES = {
  demo: 'explain the shipped demo model on the shipped synthetic recordings and write an HTML report',
  explain: "explain a model's prediction for a recording (.wav) or model inputs (.npy, .json)",
  report: 'an HTML report: recordings, model inputs, predictions per head and several explanations side by side',
  batch: 'explain a folder or list of recordings with one or more methods; resumable, one folder per file',
  dataset:
    'explain a whole labelled data set into one Parquet table with class-wise summaries; shardable over a cluster, resumable',
  features: 'turn recordings into the model input of a preset (Welch PSD or spectrogram image)',
  evaluate:
    'pixel flipping: how fast the target score falls when the most relevant inputs are replaced, against random orders (AOPC, AUC)',
  sanity:
    'model-parameter randomisation test (Adebayo et al. 2018): how each explanation changes as the layers of a copy of the model are randomised, top first',
  uncertainty:
    'explanations under Monte-Carlo dropout (only Dropout layers on): per-position quantile, mean and std maps',
  stats: 'per-position mean and standard deviation of a data set of inputs (for evaluate --stats)',
} as const;

/** Name of a command of the program. */
export type CommandName = keyof typeof COMMAND_SUMMARIES;

/** The help summary of command `name`. */
export function commandSummary(name: CommandName): string {
  return COMMAND_SUMMARIES[name];
}
