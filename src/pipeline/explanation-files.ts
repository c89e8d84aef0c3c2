/** The picture and files of one explained item, shared by `explain`, `report` and `batch`. */
import type { TopLevelSpec } from 'vega-lite';
import type { ExplainableModel } from '../execution/explainable-model.js';
import { attributionMethods, type AttributionMethodName } from '../attribution/registry.js';
import { explanationSpec } from '../render/explanation-spec.js';
import type { FeaturePresetName } from '../signal/presets.js';
import { encodeNpy } from '../io/npy.js';
import { jsonFile, type OutputFile } from './output-files.js';
import type { ExplainedItem } from './explain-items.js';
import { resultJson } from './result-json.js';

/** How an explained item is drawn and named. */
export interface ExplainedItemContext {
  model: ExplainableModel;
  /** Index of the explained head. */
  head: number;
  method: AttributionMethodName;
  preset?: FeaturePresetName;
  subtitle?: string;
  /** Spectrograms: input beside the attribution (default), or the attribution alone, large (reports). */
  layout?: 'side-by-side' | 'attribution-only';
}

/** The Vega-Lite spec of an explained item: class name and score in the title, signed colours where the method is signed. */
export function explainedItemSpec(row: ExplainedItem, context: ExplainedItemContext): TopLevelSpec {
  const labels = context.model.labels(context.head);
  return explanationSpec({
    input: row.item.data,
    shape: row.item.shape,
    attributions: row.attributions,
    heatmap: row.heatmap,
    signed: attributionMethods[context.method].signed,
    method: context.method,
    className: labels?.[row.target] ?? `class ${row.target}`,
    score: row.probabilities?.[row.target] ?? row.logits[row.target],
    scoreLabel: row.probabilities === undefined ? 'score' : 'p',
    subtitle: context.subtitle ?? row.item.name,
    // The recipe the item was actually made with (custom `--features` settings included) draws its axes.
    preset: row.item.features?.settings ?? context.preset,
    layout: context.layout,
  });
}

/**
 * The files of one explained item: `base.attributions.json`, `base.attributions.npy`, `base.heatmap.npy` and the chart
 * `base` (.svg, .png); for a model with several inputs the `.npy` files and the chart per model input (`base.<input>.*`).
 */
export function explanationFiles(base: string, row: ExplainedItem, context: ExplainedItemContext): OutputFile[] {
  if (row.parts !== undefined) {
    const parts = row.parts.flatMap((part) => {
      const partBase = `${base}.${part.input.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
      const partRow: ExplainedItem = { ...row, ...part, parts: undefined };
      const subtitle = `${context.subtitle ?? row.item.name} — input ${part.input}`;
      return [
        { name: `${partBase}.attributions.npy`, bytes: encodeNpy(part.attributions, part.item.shape) },
        { name: `${partBase}.heatmap.npy`, bytes: encodeNpy(part.heatmap, part.heatmapShape) },
        { name: partBase, chart: () => explainedItemSpec(partRow, { ...context, subtitle }) },
      ];
    });
    return [jsonFile(`${base}.attributions.json`, { method: context.method, ...resultJson(row, false) }), ...parts];
  }
  return [
    jsonFile(`${base}.attributions.json`, {
      method: context.method,
      ...resultJson(row, row.item.recording !== undefined),
    }),
    { name: `${base}.attributions.npy`, bytes: encodeNpy(row.attributions, row.item.shape) },
    { name: `${base}.heatmap.npy`, bytes: encodeNpy(row.heatmap, row.heatmapShape) },
    { name: base, chart: () => explainedItemSpec(row, context) },
  ];
}
