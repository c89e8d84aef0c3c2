/**
 * The data-set report's harmonic section: per method, each species' mean relevance over the harmonic number
 * h = f / f0 (every example on its own f0), one line per species, with a table of f0 and the relevance at the first
 * harmonics. Universal.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportSection } from '../render/html-report.js';
import { renderChartSvg } from '../render/chart-svg.js';
import { seriesChart } from '../render/series-chart.js';
import { MAX_HARMONIC } from './harmonic-profile.js';
import type { DatasetSummary, HarmonicProfileSummary } from './summarize.js';

const GROUPING_TEXT = { label: 'true class', predicted: 'predicted class' } as const;

/** The Vega-Lite spec of harmonic profiles: one line per class over the harmonic number, a rule at every harmonic. */
export function harmonicProfileSpec(
  grid: readonly number[],
  profiles: readonly HarmonicProfileSummary[],
  title: string,
): TopLevelSpec {
  const rows = profiles.flatMap((p) =>
    grid.flatMap((h, i) => {
      const value = p.mean[i];
      return value === null ? [] : [{ h, value, label: `${p.label} (${p.examples}, f0 ${p.meanF0Hz?.toFixed(0)} Hz)` }];
    }),
  );
  return seriesChart({
    title,
    subtitle: 'each example on its own f0: 1 = f0, 2 = 2f0, …; 0.5 = half of f0',
    rows,
    x: {
      field: 'h',
      title: 'Harmonic number (frequency / f0)',
      scale: { domain: [0, MAX_HARMONIC], nice: false },
      tickCount: MAX_HARMONIC,
      format: '.2f',
    },
    yTitle: 'Mean heatmap',
    series: { field: 'label', title: 'Class (examples, mean f0)' },
    under: [
      {
        data: { values: Array.from({ length: MAX_HARMONIC }, (_, k) => ({ h: k + 1 })) },
        mark: { type: 'rule', color: '#bbbbbb', strokeDash: [2, 3] },
        encoding: { x: { field: 'h', type: 'quantitative' } },
      },
    ],
  });
}

/**
 * The report sections of the summary's harmonic profiles (none without a frequency axis): per method, the classes by
 * true label (by predicted class when the data set has no labels) on one chart and a table of f0 and the relevance at
 * f0 … 5f0.
 */
export async function harmonicProfileSections(summary: DatasetSummary): Promise<ReportSection[]> {
  const harmonics = summary.harmonics;
  if (harmonics === null || harmonics === undefined) return [];
  const by = harmonics.profiles.some((p) => p.by === 'label') ? 'label' : 'predicted';
  const sections: ReportSection[] = [];
  for (const method of summary.methods) {
    const members = harmonics.profiles.filter((p) => p.by === by && p.method === method && p.examples > 0);
    if (members.length === 0) continue;
    const shown = Math.min(5, MAX_HARMONIC);
    sections.push({
      title: `Harmonic profiles · ${method} · per ${GROUPING_TEXT[by]}`,
      text:
        "Each example's heatmap is read along frequency in units of its own fundamental frequency f0 (estimated from " +
        'its spectrum by subharmonic summation), so species and individuals with different wingbeat frequencies line ' +
        'up harmonic by harmonic; each line is the mean over one class' +
        (summary.axis.kind === 'spectrogram' ? ' (heatmaps averaged over time)' : '') +
        '. Examples without a clear f0 are left out (counted in the table).',
      figures: [
        {
          image: {
            svg: await renderChartSvg(
              harmonicProfileSpec(
                harmonics.grid,
                members,
                `Relevance per harmonic · ${method} · per ${GROUPING_TEXT[by]}`,
              ),
            ),
          },
          caption: `${method}: mean heatmap over the harmonic number, one line per ${GROUPING_TEXT[by]}.`,
        },
      ],
      table: {
        columns: [
          'class',
          'examples with f0',
          'without f0',
          'f0 (Hz, mean ± sd)',
          ...Array.from({ length: shown }, (_, k) => (k === 0 ? 'at f0' : `at ${k + 1}f0`)),
        ],
        rows: members.map((p) => [
          p.label,
          p.examples,
          p.withoutF0,
          `${p.meanF0Hz?.toFixed(0)} ± ${p.stdF0Hz?.toFixed(0)}`,
          ...p.atHarmonics.slice(0, shown).map((v) => (v === null ? '–' : v.toFixed(3))),
        ]),
      },
    });
  }
  return sections;
}
