/** The data-set report's tables of group attributions (`--groups`): per group method, one row per class, one column per group. */
import type { ReportSection } from '../render/html-report.js';
import { mergeNames, type DatasetSummary } from './summarize.js';

const GROUPING_TEXT = { label: 'true class', predicted: 'predicted class' } as const;

/**
 * The report sections of the summary's group values (none without group methods): per method, the classes by true
 * label (by predicted class when the data set has no labels) as rows and the groups as columns, each cell the mean
 * group value ± its standard deviation (and how many examples have the group when not all do).
 */
export function groupValuesSections(summary: DatasetSummary): ReportSection[] {
  const all = summary.groups ?? [];
  const by = all.some((g) => g.by === 'label') ? 'label' : 'predicted';
  const sections: ReportSection[] = [];
  for (const method of summary.methods) {
    const members = all.filter((g) => g.by === by && g.method === method);
    if (members.length === 0) continue;
    const names: string[] = [];
    for (const g of members) mergeNames(names, g.names);
    const harmonic = members.some((g) => g.meanF0Hz !== null);
    sections.push({
      title: `Group attributions · ${method} · per ${GROUPING_TEXT[by]}`,
      text:
        `Each cell is the mean value of one group (the ${method} attribution of the whole group) over the examples of ` +
        'one class, ± its standard deviation' +
        (harmonic
          ? "; harmonic groups follow each recording's own f0, so 2f0 is the second harmonic of every example"
          : '') +
        ". (n) counts the examples that have the group when not all of them do. The table's groupNames and groupAttributions columns hold every example's values.",
      table: {
        columns: ['class', 'examples', ...(harmonic ? ['mean f0 (Hz)'] : []), ...names],
        rows: members.map((g) => [
          g.label,
          g.examples,
          ...(harmonic ? [g.meanF0Hz === null ? '–' : g.meanF0Hz.toFixed(0)] : []),
          ...names.map((name) => {
            const i = g.names.indexOf(name);
            if (i < 0) return '–';
            const n = g.counts[i] < g.examples ? ` (${g.counts[i]})` : '';
            return `${g.mean[i].toPrecision(3)} ± ${g.std[i].toPrecision(2)}${n}`;
          }),
        ]),
      },
    });
  }
  return sections;
}
