/**
 * Class-wise summaries of a data-set table, computed from its rows in passes so memory stays bounded however large the
 * table: per class (true label and predicted class) and method the mean, standard deviation, median, quartiles and
 * inter-quartile range of the heatmaps at every position, the mean model input, the strongest frequency bands (PSD) or
 * time-frequency cells (spectrograms), the accuracy and the confusion matrix, and the examples that failed. Universal.
 */
import { WingbeatsError } from '../util/errors.js';
import { quantileOfSorted } from '../uncertainty/quantile-maps.js';
import { topRegions, type HeatmapAxis, type TopRegion } from './axis.js';
import { comparePaths } from './examples.js';
import type { DatasetRow } from './table.js';
import { warningKind, type InputWarningKind } from '../summary/input-notes.js';
import {
  HARMONIC_GRID_STEP,
  MAX_HARMONIC,
  exampleFundamental,
  harmonicGrid,
  harmonicProfile,
} from './harmonic-profile.js';

/** How a class summary groups examples: by true label or by predicted class. */
export type SummaryGrouping = 'label' | 'predicted';

/** The summary of one class under one method. */
export interface ClassSummary {
  /** The class (a label or a predicted class name). */
  label: string;
  by: SummaryGrouping;
  method: string;
  /** Examples explained (rows without error). */
  count: number;
  /** Of those, how many lie far outside the model's training range (an out-of-range warning), and their share. */
  outOfRange: number;
  outOfRangeShare: number;
  /** Per heatmap position: mean, population standard deviation, quartiles (NumPy's linear rule) and q75 − q25. */
  mean: number[];
  std: number[];
  median: number[];
  q25: number[];
  q75: number[];
  iqr: number[];
  /** Mean model input of the class (e.g. its mean PSD in dB). */
  meanInput: number[];
  /** Strongest positions of the mean heatmap, with Hz (and seconds) where the preset is known. */
  top: TopRegion[];
}

/**
 * What separates two species for the model: for one cell off the confusion matrix's diagonal (examples of class
 * `label` predicted as `predicted`) and one method, the mean over those examples of their contrastive maps of
 * score(predicted) − score(label) (see `DatasetRow.contrastMap`: each example's map summed over channels and divided by
 * its largest |value|, so every example weighs the same). Positive positions pushed the model towards the predicted
 * class and away from the true one; negative positions held it towards the true class.
 */
export interface ContrastSummary {
  /** The true class. */
  label: string;
  /** The class the model predicted instead. */
  predicted: string;
  method: string;
  /** Examples averaged (the cell's count, for methods that explain a margin). */
  count: number;
  /** Per heatmap position, the mean normalised contrastive map (in [−1, 1]). */
  mean: number[];
  /** Strongest positions for the predicted class (largest mean), and for the true class (most negative mean). */
  towardsPredicted: TopRegion[];
  towardsLabel: TopRegion[];
}

/**
 * A class's harmonic profile under one method: the mean over its examples of their heatmaps on the f0-normalised axis
 * (harmonic number h = f / f0, each example's own f0; see `exampleHarmonicProfile`).
 */
export interface HarmonicProfileSummary {
  /** The class (a label or a predicted class name) and how examples are grouped, as in {@link ClassSummary}. */
  label: string;
  by: SummaryGrouping;
  method: string;
  /** Examples with an f0 (averaged), and explained examples without one (left out). */
  examples: number;
  withoutF0: number;
  /** Mean and standard deviation of their f0 (Hz); null without examples. */
  meanF0Hz: number | null;
  stdF0Hz: number | null;
  /** Per harmonic number of `harmonics.grid`: the mean relevance over the examples whose axis reaches it (null: none). */
  mean: (number | null)[];
  /** How many examples reach each harmonic number (f0·h within the frequency axis). */
  counts: number[];
  /** The profile at the harmonics themselves, h = 1, 2, …, 10 (null where no example reaches it). */
  atHarmonics: (number | null)[];
}

/**
 * A class's group attributions under one group method (`--groups`): per group name, the mean and standard deviation of
 * the group's value over the class's examples that have that group (harmonic groups follow each example's f0, so a
 * high harmonic may exist for some examples only: `counts`).
 */
