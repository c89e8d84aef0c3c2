/** The per-input JSON of an explanation, as DESIGN.md's `explain --json` contract lays it out. */
import { nestArray } from '../node/cli/common.js';
import type { ExplainedItem } from './explain-items.js';

/** One result of the JSON document: target, scores, attributions and heatmap nested in the input layout. */
export function resultJson(row: ExplainedItem, includeInput: boolean): Record<string, unknown> {
  return {
    name: row.item.name,
    target: row.target,
    ...(row.targetName === undefined ? {} : { targetName: row.targetName }),
    logits: row.logits,
    probabilities: row.probabilities ?? null,
    attributions: nestArray(row.attributions, row.item.shape),
    heatmap: nestArray(row.heatmap, row.heatmapShape),
    ...(row.delta === undefined ? {} : { delta: row.delta }),
    ...(row.layerMap === undefined ? {} : { layer: row.layer, layerMap: nestArray(row.layerMap, row.layerMapShape ?? []) }),
    ...(includeInput ? { input: nestArray(row.item.data, row.item.shape) } : {}),
  };
}
