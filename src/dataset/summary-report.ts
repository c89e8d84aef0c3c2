/**
 * The HTML report of a data-set summary, for a biologist at a glance: per species, the mean attribution over the mean
 * input with its inter-quartile spread along frequency in Hz and the strongest bands; one chart comparing all species;
 * accuracy, confusion matrix and the examples that failed. Universal (charts render to SVG with Vega).
 */
import type { ReportData, ReportFigure, ReportItem, ReportSection } from '../render/html-report.js';
import { renderChartSvg, restartChartIds } from '../render/chart-svg.js';
import { classComparisonSpec, classProfileSpec, type ClassProfile } from '../render/class-summary-chart.js';
import { spectrogramExplanationSpec } from '../render/spectrogram-chart.js';
import { gridFromImage } from '../render/grid.js';
import { inputLevels } from '../render/explanation-spec.js';
import { isFeaturePresetName } from '../signal/presets.js';
import type { ClassSummary, DatasetSummary } from './summarize.js';
import type { DatasetRunSettings } from './settings.js';
import type { TopRegion } from './axis.js';
import { contrastMapSections } from './contrast-maps-report.js';
import { groupValuesSections } from './group-values-report.js';
import { harmonicProfileSections } from './harmonic-profile-report.js';

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

/** What the heatmaps explain, as a noun phrase ("the predicted class", "class 'Ae_aegypti'", ...). */
export function explainedClassText(target: DatasetRunSettings['target'], labels: readonly string[] | null): string {
  if (target === null) return 'the predicted class';
  if (target === 'label') return 'the true label';
  if (target === 'rival') return 'the runner-up class (second-highest score)';
  if (typeof target === 'number') return `class '${labels?.[target] ?? target}'`;
  if (typeof target === 'string') return `class '${target}'`;
  return 'the class given per example';
}

const GROUPING_TEXT = { label: 'true class', predicted: 'predicted class' } as const;

function percent(part: number, whole: number): string {
  return `${whole === 0 ? '0' : ((100 * part) / whole).toFixed(1)} %`;
}

function outOfRangeText(group: ClassSummary): string {
  return `${group.outOfRange} of ${group.count} (${percent(group.outOfRange, group.count)})`;
}

/** The report-wide warnings: inputs outside the training range and other input warnings, labels the model lacks. */
function reportWarnings(summary: DatasetSummary): string[] {
  const lines: string[] = [];
  const { warnings, examples } = summary;
  if (warnings['out-of-range'] > 0)
    lines.push(
      `${warnings['out-of-range']} of ${examples} examples (${percent(warnings['out-of-range'], examples)}) lie far outside the model's training range: ` +
        'their predictions and heatmaps describe an extrapolation, not the data set, so read the strongest bands of those classes with caution. ' +
        "The table's warnings column gives the figures of each example.",
    );
  if (warnings['resampled-up'] > 0)
    lines.push(
      `${warnings['resampled-up']} of ${examples} examples were recorded at a lower rate and resampled up: the frequency bins above their Nyquist frequency are empty, unlike the training data.`,
    );
  if (warnings['forced-preset'] > 0)
    lines.push(
      `${warnings['forced-preset']} of ${examples} examples went through a feature preset made for another data set (forced): predictions may be meaningless.`,
    );
  if (summary.labelsOutsideModel.length > 0)
    lines.push(
      `Labels that are not classes of the model: ${summary.labelsOutsideModel.map((l) => `${l.label} (${l.examples} examples)`).join(', ')}. ` +
        'They are kept out of the accuracy and the confusion matrix; map folder names to class names with --label-map.',
    );
  return lines;
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
            title: `${group.label} (${GROUPING_TEXT[group.by]}) · ${group.method}`,
            subtitle: `${group.count} examples · heatmaps explain ${explainedClassText(settings.target, settings.model.labels)} · ${outOfRangeText(group)} out of range`,
            xTitle: profile.xTitle,
            inputTitle: 'Mean input',
          }),
        ),
      },
      caption: `${group.method}, explaining ${explainedClassText(settings.target, settings.model.labels)}: mean heatmap (orange), median (dashed) and inter-quartile range (band)${summary.axis.kind === 'spectrogram' ? ', averaged over time' : ''}${profile.meanInput !== undefined ? ', under the mean input' : ''}.`,
    },
  ];
  const axis = summary.axis;
  if (axis.kind === 'spectrogram' && group.meanInput.length === settings.model.inputShape.reduce((a, b) => a * b, 1)) {
    const frames = axis.frameSeconds.length;
    // A preset's mean image is shown as the level in dB it encodes (the mean of the images, converted back).
    const image = gridFromImage(group.meanInput, settings.model.inputShape);
    const preset = isFeaturePresetName(settings.preset) ? settings.preset : undefined;
    const levels = inputLevels(image.values, preset);
    const meanSpectrogram = { ...image, values: Float32Array.from(levels.values) };
    const spec = spectrogramExplanationSpec(
      {
        spectrogram: meanSpectrogram,
        attribution: { values: group.mean, rows: axis.rowHz.length, cols: frames },
        frequencyRange: [axis.rowHz[axis.rowHz.length - 1], axis.rowHz[0]],
        timeRange: [axis.frameSeconds[0], axis.frameSeconds[frames - 1]],
        title: `${group.label} (${GROUPING_TEXT[group.by]}) · ${group.method}: mean heatmap of ${explainedClassText(settings.target, settings.model.labels)} over the mean input`,
      },
      { layout: 'overlay', spectrogramLabel: `mean input, ${levels.label}` },
    );
    figures.push({
      image: { svg: await renderChartSvg(spec) },
      caption: `Mean heatmap (explaining ${explainedClassText(settings.target, settings.model.labels)}) laid over the mean spectrogram (grey, ${preset === undefined ? 'model units' : 'level in dB'}).`,
    });
  }
  return figures;
}

