/**
 * The data-set report's contrast section: for every pair of true and predicted classes the confusion matrix shows off
 * its diagonal, the mean contrastive map score(predicted) − score(true) along frequency — "what separates these two
 * species for this model" — one signed line per pair and method, with the strongest bands each way. Universal.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ReportSection } from '../render/html-report.js';
import { renderChartSvg } from '../render/chart-svg.js';
import { seriesChart } from '../render/series-chart.js';
import type { HeatmapAxis, TopRegion } from './axis.js';
import type { ContrastSummary, DatasetSummary } from './summarize.js';

/** A map along frequency (spectrograms: averaged over time) with its x values and axis title. */
export function frequencyProfile(
  axis: HeatmapAxis,
  values: readonly number[],
): { x: number[]; values: number[]; xTitle: string } {
  if (axis.kind === 'psd') return { x: axis.hz, values: [...values], xTitle: 'Frequency (Hz)' };
  if (axis.kind === 'spectrogram') {
    const frames = axis.frameSeconds.length;
    return {
      x: axis.rowHz,
      values: axis.rowHz.map((_, r) => values.slice(r * frames, (r + 1) * frames).reduce((a, b) => a + b, 0) / frames),
      xTitle: 'Frequency (Hz)',
    };
  }
  return { x: values.map((_, i) => i), values: [...values], xTitle: 'Position' };
}

/** The pair's name in the chart: `true → predicted`. */
export function pairName(contrast: Pick<ContrastSummary, 'label' | 'predicted'>): string {
  return `${contrast.label} → ${contrast.predicted}`;
}

/**
 * The Vega-Lite spec of the contrast maps of one method: one line per (true → predicted) pair over frequency, a rule
 * at 0; above 0 the evidence for the predicted class, below it the evidence for the true class.
 */
export function contrastMapSpec(axis: HeatmapAxis, contrasts: readonly ContrastSummary[], title: string): TopLevelSpec {
  const rows = contrasts.flatMap((c) => {
    const profile = frequencyProfile(axis, c.mean);
    return profile.x.map((x, i) => ({ x, value: profile.values[i], pair: `${pairName(c)} (${c.count})` }));
  });
  const xTitle = frequencyProfile(axis, contrasts[0]?.mean ?? []).xTitle;
  return seriesChart({
    title,
    subtitle: 'above 0: evidence for the predicted class over the true one; below 0: for the true class',
    rows,
    x: { field: 'x', title: xTitle, scale: { nice: false, zero: false }, format: '.0f' },
    yTitle: 'Mean contrast, score(predicted) − score(true)',
    series: { field: 'pair', title: 'true → predicted (examples)' },
    over: [
      {
        data: { values: [{ y: 0 }] },
        mark: { type: 'rule', color: '#777777', strokeDash: [4, 3] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  });
}

function bandText(region: TopRegion): string {
  const where =
    region.hz === undefined
      ? `position ${region.position}`
      : `${region.lowHz?.toFixed(0)}–${region.highHz?.toFixed(0)} Hz${region.seconds === undefined ? '' : ` at ${region.seconds.toFixed(3)} s`}`;
  return `${where} (${region.value >= 0 ? '+' : ''}${region.value.toFixed(2)})`;
}

/**
 * The report sections of the summary's contrast maps (none when the summary has none): per method a chart of every
 * off-diagonal pair's mean contrastive map and a table of the strongest bands for each side.
 */
export async function contrastMapSections(summary: DatasetSummary): Promise<ReportSection[]> {
  const contrasts = summary.contrasts ?? [];
  const sections: ReportSection[] = [];
  for (const method of summary.methods) {
    const members = contrasts.filter((c) => c.method === method);
    if (members.length === 0) continue;
    sections.push({
      title: `What separates the confused species · ${method}`,
      text:
        'For every pair of true and predicted classes that the confusion matrix shows off its diagonal: the mean over ' +
        'those examples of the contrastive map of score(predicted) − score(true), each example normalised by its ' +
        'largest |value|' +
        (summary.axis.kind === 'spectrogram' ? ', averaged over time in the chart' : '') +
        '. Evidence both classes share cancels; what is left is what made the model choose the wrong species.',
      figures: [
        {
          image: {
            svg: await renderChartSvg(
              contrastMapSpec(summary.axis, members, `Contrast maps of the confusions · ${method}`),
            ),
          },
          caption: `${method}: one line per confusion (true → predicted, number of examples).`,
        },
      ],
      table: {
        columns: ['true → predicted', 'examples', 'for the predicted class', 'for the true class'],
        rows: members.map((c) => [
          pairName(c),
          c.count,
          c.towardsPredicted
            .filter((r) => r.value > 0)
            .map(bandText)
            .join(' · '),
          c.towardsLabel
            .filter((r) => r.value < 0)
            .map(bandText)
            .join(' · '),
        ]),
      },
    });
  }
  return sections;
}
