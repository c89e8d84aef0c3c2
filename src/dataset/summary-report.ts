/**
 * The HTML report of a data-set summary, for a biologist at a glance: per species, the mean attribution over the mean
 * input with its inter-quartile spread along frequency in Hz and the strongest bands; one chart comparing all species;
 * accuracy, confusion matrix and the examples that failed. Universal (charts render to SVG with Vega).
 */
import type { ReportData, ReportFigure, ReportItem, ReportSection } from '../render/html-report.js';
import { renderChartSvg } from '../render/chart-svg.js';
import { classComparisonSpec, classProfileSpec, type ClassProfile } from '../render/class-summary-chart.js';
import { spectrogramExplanationSpec } from '../render/spectrogram-chart.js';
import { gridFromImage } from '../render/grid.js';
import type { ClassSummary, DatasetSummary } from './summarize.js';
import type { DatasetRunSettings } from './settings.js';
import type { TopRegion } from './axis.js';

/** A class's values along frequency (spectrograms: averaged over time) and the x axis. */
function profileOf(summary: DatasetSummary, group: ClassSummary): ClassProfile & { xTitle: string } {
  const axis = summary.axis;
  if (axis.kind === 'psd')
    return {
      x: axis.hz,
      mean: group.mean,
      q25: group.q25,
      median: group.median,
      q75: group.q75,
      meanInput: group.meanInput,
      xTitle: 'Frequency (Hz)',
    };
  if (axis.kind === 'spectrogram') {
    const frames = axis.frameSeconds.length;
    const overTime = (values: number[]): number[] =>
      axis.rowHz.map((_, r) => values.slice(r * frames, (r + 1) * frames).reduce((a, b) => a + b, 0) / frames);
    return {
      x: axis.rowHz,
      mean: overTime(group.mean),
      q25: overTime(group.q25),
      median: overTime(group.median),
      q75: overTime(group.q75),
      xTitle: 'Frequency (Hz)',
    };
  }
  return {
    x: group.mean.map((_, i) => i),
    mean: group.mean,
    q25: group.q25,
    median: group.median,
    q75: group.q75,
    meanInput: group.meanInput.length === group.mean.length ? group.meanInput : undefined,
    xTitle: 'Position',
  };
}

function regionText(region: TopRegion): string {
  if (region.hz === undefined) return `position ${region.position}`;
  const band = `${region.lowHz?.toFixed(0)}–${region.highHz?.toFixed(0)} Hz`;
  return region.seconds === undefined ? band : `${band} at ${region.seconds.toFixed(3)} s`;
}

async function classFigures(
  summary: DatasetSummary,
  group: ClassSummary,
  settings: DatasetRunSettings,
): Promise<ReportFigure[]> {
  const profile = profileOf(summary, group);
  const figures: ReportFigure[] = [
    {
      image: {
        svg: await renderChartSvg(
          classProfileSpec(profile, {
            title: `${group.label} · ${group.method}`,
            subtitle: `${group.count} examples`,
            xTitle: profile.xTitle,
            inputTitle: 'Mean input',
          }),
        ),
      },
      caption: `${group.method}: mean heatmap (orange), median (dashed) and inter-quartile range (band)${summary.axis.kind === 'spectrogram' ? ', averaged over time' : ''}${profile.meanInput !== undefined ? ', under the mean input' : ''}.`,
    },
  ];
  const axis = summary.axis;
  if (axis.kind === 'spectrogram' && group.meanInput.length === settings.model.inputShape.reduce((a, b) => a * b, 1)) {
    const frames = axis.frameSeconds.length;
    const spec = spectrogramExplanationSpec(
      {
        spectrogram: gridFromImage(group.meanInput, settings.model.inputShape),
        attribution: { values: group.mean, rows: axis.rowHz.length, cols: frames },
        frequencyRange: [axis.rowHz[axis.rowHz.length - 1], axis.rowHz[0]],
        timeRange: [axis.frameSeconds[0], axis.frameSeconds[frames - 1]],
        title: `${group.label} · ${group.method}: mean heatmap over the mean input`,
      },
      { layout: 'overlay' },
    );
    figures.push({
      image: { svg: await renderChartSvg(spec) },
      caption: 'Mean heatmap laid over the mean spectrogram.',
    });
  }
  return figures;
}

/**
 * Builds the report of `summary` (render it with `renderReport`).
 *
 * @returns The {@link ReportData}: one item per class (by label when the data set has labels, else by predicted class).
 */
export async function datasetReport(summary: DatasetSummary, settings: DatasetRunSettings): Promise<ReportData> {
  const by = summary.classes.some((c) => c.by === 'label') ? 'label' : 'predicted';
  const groups = summary.classes.filter((c) => c.by === by);
  const labels = [...new Set(groups.map((c) => c.label))];
  const items: ReportItem[] = [];
  for (const label of labels) {
    const explanations: ReportFigure[] = [];
    const rows: (string | number)[][] = [];
    for (const group of groups.filter((c) => c.label === label)) {
      explanations.push(...(await classFigures(summary, group, settings)));
      rows.push([
        group.method,
        group.count,
        group.top.map((region) => `${regionText(region)} (${region.value.toFixed(2)})`).join(' · '),
      ]);
    }
    items.push({
      name: `${label} (${by === 'label' ? 'true class' : 'predicted class'})`,
      explanations,
      sections: [
        {
          title: 'Strongest bands of the mean heatmap',
          table: { columns: ['method', 'examples', 'strongest first (mean heatmap)'], rows },
        },
      ],
    });
  }
  const sections: ReportSection[] = [];
  for (const method of summary.methods) {
    const classes = groups
      .filter((c) => c.method === method)
      .map((c) => ({ label: c.label, values: profileOf(summary, c).mean }));
    if (classes.length === 0) continue;
    const x = profileOf(summary, groups.find((c) => c.method === method) as ClassSummary);
    sections.push({
      title: `All classes compared · ${method}`,
      figures: [
        {
          image: {
            svg: await renderChartSvg(
              classComparisonSpec(x.x, classes, {
                title: `Mean heatmap per ${by === 'label' ? 'species' : 'predicted class'} · ${method}`,
                xTitle: x.xTitle,
              }),
            ),
          },
          caption: "Each line is one class's mean heatmap.",
        },
      ],
    });
  }
  if (summary.confusion !== null) {
    const { labels: trueLabels, predicted, counts } = summary.confusion;
    sections.push({
      title: `Accuracy ${((summary.accuracy ?? 0) * 100).toFixed(1)} % · confusion matrix`,
      text: 'Rows: true class; columns: predicted class.',
      table: { columns: ['true \\ predicted', ...predicted], rows: trueLabels.map((l, i) => [l, ...counts[i]]) },
    });
  }
  if (summary.errors > 0) {
    sections.push({
      title: `${summary.errors} example${summary.errors > 1 ? 's' : ''} failed`,
      table: { columns: ['path', 'input', 'error'], rows: summary.failed.map((f) => [f.path, f.index, f.error]) },
    });
  }
  return {
    title: `Data set explained: ${summary.examples} examples`,
    model: {
      name: settings.model.name,
      details: {
        methods: summary.methods.join(', '),
        input: settings.input.path,
        head: settings.model.output,
        ...(settings.preset === null ? {} : { preset: settings.preset }),
      },
    },
    items,
    sections,
  };
}
