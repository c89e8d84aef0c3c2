/**
 * The data sets of the wingbeats project: class labels in output-index order, the species → genus map, and the
 * spectrogram input size each was trained on (PREPROCESSING.md). Deciding which data set a file belongs to uses
 * its number of species and hints in its path ("Potamitis"/"Potatamis", "Keogh").
 */

/** Data sets the released models were trained on. */
export type WingbeatsDataset = 'potamitis' | 'keogh-9' | 'keogh-7';

/** Facts about one data set. */
export interface DatasetInfo {
  name: WingbeatsDataset;
  /** Species labels in output-index order (undefined when not recorded: Keogh-7). */
  species?: readonly string[];
  /** Genus labels in output-index order. */
  genera?: readonly string[];
  /** Genus index of each species. */
  speciesToGenus?: readonly number[];
  numSpecies: number;
  /** Input shape of the spectrogram (2-D) models, without batch axis. */
  spectrogramShape: readonly [number, number, number];
  /** Input shape of the PSD (1-D) models. */
  psdShape: readonly [number, number];
}

/** The three data sets, keyed by name. */
export const DATASETS: Readonly<Record<WingbeatsDataset, DatasetInfo>> = {
  potamitis: {
    name: 'potamitis',
    species: ['Ae_aegypti', 'Ae_albopictus', 'An_arabiensis', 'An_gambiae', 'Cu_pipiens', 'Cu_quinquefasciatus'],
    genera: ['Aedes', 'Anopheles', 'Culex'],
    speciesToGenus: [0, 0, 1, 1, 2, 2],
    numSpecies: 6,
    spectrogramShape: [129, 113, 3],
    psdShape: [129, 1],
  },
  'keogh-9': {
    name: 'keogh-9',
    species: [
      'beetles',
      'honeybees',
      'house_flies',
      'fruit_flies',
      'moth_flies',
      'aedes',
      'anopheles',
      'quinx',
      'tarsalis',
    ],
    genera: ['Beetles', 'Bees', 'Flies', 'Mosquitoes'],
    speciesToGenus: [0, 1, 2, 2, 2, 3, 3, 3, 3],
    numSpecies: 9,
    spectrogramShape: [129, 33, 3],
    psdShape: [129, 1],
  },
  // Which two of the nine species the Keogh-7 models leave out is not recorded: no labels.
  'keogh-7': { name: 'keogh-7', numSpecies: 7, spectrogramShape: [129, 33, 3], psdShape: [129, 1] },
};

/**
 * The data set a model belongs to, from its number of species (6, 9 or 7) and hints in its path; a path hint
 * wins when it agrees with the class count. Undefined when neither decides.
 *
 * A class count alone is no evidence that a model was trained on a data set: `loadModel` asks only for a recognised
 * wingbeats architecture (`isWingbeatsModelConfig`, or a weights-only wingbeats file); other models get `class 0` …
 * `class N−1` unless their file or the caller names the classes.
 */
export function detectDataset(numSpecies: number | undefined, pathHint = ''): DatasetInfo | undefined {
  const hint = pathHint.toLowerCase();
  const potamitisHint = /potamitis|potatamis/.test(hint);
  const keoghHint = /keogh/.test(hint);
  const bySpecies = Object.values(DATASETS).find((d) => d.numSpecies === numSpecies);
  if (bySpecies !== undefined) {
    if (potamitisHint && bySpecies.name !== 'potamitis') return undefined;
    if (keoghHint && bySpecies.name === 'potamitis') return undefined;
    return bySpecies;
  }
  if (numSpecies === undefined) {
    if (potamitisHint) return DATASETS.potamitis;
    if (/keogh[_-]?7/.test(hint)) return DATASETS['keogh-7'];
    if (keoghHint) return DATASETS['keogh-9'];
  }
  return undefined;
}

/** Labels per head name for a data set (`species`, `genus`), omitting what is not recorded. */
export function datasetLabels(dataset: DatasetInfo | undefined): Record<string, string[]> {
  const labels: Record<string, string[]> = {};
  if (dataset?.species !== undefined) labels.species = [...dataset.species];
  if (dataset?.genera !== undefined) labels.genus = [...dataset.genera];
  return labels;
}
