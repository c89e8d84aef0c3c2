/** One file of the `batch` job: every method on the file's inputs → its `result.json` and the files of every explanation. */
import type { ExplainableModel } from '../execution/explainable-model.js';
import type { AttributionMethodName } from '../attribution/registry.js';
import type { ContrastOption } from '../attribution/contrast.js';
import type { FeaturePresetName } from '../signal/presets.js';
import { explainItems, type ExplainedItem, type JobSettings } from './explain-items.js';
import { explanationFiles } from './explanation-files.js';
import { baseName, type InputItem } from './input-sources.js';
import { jsonFile, safeFileName, type OutputFile } from './output-files.js';
import { modelJson, resultJson } from './result-json.js';

/** Per input of a file: its name, explained target and probabilities. */
export interface BatchInputSummary {
  name: string;
  /** The explained head. */
  head: string;
  /** Warnings about the input. */
  warnings: string[];
  target: number;
  targetName?: string;
  probabilities: number[] | null;
}

/**
 * Explains the items of one file with every method; returns the per-input summary and the files of the file's folder
 * (`result.json` and, per method and item, the explanation files).
 * @example const { inputs, files } = await batchFileJob(model, 'rec.wav', items, { methods: ['saliency'] });
 */
export async function batchFileJob(
  model: ExplainableModel,
  file: string,
  items: InputItem[],
  settings: JobSettings & {
    methods: readonly AttributionMethodName[];
    preset?: FeaturePresetName;
    /** Explain score(target) − score(contrast) with every method (see `contrastiveAttribution`). */
    contrast?: ContrastOption;
  },
): Promise<{ inputs: BatchInputSummary[]; files: OutputFile[] }> {
  const head = model.resolveOutput('batch', settings.output);
  const { preset } = settings;
  const perMethod: { method: AttributionMethodName; rows: ExplainedItem[] }[] = [];
  for (const method of settings.methods)
    perMethod.push({ method, rows: await explainItems(model, items, { ...settings, method, onProgress: undefined }) });
  const inputs = perMethod[0].rows.map((row) => ({
    name: row.item.name,
    head: row.head,
    warnings: row.item.warnings,
    target: row.target,
    targetName: row.targetName,
    probabilities: row.probabilities ?? null,
  }));
  const files = perMethod.flatMap(({ method, rows }) =>
    rows.flatMap((row) =>
      explanationFiles(`${safeFileName(baseName(row.item.name))}.${method}`, row, { model, head, method, preset }),
    ),
  );
  const results = perMethod.flatMap(({ method, rows }) =>
    rows.map((row) => ({ method, ...resultJson(row, row.item.recording !== undefined) })),
  );
  files.push(
    jsonFile('result.json', {
      file,
      model: modelJson(model, settings.output),
      ...(preset === undefined ? {} : { preset }),
      inputs,
      results,
    }),
  );
  return { inputs, files };
}
