/** The JSON parts of the documents: the model, and one explained input as DESIGN.md's `explain --json` contract lays it out. */
import { RANGE_NOT_CHECKED } from '../summary/input-notes.js';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { nestArray } from './json-values.js';
import type { ExplainedItem } from './explain-items.js';
import { relativeCompletenessGap } from '../summary/completeness.js';
import { formatFrequencyBands, rankFrequencyBands, type FrequencyBand } from '../summary/frequency-bands.js';

/** The most relevant frequency bands of an explained item (none without a frequency axis). */
export function itemFrequencyBands(row: ExplainedItem): FrequencyBand[] {
  const frequencyHz = row.item.axes?.frequencyHz;
  return frequencyHz === undefined ? [] : rankFrequencyBands(row.heatmap, frequencyHz);
}

/**
 * The relative completeness gap of an explained item (methods with a `delta`); for group methods over the group values
 * (the attributions repeat each group's value at its positions).
 */
export function itemRelativeGap(row: ExplainedItem): number | undefined {
  return row.delta === undefined
    ? undefined
    : relativeCompletenessGap(
        row.delta,
        Array.from<number>(row.groupAttributions ?? row.attributions).reduce((a, b) => a + b, 0),
      );
}

/** Group methods: the three groups of largest |value|, as 'name +1.23' (f0 first for harmonics). */
function strongestGroups(row: ExplainedItem): string {
  const values = row.groupAttributions ?? [];
  const order = values.map((_, g) => g).sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]));
  const top = order
    .slice(0, 3)
    .map((g) => `${row.groups?.[g].name ?? g} ${values[g] >= 0 ? '+' : ''}${values[g].toPrecision(3)}`);
  return `${row.f0Hz === undefined ? '' : `f0 ${row.f0Hz.toFixed(1)} Hz; `}strongest groups: ${top.join(', ')}`;
}

/**
 * The text line of an explained item: head, class, score, the completeness gap (group methods: the efficiency gap
 * Σ group values − (f(x) − f(baseline))) absolute and relative to |f(x) − f(baseline)|, and the most relevant
 * frequency bands (group methods: the strongest groups).
 */
export function explainedItemLine(row: ExplainedItem, method: string): string {
  const name = row.targetName ?? `class ${row.target}`;
  const p = row.probabilities?.[row.target];
  const relative = itemRelativeGap(row);
  const gap =
    row.delta === undefined
      ? ''
      : `, ${row.groupAttributions === undefined ? 'completeness' : 'efficiency'} gap ${row.delta.toExponential(2)} (${formatShare(relative)} of |f(x) − f(baseline)|)`;
  const bands = row.groupAttributions === undefined ? itemFrequencyBands(row) : [];
  const groups = row.groupAttributions === undefined ? '' : `; ${strongestGroups(row)}`;
  const against =
    row.contrast === undefined ? '' : ` against ${row.contrastName ?? `class ${row.contrast}`} (score difference)`;
  return `${row.item.name}: ${method} of head '${row.head}' for ${name}${p === undefined ? '' : ` (p = ${p.toFixed(3)})`}${against}${gap}${bands.length === 0 ? '' : `; most relevant: ${formatFrequencyBands(bands)}`}${groups}\n`;
}

function formatShare(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return 'infinite share';
  return value >= 0.001 ? `${(100 * value).toFixed(1)} %` : `${(100 * value).toExponential(1)} %`;
}

/**
 * One result of the JSON document: the explained head, target, scores, attributions and heatmap nested in the input
 * layout, warnings about the input, its axes (Hz per frequency bin, s per frame) and the most relevant frequency bands.
 */
export function resultJson(row: ExplainedItem, includeInput: boolean): Record<string, unknown> {
  const relativeDelta = itemRelativeGap(row);
  return {
    name: row.item.name,
    head: row.head,
    engine: row.engine,
    warnings: row.item.warnings,
    inputRange: row.item.rangeCheckedAgainst ?? RANGE_NOT_CHECKED,
    ...(row.item.axes === undefined ? {} : { axes: row.item.axes, frequencyBands: itemFrequencyBands(row) }),
    target: row.target,
    ...(row.targetName === undefined ? {} : { targetName: row.targetName }),
    ...(row.contrast === undefined
      ? {}
      : { contrast: row.contrast, ...(row.contrastName === undefined ? {} : { contrastName: row.contrastName }) }),
    logits: row.logits,
    probabilities: row.probabilities ?? null,
    // Several model inputs: one attributions array and one heatmap per model input, in input order.
    attributions:
      row.parts === undefined
        ? nestArray(row.attributions, row.item.shape)
        : row.parts.map((p) => nestArray(p.attributions, p.item.shape)),
    heatmap:
      row.parts === undefined
        ? nestArray(row.heatmap, row.heatmapShape)
        : row.parts.map((p) => nestArray(p.heatmap, p.heatmapShape)),
    ...(row.parts === undefined ? {} : { inputs: row.parts.map((p) => p.input) }),
    ...(row.delta === undefined ? {} : { delta: row.delta, relativeDelta }),
    ...(row.groups === undefined ? {} : groupsJson(row)),
    ...(row.layerMap === undefined
      ? {}
      : { layer: row.layer, layerMap: nestArray(row.layerMap, row.layerMapShape ?? []) }),
    ...(includeInput && row.parts === undefined ? { input: nestArray(row.item.data, row.item.shape) } : {}),
  };
}

/**
 * The group methods' part of a result: `groups` (name, positions, Hz range), `groupAttributions`, and where present
 * `standardErrors`, `fitR2` and `f0Hz`.
 */
function groupsJson(row: ExplainedItem): Record<string, unknown> {
  return {
    groups: (row.groups ?? []).map((g) => ({
      name: g.name,
      positions: g.positions,
      ...(g.lowHz === undefined ? {} : { lowHz: g.lowHz, highHz: g.highHz }),
    })),
    groupAttributions: row.groupAttributions,
    ...(row.standardErrors === undefined ? {} : { standardErrors: row.standardErrors }),
    ...(row.fitR2 === undefined ? {} : { fitR2: row.fitR2 }),
    ...(row.f0Hz === undefined ? {} : { f0Hz: row.f0Hz }),
  };
}

/** The model part of the JSON documents. */
export function modelJson(model: ExplainableModel, output: string | number | undefined): Record<string, unknown> {
  const index = model.resolveOutput('explain', output);
  return {
    name: model.name,
    inputShape: model.inputShape,
    ...(model.isMultiInput
      ? { inputs: model.inputNames.map((name, i) => ({ name, shape: model.inputShapes?.[i] })) }
      : {}),
    outputs: model.outputNames,
    output: model.outputNames[index],
    labels: model.labels(index),
    ...model.info,
  };
}
