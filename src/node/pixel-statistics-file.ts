/** Node-only: saving and loading pixel statistics as JSON files (for `wingbeats-xai stats` / `evaluate --stats`). */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { WingbeatsError } from '../util/errors.js';
import { PixelStatistics, pixelStatisticsFromJSON, pixelStatisticsToJSON } from '../evaluation/pixel-statistics.js';

/**
 * Writes pixel statistics to `path` as JSON `{shape, mean, std, count}`.
 * Throws IO when the file cannot be written.
 * @example await savePixelStatistics('stats.json', await pixelStatistics(batches));
 */
export async function savePixelStatistics(path: string, stats: PixelStatistics): Promise<void> {
  // Written beside the target and renamed, so a failure never leaves a truncated statistics file.
  const partial = `${path}.partial-${process.pid}`;
  try {
    await writeFile(partial, `${JSON.stringify(pixelStatisticsToJSON(stats))}\n`, 'utf8');
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw new WingbeatsError('IO', `Cannot write pixel statistics to '${path}': ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Reads pixel statistics written by {@link savePixelStatistics} (or any JSON `{shape, mean, std, count}`).
 * Throws IO when the file cannot be read, INVALID_FILE when it is not valid statistics.
 * @example const stats = await loadPixelStatistics('stats.json');
 */
export async function loadPixelStatistics(path: string): Promise<PixelStatistics> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new WingbeatsError('IO', `Cannot read pixel statistics from '${path}': ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new WingbeatsError('INVALID_FILE', `Pixel statistics file '${path}' is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return pixelStatisticsFromJSON(json, `Pixel statistics file '${path}'`);
}
