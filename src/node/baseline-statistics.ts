/** A `stats` file used as the integrated-gradients baseline: its per-position mean (Node only). */
import { readFile } from 'node:fs/promises';
import { WingbeatsError } from '../util/errors.js';
import { pixelStatisticsFromJSON } from '../evaluation/pixel-statistics.js';

/**
 * The mean of a statistics file written by `wingbeats-xai stats` (`{shape, mean, std, count}`), or undefined when
 * `file` is not one (then it is read as inputs).
 *
 * @throws WingbeatsError `SHAPE_MISMATCH` when the statistics are of another shape than the model input.
 */
export async function statisticsMean(file: string, inputShape: readonly number[]): Promise<Float32Array | undefined> {
  if (!file.toLowerCase().endsWith('.json')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !('mean' in json) || !('std' in json)) return undefined;
  const stats = pixelStatisticsFromJSON(json, `Statistics file '${file}'`);
  const size = inputShape.reduce((a, b) => a * b, 1);
  if (stats.mean.length !== size) {
    throw new WingbeatsError('SHAPE_MISMATCH', `Option '--baseline': statistics file '${file}' has shape [${stats.shape.join(',')}] but the model takes [${inputShape.join(',')}].`);
  }
  return Float32Array.from(stats.mean);
}
