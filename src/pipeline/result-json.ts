/** The JSON parts of the documents: the model, and one explained input as DESIGN.md's `explain --json` contract lays it out. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import { nestArray } from './json-values.js';
import type { ExplainedItem } from './explain-items.js';

/** One result of the JSON document: target, scores, attributions and heatmap nested in the input layout. */
export function resultJson(row: ExplainedItem, includeInput: boolean): Record<string, unknown> {
  return {
    name: row.item.name,
    target: row.target,
    ...(row.targetName === undefined ? {} : { targetName: row.targetName }),
    logits: row.logits,
    probabilities: row.probabilities ?? null,
    // Several model inputs: one attributions array and one heatmap per model input, in input order.
    attributions: row.parts === undefined ? nestArray(row.attributions, row.item.shape) : row.parts.map((p) => nestArray(p.attributions, p.item.shape)),
    heatmap: row.parts === undefined ? nestArray(row.heatmap, row.heatmapShape) : row.parts.map((p) => nestArray(p.heatmap, p.heatmapShape)),
    ...(row.parts === undefined ? {} : { inputs: row.parts.map((p) => p.input) }),
    ...(row.delta === undefined ? {} : { delta: row.delta }),
    ...(row.layerMap === undefined ? {} : { layer: row.layer, layerMap: nestArray(row.layerMap, row.layerMapShape ?? []) }),
    ...(includeInput && row.parts === undefined ? { input: nestArray(row.item.data, row.item.shape) } : {}),
  };
}

/** The model part of the JSON documents. */
export function modelJson(model: ExplainableModel, output: string | number | undefined): Record<string, unknown> {
  const index = model.resolveOutput('explain', output);
  return {
    name: model.name,
    inputShape: model.inputShape,
    ...(model.isMultiInput ? { inputs: model.inputNames.map((name, i) => ({ name, shape: model.inputShapes?.[i] })) } : {}),
    outputs: model.outputNames,
    output: model.outputNames[index],
    labels: model.labels(index),
    ...model.info,
  };
}
