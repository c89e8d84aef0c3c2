/** Refuses a feature preset made for another data set than the one a model was trained on (unless forced). */
import { WingbeatsError } from '../util/errors.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { FeaturePresetName } from '../signal/presets.js';

const DATASET_TITLES: Record<string, string> = { potamitis: 'Potamitis', keogh: 'Keogh' };

/** The data-set family of a preset (`potamitis-psd` → `potamitis`) or of a model's `info.dataset` (`keogh-9` → `keogh`). */
function family(name: string): string {
  return name.split('-')[0].toLowerCase();
}

/** The words every forced-preset warning holds (how tables and summaries recognise the warning). */
export const FORCED_PRESET_WARNING_MARK = 'used anyway because the preset was forced';

/**
 * Checks that a preset belongs to the data set the model was trained on (`model.info.dataset`, known for the wingbeats
 * models). A mismatch — e.g. `keogh-psd` (16 kHz, no normalisation) on a Potamitis model — feeds the model inputs
 * unlike its training data and gives confident nonsense, so it is refused unless `force` is set; then it is returned
 * as a warning. Models of unknown data set pass.
 *
 * @param model - The model.
 * @param preset - The preset about to be used.
 * @param options - `force`: accept a mismatch and return it as a warning (CLI: `--force-preset`).
 * @returns Warnings (empty when the preset fits or the data set is unknown).
 * @throws WingbeatsError `PRESET_MISMATCH` when the preset belongs to another data set and `force` is not set.
 * @example
 * checkPresetForModel(potamitisModel, 'keogh-psd'); // throws: "Preset 'keogh-psd' is made for the Keogh data set ..."
 */
export function checkPresetForModel(
  model: ExplainableModel,
  preset: FeaturePresetName,
  options: { force?: boolean } = {},
): string[] {
  const dataset = typeof model.info.dataset === 'string' ? model.info.dataset : undefined;
  if (dataset === undefined || family(dataset) === family(preset)) return [];
  const title = (name: string): string => DATASET_TITLES[family(name)] ?? name;
  const fitting = `${family(dataset)}-${preset.split('-').slice(1).join('-')}`;
  const message =
    `Preset '${preset}' is made for recordings of the ${title(preset)} data set, but model '${model.name}' was trained on the ${title(dataset)} data set ` +
    `(its inputs come from '${fitting}')`;
  if (options.force === true) return [`${message}; ${FORCED_PRESET_WARNING_MARK}: predictions may be meaningless.`];
  throw new WingbeatsError(
    'PRESET_MISMATCH',
    `${message}. Use '${fitting}', or force the preset (CLI: --force-preset) if the recordings really are like the training data.`,
  );
}