export interface GroupValuesSummary {
  /** The class (a label or a predicted class name) and how examples are grouped, as in {@link ClassSummary}. */
  label: string;
  by: SummaryGrouping;
  method: string;
  /** Examples with group values. */
  examples: number;
  /** The group names, in the order the examples list them ('below f0', 'f0', '2f0', …, 'between harmonics'). */
  names: string[];
  /** Per group: the mean value, the population standard deviation, and how many examples have it. */
  mean: number[];
  std: number[];
  counts: number[];
  /** `harmonics`: the mean f0 (Hz) of the examples that have one; null otherwise. */
  meanF0Hz: number | null;
}

/** The summary of a whole table. */
export interface DatasetSummary {
  /** Distinct examples (path, index) and how many of them failed. */
  examples: number;
  errors: number;
  methods: string[];
  heatmapShape: number[];
  axis: HeatmapAxis;
  classes: ClassSummary[];
  /**
   * Fraction of labelled, explained examples whose predicted class equals the label (null without labels), over the
   * examples whose label is a class of the model (when the model's classes are known; see `labelsOutsideModel`).
   */
  accuracy: number | null;
  /** Counts of (label, predicted) over the same examples as `accuracy` (null without labels). */
  confusion: { labels: string[]; predicted: string[]; counts: number[][] } | null;
  /**
   * Per off-diagonal cell of the confusion matrix with at least one example, and per method that explains a margin:
   * the mean contrastive map, score(predicted) − score(label) (see {@link ContrastSummary}); sorted by label, predicted
   * class and method. Empty without labels or misclassifications.
   */
  contrasts: ContrastSummary[];
  /**
   * Harmonic profiles per class (by true label and by predicted class) and method, on the grid of harmonic numbers
   * 0, 0.05, …, 10 (see {@link HarmonicProfileSummary}); null when the heatmaps have no frequency axis.
   */
  harmonics: { grid: number[]; profiles: HarmonicProfileSummary[] } | null;
  /**
   * Group methods (`--groups`): per class (by true label and by predicted class) and group method, the mean value of
   * each group (see {@link GroupValuesSummary}); sorted as `classes`. Empty when no row has group values.
   */
  groups: GroupValuesSummary[];
  /** Labels that are not classes of the model, with their explained examples: kept out of `accuracy` and `confusion`. */
  labelsOutsideModel: { label: string; examples: number }[];
  /** Examples (all, explained or not) with warnings about their input: any, and of each kind (see `warningKind`). */
  warnings: { examples: number } & Record<InputWarningKind, number>;
  /** The failed examples: path, index and the error (the first 1000). */
  failed: { path: string; index: number; error: string }[];
}

/** Options of {@link summarizeTable}. */
export interface SummarizeOptions {
  heatmapShape: number[];
  axis: HeatmapAxis;
  /** How many top regions per class (default 5). */
  top?: number;
  /** The explained head's class names; labels outside them are listed apart and kept out of the accuracy. */
  classes?: readonly string[] | null;
  /** Largest number of heatmap values held at once for the quantiles (default 2^26, 256 MB); more means more passes. */
  memoryValues?: number;
}

/** Visits every row of the table once, in table order; called once per pass. */
export type TableScan = (visit: (row: DatasetRow) => void) => Promise<void>;

interface Group {
  label: string;
  by: SummaryGrouping;
  method: string;
  count: number;
  outOfRange: number;
  sum: Float64Array;
  sumSquares: Float64Array;
  inputSum: Float64Array | null;
  values: Float32Array[];
  harmonic: {
    sum: Float64Array;
    count: Float64Array;
    examples: number;
    withoutF0: number;
    f0: number;
    f0Squares: number;
  };
  /** Group methods: per group name its sum, sum of squares and count; the names in order; f0 sum and count. */
  groupValues: {
    names: string[];
    sum: Map<string, number>;
    sumSquares: Map<string, number>;
    count: Map<string, number>;
    examples: number;
    f0: number;
    f0Count: number;
  };
}

/**
 * Adds `names` to the ordered list `order`, keeping the order of both: a name not yet listed goes right after the
 * name before it in `names` (so 'below f0, f0, 2f0, between' then 'below f0, f0, 2f0, 3f0, between' lists 3f0 after 2f0).
 */
export function mergeNames(order: string[], names: readonly string[]): void {
  names.forEach((name, i) => {
    if (order.includes(name)) return;
    const after = i === 0 ? -1 : order.indexOf(names[i - 1]);
    order.splice(after + 1, 0, name);
  });
}

const MAX_FAILED = 1000;

