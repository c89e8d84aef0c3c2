/** The picture and files of one explained item, shared by `explain`, `report` and `batch` (Node only). */
import type { TopLevelSpec } from 'vega-lite';
import type { ExplainableModel } from '../../execution/explainable-model.js';
import { attributionMethods, type AttributionMethodName } from '../../attribution/registry.js';
import { explanationSpec } from '../../render/explanation-spec.js';
import type { FeaturePresetName } from '../../signal/presets.js';
import { encodeNpy } from '../../io/npy.js';
import { toJson } from './common.js';
import type { ExplainedItem } from '../../pipeline/explain-items.js';
import { resultJson } from '../../pipeline/result-json.js';
import type { StagedOutput } from './staged-output.js';

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
    preset: context.preset,
    layout: context.layout,
  });
}

/** Writes `base.attributions.json`, `base.attributions.npy`, `base.heatmap.npy`, `base.svg` and `base.png`. */
export async function writeExplanationFiles(staged: StagedOutput, base: string, row: ExplainedItem, context: ExplainedItemContext): Promise<void> {
  await staged.write(`${base}.attributions.json`, `${toJson({ method: context.method, ...resultJson(row, row.item.recording !== undefined) })}\n`);
  await staged.write(`${base}.attributions.npy`, encodeNpy(row.attributions, row.item.shape));
  await staged.write(`${base}.heatmap.npy`, encodeNpy(row.heatmap, row.heatmapShape));
  await staged.writeChart(base, explainedItemSpec(row, context));
}
