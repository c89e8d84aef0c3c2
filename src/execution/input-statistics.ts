/** Training-input statistics from a statistics file, free of TensorFlow.js (the command line reads `--stats` with it). */
import { argumentError } from '../util/errors.js';

/**
 * Training statistics of the model input: from its first BatchNormalization layer (one mean per index of an axis), or
 * from a statistics file of training inputs (`axis` −1: one mean per input value, see {@link statisticsOfInputs}).
 */
export interface TrainingInputStatistics {
  /** Where they come from: the batch-norm layer's name, or the statistics file's description. */
  layer: string;
  /** What they were read from. */
  source?: 'batch-norm' | 'statistics-file';
  /**
   * The input axis (without the batch axis) the statistics run along: one mean per index of this axis; −1: one mean
   * per input value.
   */
  axis: number;
  /** Training mean per index of `axis` (the layer's moving mean). */
  mean: Float64Array;
  /** Training standard deviation per index of `axis` (square root of the moving variance). */
  std: Float64Array;
}

/**
 * Training statistics from per-value means and standard deviations of training inputs (what `wingbeats-xai stats`
 * writes: `{shape, mean, std, count}`), for models that have no input batch norm to read them from.
 *
 * @param stats - `mean` and `std` per input value, row-major in the model's input shape.
 * @param name - How messages name them (e.g. `"statistics file 'train-stats.json'"`).
 * @example statisticsOfInputs(await loadPixelStatistics('stats.json'), "statistics file 'stats.json'");
 */
export function statisticsOfInputs(
  stats: { mean: ArrayLike<number>; std: ArrayLike<number> },
  name: string,
): TrainingInputStatistics {
  if (stats.mean.length !== stats.std.length || stats.mean.length === 0)
    throw argumentError('statisticsOfInputs', 'stats', 'as many std values as mean values (at least one)', stats);
  return {
    layer: name,
    source: 'statistics-file',
    axis: -1,
    mean: Float64Array.from(stats.mean),
    std: Float64Array.from(stats.std),
  };
}