/**
 * Summarises a table from scans of its rows (a first pass for counts, means and spreads, then as many passes as the
 * memory budget needs for exact quantiles over blocks of positions).
 *
 * @param scan - Visits every row once per call (e.g. reading the Parquet file row group by row group).
 * @param options - {@link SummarizeOptions}: `heatmapShape`, `axis`, `top` (5), `memoryValues` (2^26).
 * @returns The {@link DatasetSummary}; classes sorted by grouping, label and method.
 * @throws WingbeatsError `SHAPE_MISMATCH` when a heatmap does not have the size of `heatmapShape`.
 */
export async function summarizeTable(scan: TableScan, options: SummarizeOptions): Promise<DatasetSummary> {
  const size = options.heatmapShape.reduce((a, b) => a * b, 1);
  const groups = new Map<string, Group>();
  const grid = harmonicGrid();
  const frequencyAxis = options.axis.kind !== 'index';
  // f0 depends on the example's input only: estimated once per example (its rows of every method are adjacent).
  let f0Of: { key: string; f0: number | undefined } | undefined;
  const methods: string[] = [];
  const examples = new Set<string>();
  const failed: DatasetSummary['failed'] = [];
  const failedKeys = new Set<string>();
  const confusion = new Map<string, Map<string, number>>();
  const contrastSums = new Map<
    string,
    { label: string; predicted: string; method: string; count: number; sum: Float64Array }
  >();
  const groupOf = (by: SummaryGrouping, label: string, method: string): Group => {
    const key = JSON.stringify([by, label, method]);
    let group = groups.get(key);
    if (group === undefined) {
      group = {
        label,
        by,
        method,
        count: 0,
        outOfRange: 0,
        sum: new Float64Array(size),
        sumSquares: new Float64Array(size),
        inputSum: null,
        values: [],
        harmonic: {
          sum: new Float64Array(grid.length),
          count: new Float64Array(grid.length),
          examples: 0,
          withoutF0: 0,
          f0: 0,
          f0Squares: 0,
        },
        groupValues: {
          names: [],
          sum: new Map(),
          sumSquares: new Map(),
          count: new Map(),
          examples: 0,
          f0: 0,
          f0Count: 0,
        },
      };
      groups.set(key, group);
    }
    return group;
  };
  const groupsOfRow = (row: DatasetRow): Group[] => [
    ...(row.label === null ? [] : [groupOf('label', row.label, row.method)]),
    ...(row.predicted === null ? [] : [groupOf('predicted', row.predicted, row.method)]),
  ];
  let explainedRows = 0;
  const modelClasses = options.classes === undefined || options.classes === null ? null : new Set(options.classes);
  const outside = new Map<string, number>();
  const warnings: DatasetSummary['warnings'] = {
    examples: 0,
    'out-of-range': 0,
    'resampled-up': 0,
    'forced-preset': 0,
    other: 0,
  };
  await scan((row) => {
    const key = `${row.path}#${row.index}`;
    if (!methods.includes(row.method)) methods.push(row.method);
    if (!examples.has(key) && row.warnings.length > 0) {
      warnings.examples++;
      for (const kind of new Set(row.warnings.map(warningKind))) warnings[kind]++;
    }
    examples.add(key);
    if (row.error !== null || row.heatmap === null) {
      if (!failedKeys.has(key)) {
        failedKeys.add(key);
        if (failed.length < MAX_FAILED)
          failed.push({ path: row.path, index: row.index, error: row.error ?? 'no heatmap' });
      }
      return;
    }
    if (row.heatmap.length !== size) {
      throw new WingbeatsError(
        'SHAPE_MISMATCH',
        `The heatmap of '${key}' (${row.method}) has ${row.heatmap.length} values but the table's heatmaps have shape [${options.heatmapShape.join(', ')}].`,
      );
    }
    explainedRows++;
    if (row.method === methods[0] && row.label !== null && modelClasses !== null && !modelClasses.has(row.label)) {
      outside.set(row.label, (outside.get(row.label) ?? 0) + 1);
    } else if (row.method === methods[0] && row.label !== null && row.predicted !== null) {
      const counts = confusion.get(row.label) ?? new Map<string, number>();
      counts.set(row.predicted, (counts.get(row.predicted) ?? 0) + 1);
      confusion.set(row.label, counts);
    }
    if (
      row.contrastMap !== undefined &&
      row.contrastMap !== null &&
      row.contrastMap.length === size &&
      row.label !== null &&
      row.predicted !== null
    ) {
      const key = JSON.stringify([row.label, row.predicted, row.method]);
      let cell = contrastSums.get(key);
      if (cell === undefined) {
        cell = {
          label: row.label,
          predicted: row.predicted,
          method: row.method,
          count: 0,
          sum: new Float64Array(size),
        };
        contrastSums.set(key, cell);
      }
      cell.count++;
      for (let i = 0; i < size; i++) cell.sum[i] += row.contrastMap[i];
    }
    const outOfRange = row.warnings.some((w) => warningKind(w) === 'out-of-range');
    let harmonic: { f0: number; profile: Float64Array } | undefined;
    if (frequencyAxis && row.input !== null) {
      if (f0Of?.key !== key) f0Of = { key, f0: exampleFundamental(row.input, options.axis) };
      if (f0Of.f0 !== undefined)
        harmonic = { f0: f0Of.f0, profile: harmonicProfile(row.heatmap, options.axis, f0Of.f0) };
    }
    for (const group of groupsOfRow(row)) {
      if (harmonic === undefined) group.harmonic.withoutF0++;
      else {
        const h = group.harmonic;
        h.examples++;
        h.f0 += harmonic.f0;
        h.f0Squares += harmonic.f0 * harmonic.f0;
        harmonic.profile.forEach((v, i) => {
          if (Number.isNaN(v)) return;
          h.sum[i] += v;
          h.count[i]++;
        });
      }
      const names = row.groupNames;
      const values = row.groupAttributions;
      if (names !== undefined && names !== null && values !== undefined && values !== null) {
        const g = group.groupValues;
        g.examples++;
        mergeNames(g.names, names);
        names.forEach((name, i) => {
          const v = values[i];
          g.sum.set(name, (g.sum.get(name) ?? 0) + v);
          g.sumSquares.set(name, (g.sumSquares.get(name) ?? 0) + v * v);
          g.count.set(name, (g.count.get(name) ?? 0) + 1);
        });
        if (row.f0Hz !== undefined && row.f0Hz !== null) {
          g.f0 += row.f0Hz;
          g.f0Count++;
        }
      }
      group.count++;
      if (outOfRange) group.outOfRange++;
      for (let i = 0; i < size; i++) {
        const v = row.heatmap[i];
        group.sum[i] += v;
        group.sumSquares[i] += v * v;
      }
      if (row.input !== null) {
        group.inputSum ??= new Float64Array(row.input.length);
        for (let i = 0; i < row.input.length; i++) group.inputSum[i] += row.input[i];
      }
    }
  });

  const quantiles = new Map<Group, { median: number[]; q25: number[]; q75: number[] }>();
  for (const group of groups.values())
    quantiles.set(group, { median: new Array(size), q25: new Array(size), q75: new Array(size) });
  const budget = options.memoryValues ?? 2 ** 26;
  const block = Math.max(1, Math.min(size, Math.floor(budget / Math.max(1, 2 * explainedRows))));
  for (let start = 0; start < size && explainedRows > 0; start += block) {
    const end = Math.min(size, start + block);
    for (const group of groups.values()) group.values = [];
    await scan((row) => {
      if (row.error !== null || row.heatmap === null) return;
      const slice = Float32Array.from(row.heatmap.slice(start, end));
      for (const group of groupsOfRow(row)) group.values.push(slice);
    });
    for (const group of groups.values()) {
      const out = quantiles.get(group) as { median: number[]; q25: number[]; q75: number[] };
      const column = new Float64Array(group.values.length);
      for (let p = start; p < end; p++) {
        group.values.forEach((values, i) => (column[i] = values[p - start]));
        column.sort();
        out.q25[p] = quantileOfSorted(column, 0.25);
        out.median[p] = quantileOfSorted(column, 0.5);
        out.q75[p] = quantileOfSorted(column, 0.75);
      }
      group.values = [];
    }
  }

  const sortedGroups = [...groups.values()].sort(
    (a, b) =>
      (a.by === b.by ? 0 : a.by === 'label' ? -1 : 1) ||
      comparePaths(a.label, b.label) ||
      methods.indexOf(a.method) - methods.indexOf(b.method),
  );
  const classes = sortedGroups.map((group): ClassSummary => {
    const mean = Array.from(group.sum, (s) => s / group.count);
    const std = Array.from(group.sumSquares, (s, i) => Math.sqrt(Math.max(0, s / group.count - mean[i] * mean[i])));
    const { median, q25, q75 } = quantiles.get(group) as { median: number[]; q25: number[]; q75: number[] };
    return {
      label: group.label,
      by: group.by,
      method: group.method,
      count: group.count,
      outOfRange: group.outOfRange,
      outOfRangeShare: group.count === 0 ? 0 : group.outOfRange / group.count,
      mean,
      std,
      median,
      q25,
      q75,
      iqr: q75.map((v, i) => v - q25[i]),
      meanInput: group.inputSum === null ? [] : Array.from(group.inputSum, (s) => s / group.count),
      top: topRegions(mean, options.axis, options.top ?? 5),
    };
  });
  const harmonicProfiles = sortedGroups.map((group): HarmonicProfileSummary => {
    const h = group.harmonic;
    const meanF0 = h.examples === 0 ? null : h.f0 / h.examples;
    const mean = Array.from(h.sum, (s, i) => (h.count[i] === 0 ? null : s / h.count[i]));
    return {
      label: group.label,
      by: group.by,
      method: group.method,
      examples: h.examples,
      withoutF0: h.withoutF0,
      meanF0Hz: meanF0,
      stdF0Hz: meanF0 === null ? null : Math.sqrt(Math.max(0, h.f0Squares / h.examples - meanF0 * meanF0)),
      mean,
      counts: Array.from(h.count),
      atHarmonics: Array.from({ length: MAX_HARMONIC }, (_, k) => mean[Math.round((k + 1) / HARMONIC_GRID_STEP)]),
    };
  });
  const groupValues = sortedGroups
    .filter((group) => group.groupValues.examples > 0)
    .map((group): GroupValuesSummary => {
      const g = group.groupValues;
      const mean = g.names.map((name) => (g.sum.get(name) ?? 0) / (g.count.get(name) ?? 1));
      return {
        label: group.label,
        by: group.by,
        method: group.method,
        examples: g.examples,
        names: [...g.names],
        mean,
        std: g.names.map((name, i) =>
          Math.sqrt(Math.max(0, (g.sumSquares.get(name) ?? 0) / (g.count.get(name) ?? 1) - mean[i] * mean[i])),
        ),
        counts: g.names.map((name) => g.count.get(name) ?? 0),
        meanF0Hz: g.f0Count === 0 ? null : g.f0 / g.f0Count,
      };
    });
  const labels = [...confusion.keys()].sort(comparePaths);
  const predicted = [...new Set([...confusion.values()].flatMap((m) => [...m.keys()]))].sort(comparePaths);
  const counts = labels.map((l) => predicted.map((p) => confusion.get(l)?.get(p) ?? 0));
  const labelled = counts.flat().reduce((a, b) => a + b, 0);
  const correct = labels.reduce((total, l) => total + (confusion.get(l)?.get(l) ?? 0), 0);
  return {
    examples: examples.size,
    errors: failedKeys.size,
    methods,
    heatmapShape: options.heatmapShape,
    axis: options.axis,
    classes,
    accuracy: labelled === 0 ? null : correct / labelled,
    confusion: labelled === 0 ? null : { labels, predicted, counts },
    harmonics: frequencyAxis ? { grid, profiles: harmonicProfiles } : null,
    groups: groupValues,
    contrasts: [...contrastSums.values()]
      .sort(
        (a, b) =>
          comparePaths(a.label, b.label) ||
          comparePaths(a.predicted, b.predicted) ||
          methods.indexOf(a.method) - methods.indexOf(b.method),
      )
      .map((cell): ContrastSummary => {
        const mean = Array.from(cell.sum, (s) => s / cell.count);
        const count = options.top ?? 5;
        return {
          label: cell.label,
          predicted: cell.predicted,
          method: cell.method,
          count: cell.count,
          mean,
          towardsPredicted: topRegions(mean, options.axis, count),
          towardsLabel: topRegions(
            mean.map((v) => -v),
            options.axis,
            count,
          ).map((region) => ({ ...region, value: -region.value })),
        };
      }),
    labelsOutsideModel: [...outside.entries()]
      .sort((a, b) => comparePaths(a[0], b[0]))
      .map(([label, n]) => ({ label, examples: n })),
    warnings,
    failed,
  };
}
