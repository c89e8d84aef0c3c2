/** Reading custom feature settings (`--features FILE.json`) from a file, at option-parsing time (Node only). */
import { readFileSync, statSync } from 'node:fs';
import { WingbeatsError } from '../util/errors.js';
import { parseJsonBytes } from '../io/json-text.js';
import { parseFeatureSettings } from '../signal/feature-settings-file.js';
import type { FeatureSettings } from '../signal/presets.js';

/** Largest settings file read (a recipe is a few hundred bytes). */
const MAX_SETTINGS_BYTES = 64 * 1024;

/**
 * The feature settings in `file` (see `parseFeatureSettings` for the format); synchronous, for a commander option parser.
 * @throws WingbeatsError `IO` for a missing or non-regular file, `LIMIT_EXCEEDED` past 64 kB, `INVALID_FILE` for bad
 *   JSON, `INVALID_ARGUMENT` for bad settings; each message names `--features`.
 */
export function readFeatureSettingsFile(file: string): FeatureSettings {
  const what = `The --features file '${file}'`;
  let size: number;
  try {
    const info = statSync(file);
    if (!info.isFile()) throw new WingbeatsError('IO', `${what} is not a regular file.`);
    size = info.size;
  } catch (error) {
    if (error instanceof WingbeatsError) throw error;
    throw new WingbeatsError('IO', `${what} does not exist or cannot be read.`, { cause: error });
  }
  if (size > MAX_SETTINGS_BYTES)
    throw new WingbeatsError('LIMIT_EXCEEDED', `${what} is ${size} bytes, more than the limit of 64 kB.`);
  return parseFeatureSettings(parseJsonBytes(readFileSync(file), what), what);
}