/**
 * Builds the report of `summary` (render it with `renderReport`). Every section and chart names the class its heatmaps
 * explain (the run's target) and how classes are grouped (true class or predicted class); the warnings about inputs
 * outside the training range and labels the model does not have come first.
 *
 * @returns The {@link ReportData}: one item per class, by true label (when the data set has labels) and by predicted class.
 */
export async function datasetReport(summary: DatasetSummary, settings: DatasetRunSettings): Promise<ReportData> {
  restartChartIds();
  const explained = explainedClassText(settings.target, settings.model.labels);
  const groupings = (['label', 'predicted'] as const).filter((by) => summary.classes.some((c) => c.by === by));
  const items: ReportItem[] = [];
  const sections: ReportSection[] = [];
  for (const by of groupings) {
    const groups = summary.classes.filter((c) => c.by === by);
    for (const label of [...new Set(groups.map((c) => c.label))]) {
      const explanations: ReportFigure[] = [];
      const rows: (string | number)[][] = [];
      const warnings: string[] = [];
      for (const group of groups.filter((c) => c.label === label)) {
        explanations.push(...(await classFigures(summary, group, settings)));
        rows.push([
          group.method,
          group.count,
          outOfRangeText(group),
          group.top.map((region) => `${regionText(region)} (${region.value.toFixed(2)})`).join(' · '),
        ]);
        if (group.outOfRange > 0 && group.method === summary.methods[0])
          warnings.push(
            `${outOfRangeText(group)} examples of this class lie far outside the model's training range: its mean heatmap partly describes an extrapolation.`,
          );
      }
      items.push({
        name: `${label} (${GROUPING_TEXT[by]}) · heatmaps explain ${explained}`,
        warnings,
        explanations,
        sections: [
          {
            title: `Strongest bands of the mean heatmap (explaining ${explained})`,
            table: {
              columns: ['method', 'examples', 'out of training range', 'strongest first (mean heatmap)'],
              rows,
            },
          },
        ],
      });
    }
    for (const method of summary.methods) {
      const members = groups.filter((c) => c.method === method);
      if (members.length === 0) continue;
      const x = profileOf(summary, members[0]);
      sections.push({
        title: `All classes compared · ${method} · per ${GROUPING_TEXT[by]} · heatmaps explain ${explained}`,
        figures: [
          {
            image: {
              svg: await renderChartSvg(
                classComparisonSpec(
                  x.x,
                  members.map((c) => ({ label: c.label, values: profileOf(summary, c).mean })),
                  { title: `Mean heatmap of ${explained} per ${GROUPING_TEXT[by]} · ${method}`, xTitle: x.xTitle },
                ),
              ),
            },
            caption: `Each row is the mean heatmap (explaining ${explained}) of the examples of one ${GROUPING_TEXT[by]}${summary.axis.kind === 'spectrogram' ? ', averaged over time' : ''}, on one colour scale.`,
          },
        ],
      });
    }
  }
  if (summary.confusion !== null) {
    const { labels: trueLabels, predicted, counts } = summary.confusion;
    const outside = summary.labelsOutsideModel;
    sections.push({
      title: `Accuracy ${((summary.accuracy ?? 0) * 100).toFixed(1)} % · confusion matrix`,
      text:
        'Rows: true class; columns: predicted class.' +
        (outside.length === 0
          ? ''
          : ` Not counted: ${outside.reduce((n, l) => n + l.examples, 0)} examples whose labels (${outside.map((l) => l.label).join(', ')}) are not classes of the model.`),
      table: { columns: ['true \\ predicted', ...predicted], rows: trueLabels.map((l, i) => [l, ...counts[i]]) },
    });
  }
  sections.push(...(await contrastMapSections(summary)));
  sections.push(...(await harmonicProfileSections(summary)));
  sections.push(...groupValuesSections(summary));
  if (summary.errors > 0) {
    sections.push({
      title: `${summary.errors} example${summary.errors > 1 ? 's' : ''} failed`,
      table: { columns: ['path', 'input', 'error'], rows: summary.failed.map((f) => [f.path, f.index, f.error]) },
    });
  }
  return {
    title: `Data set explained: ${summary.examples} examples`,
    warnings: reportWarnings(summary),
    model: {
      name: settings.model.name,
      details: {
        'explained class': explained,
        methods: summary.methods.join(', '),
        input: settings.input.path,
        head: settings.model.output,
        ...(settings.preset === null ? {} : { preset: settings.preset }),
        'out of training range': `${summary.warnings['out-of-range']} of ${summary.examples} examples (${percent(summary.warnings['out-of-range'], summary.examples)})`,
        ...(settings.engine === undefined ? {} : { engine: settings.engine }),
      },
    },
    summary: {
      columns: ['class', 'grouped by', 'method', 'examples', 'out of training range', 'heatmaps explain'],
      rows: summary.classes.map((c) => [c.label, GROUPING_TEXT[c.by], c.method, c.count, outOfRangeText(c), explained]),
    },
    items,
    sections,
  };
}
