/** Reading custom feature settings (`--features FILE.json`) from a file, at option-parsing time (Node only). */
import { readSmallFileSync } from './read-files.js';
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
  const bytes = readSmallFileSync(file, what, MAX_SETTINGS_BYTES, '64 kB');
  return parseFeatureSettings(parseJsonBytes(bytes, what), what);
}
