/** Node-only: saving and loading pixel statistics as JSON files (for `wingbeats-xai stats` / `evaluate --stats`). */
import { rename, rm, writeFile } from 'node:fs/promises';
import { parseJsonBytes } from '../io/json-text.js';
import { readFileBytes, readSmallFileSync } from './read-files.js';
import { WingbeatsError } from '../util/errors.js';
import type { PixelStatistics } from '../evaluation/pixel-statistics.js';
import { pixelStatisticsFromJSON, pixelStatisticsToJSON } from '../evaluation/pixel-statistics-json.js';

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
    throw new WingbeatsError('IO', `Cannot write pixel statistics to '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Reads pixel statistics written by {@link savePixelStatistics} (or any JSON `{shape, mean, std, count}`).
 * Throws IO when the file cannot be read, INVALID_FILE when it is not valid statistics.
 * @example const stats = await loadPixelStatistics('stats.json');
 */
export async function loadPixelStatistics(path: string): Promise<PixelStatistics> {
  const label = `Pixel statistics file '${path}'`;
  const bytes = await readFileBytes(path, { what: 'Pixel statistics file' });
  return pixelStatisticsFromJSON(parseJsonBytes(bytes, label), label);
}

/** Largest statistics file read whole (a spectrogram input's mean and std as JSON take about 1 MB). */
const MAX_STATISTICS_BYTES = 256 * 1024 * 1024;

/**
 * {@link loadPixelStatistics} done synchronously (for a command-line flag parser): a regular file of at most 256 MB.
 * Throws IO when it cannot be read, LIMIT_EXCEEDED when too large, INVALID_FILE when it is not valid statistics.
 * @example const stats = readPixelStatisticsSync('stats.json', "The --stats file 'stats.json'");
 */
export function readPixelStatisticsSync(path: string, label = `Statistics file '${path}'`): PixelStatistics {
  const bytes = readSmallFileSync(path, label, MAX_STATISTICS_BYTES, '256 MB');
  return pixelStatisticsFromJSON(parseJsonBytes(bytes, label), label);
}
